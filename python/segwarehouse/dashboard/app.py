"""Entry point of the dashboard: `streamlit run app.py -- --database PATH` (make dashboard).

Opens the published file read-only for each run of a page, so that it never blocks a build
and a new publication shows on the next interaction.
"""

from __future__ import annotations

import os
import sys

import streamlit as st

from segwarehouse.dashboard import queries, ui
from segwarehouse.dashboard.sitemap import PAGES


def main() -> None:
    st.set_page_config(page_title="Customer segments", layout="wide")
    page = st.navigation(
        [
            st.Page(page.file, title=page.title, url_path=page.name, default=index == 0)
            for index, page in enumerate(PAGES)
        ]
    )
    try:
        options = queries.resolve_options(sys.argv[1:], os.environ)
        with queries.open_published(options.database) as connection:
            info = queries.publication(connection)
            st.sidebar.radio(
                "Segmentation",
                options=list(queries.SEGMENTATIONS),
                format_func=queries.SEGMENTATIONS.__getitem__,
                key=ui.SEGMENTATION_KEY,
                horizontal=True,
                help="k-means: clusters of behaviour; RFM: rule-based recency, frequency and "
                "monetary scores.",
            )
            st.sidebar.caption(
                f"As of {queries.format_date(info.as_of_date)} · published "
                f"{info.published_at:%Y-%m-%d %H:%M} UTC  \n{options.database}"
            )
            st.session_state[ui.CONNECTION_KEY] = connection
            st.session_state[ui.MIN_GROUP_SIZE_KEY] = queries.min_group_size(connection)
            page.run()
    except queries.DashboardError as error:
        st.error(str(error))


main()
