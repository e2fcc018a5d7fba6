"""Campaigns: how each campaign paid off in each segment."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from segwarehouse.dashboard import queries, ui

st.title("Campaigns")
ui.require_marts("campaigns")
connection = ui.connection()
segmentation = ui.segmentation()

st.markdown(
    """
For each campaign and each segment it reached: **sends**, the share opened and clicked
(**click-through**), the orders credited to the campaign (an order placed within a few days of
clicking one of its emails; the latest click wins) and **conversion**, those orders per send.
**ROI** is (revenue attributed - cost) / cost: 0% breaks even, -100% earned nothing.
**ROAS** is revenue per unit of cost. Only email clicks are tracked, so SMS and push campaigns
show no attributed orders, ROI or ROAS. Segments are today's, not those at send time. Cells
with too few customers show **suppressed**.
"""
)

performance = queries.campaign_performance(connection, segmentation)
if performance.empty:
    st.info("No campaign sends in this published file.")
    st.stop()

choices = dict(queries.campaign_choices(performance))
campaign_id = st.selectbox("Campaign", options=list(choices), format_func=choices.__getitem__)
cells = performance[performance["campaign_id"] == campaign_id].reset_index(drop=True)
ui.table(queries.display_table(cells, queries.CAMPAIGN_COLUMNS))

shown = performance[~performance["is_suppressed"].astype(bool)]
# Campaign names need not be unique: a row per campaign id.
shown = shown.assign(
    campaign=shown["campaign_name"] + " #" + shown["campaign_id"].astype(str),
)
matrix = shown.pivot_table(
    index="campaign", columns="segment_name", values="roi", aggfunc="first", sort=False
)
matrix = matrix.reindex(columns=list(shown.sort_values("segment_id")["segment_name"].unique()))
figure = go.Figure(
    go.Heatmap(
        # None, not NaN, so that a cell without ROI is drawn as a gap.
        z=[
            [None if pd.isna(value) else float(value) for value in row] for row in matrix.to_numpy()
        ],
        x=matrix.columns.tolist(),
        y=matrix.index.tolist(),
        colorscale="RdYlGn",
        # Red loses money, yellow breaks even, green at +100% (doubled) and beyond, so that one
        # outlier does not wash out the rest; the hover gives every cell's exact ROI.
        zmin=-1,
        zmax=1,
        colorbar={"title": {"text": "ROI"}, "tickformat": ".0%"},
        hovertemplate="%{y}<br>%{x}<br>ROI %{z:.0%}<extra></extra>",
    )
)
figure.update_layout(
    title="ROI of every campaign in every segment (blank: no clicks tracked, or suppressed)",
    height=max(360, 28 * len(matrix) + 120),
    margin={"t": 50, "b": 10},
)
st.plotly_chart(figure)
ui.suppressed_note(
    sorted(
        set(
            performance.loc[performance["is_suppressed"].astype(bool), "campaign_name"]
            + " / "
            + performance.loc[performance["is_suppressed"].astype(bool), "segment_name"]
        )
    )
)
