"""Movement: segment sizes over the as-of dates, and the flow of customers between them."""

import plotly.graph_objects as go
import streamlit as st

from segwarehouse.dashboard import queries, ui

st.title("Movement")
ui.require_marts("movement")
connection = ui.connection()
segmentation = ui.segmentation()
min_group_size = ui.min_group_size()

st.markdown(
    f"""
Each build scores every customer as of a date (the **as-of date**); the warehouse keeps each
date's membership. The first chart and table show how many customers each
{ui.segmentation_label()} segment had on each date. The flow diagram below follows customers
from one date to the next: a band from a segment on the left to one on the right is the
customers who moved (or stayed, when both ends are the same segment); *entered* are customers
not yet counted on the earlier date (new sign-ups), *exited* those no longer counted on the
later one. Counts below {min_group_size} customers are not shown, to protect privacy.
"""
)

sizes = queries.segment_sizes(connection, segmentation)
if sizes.empty:
    st.warning(
        f"No {ui.segmentation_label()} membership history in this published file "
        "(marts.fct_customer_segment_history is empty)."
    )
    st.stop()

shown = sizes[~queries.suppress_below(sizes["customer_count"], min_group_size)]
lines = go.Figure(
    [
        go.Scatter(
            x=rows["as_of_date"].map(queries.format_date).tolist(),
            y=rows["customer_count"].tolist(),
            mode="lines+markers",
            name=f"{segment_id} {rows['segment_name'].iloc[0]}",
        )
        for segment_id, rows in shown.groupby("segment_id")
    ]
)
lines.update_layout(
    title="Customers per segment by as-of date",
    xaxis={"type": "category", "title": "as-of date"},
    height=360,
    margin={"t": 50, "b": 10},
)
st.plotly_chart(lines)
ui.table(queries.sizes_by_date(sizes, min_group_size))

transitions = queries.segment_transitions(connection, segmentation)
pairs = queries.date_pairs(transitions)
if not pairs:
    st.info(
        "Only one as-of date has been built, so there is no movement yet. Build an earlier "
        "date to compare (see docs/segments.md, History, backfill and transitions): "
        "`.venv/bin/python -m segwarehouse.sources build sources/demo.yml --as-of 2025-11-30`, "
        "then the current date again."
    )
    st.stop()

pair = st.selectbox(
    "From one as-of date to the next",
    options=pairs,
    format_func=lambda value: f"{value[0]} → {value[1]}",
)
between = queries.transitions_between(transitions, pair)
totals = queries.transition_totals(between)
columns = st.columns(4)
columns[0].metric("Stayed", queries.format_count(totals["stayed"]))
columns[1].metric("Moved", queries.format_count(totals["moved"]))
columns[2].metric("Entered", queries.format_count(totals["entered"]))
columns[3].metric("Exited", queries.format_count(totals["exited"]))

flows = queries.sankey_flows(between, min_group_size)
sankey = go.Figure(
    go.Sankey(
        node={"label": flows.labels, "pad": 14, "thickness": 16},
        link={"source": flows.sources, "target": flows.targets, "value": flows.values},
    )
)
sankey.update_layout(
    title=f"Customers from {pair[0]} (left) to {pair[1]} (right)",
    height=520,
    margin={"t": 50, "b": 10},
)
st.plotly_chart(sankey)
if flows.hidden_flows:
    st.caption(
        f"{flows.hidden_flows} flows of fewer than {min_group_size} customers each "
        f"({flows.hidden_customers:,} customers in all) are not drawn."
    )
