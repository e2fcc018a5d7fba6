"""Streamlit helpers shared by the pages: the connection the entry point opened, the chosen
segmentation, and tables of display strings."""

from __future__ import annotations

import duckdb
import pandas as pd
import streamlit as st

from segwarehouse.dashboard import queries

CONNECTION_KEY = "_dashboard_connection"
MIN_GROUP_SIZE_KEY = "_dashboard_min_group_size"
SEGMENTATION_KEY = "segmentation"


def connection() -> duckdb.DuckDBPyConnection:
    """The read-only connection to the published file, opened by app.py for this run."""
    return st.session_state[CONNECTION_KEY]


def min_group_size() -> int:
    """The build's kpi_min_group_size, read by app.py from the published file."""
    return int(st.session_state[MIN_GROUP_SIZE_KEY])


def segmentation() -> str:
    return str(st.session_state.get(SEGMENTATION_KEY, "kmeans"))


def segmentation_label() -> str:
    return queries.SEGMENTATIONS[segmentation()]


def table(frame: pd.DataFrame) -> None:
    """A small table of display strings (HTML, so every value is on the page)."""
    st.table(frame, hide_index=True)


def require_marts(page: str) -> None:
    """Stop the page with an explanation when the published file lacks one of its marts."""
    missing = queries.missing_marts(connection(), queries.PAGE_MARTS[page])
    if missing:
        st.info(
            "This published file has no "
            + ", ".join(f"marts.{name}" for name in missing)
            + ": its source maps no data for them, so there is nothing to show here."
        )
        st.stop()


def suppressed_note(names: list[str]) -> None:
    if names:
        st.caption(
            f"Suppressed (fewer than {min_group_size()} customers, or the next smallest "
            "group of such a one): " + ", ".join(names) + ". Their figures are not published."
        )
