"""Overview: each segment's size, revenue and the KPIs a marketer compares them by."""

import plotly.graph_objects as go
import streamlit as st

from segwarehouse.dashboard import queries, ui

st.title("Overview")
ui.require_marts("overview")
connection = ui.connection()
segmentation = ui.segmentation()
kpis = queries.segment_overview(connection, segmentation)
totals = queries.segmentation_totals(connection, segmentation)
horizon = queries.lifetime_value_horizon(connection)

st.markdown(
    f"""
Each row is one **{ui.segmentation_label()} segment** as of the latest build. *Share of
customers* and *share of revenue* side by side show which segments carry the business: a
segment with a larger revenue share than customer share is worth more than its size.
*Average order value* is revenue per kept order; *predicted CLV* the mean revenue expected from
a customer over the next {horizon or "-"} months; *churn risk* the share of customers whose
probability of still being active is below one half. *Conversion (sends)* is the share of
campaign sends followed by an order within the conversion window, *conversion (visits)* the
share of web sessions with an order, *click-through* the share of delivered emails clicked,
and *NPS* the net promoter score (-100 to 100). Segments too small to publish show
**suppressed** instead of figures.
"""
)

columns = st.columns(4)
columns[0].metric("Customers", queries.format_count(totals.customers))
columns[1].metric("Revenue", queries.format_money(totals.revenue))
columns[2].metric("Segments", f"{len(kpis):,}")
columns[3].metric("As of", queries.format_date(kpis["as_of_date"].iloc[0]) if len(kpis) else "-")

if kpis.empty:
    st.warning(
        f"No {ui.segmentation_label()} segments in this published file "
        "(marts.fct_segment_kpis has no rows for it): see fct_segment_model_runs.fit_message."
    )
    st.stop()

ui.table(queries.display_table(kpis, queries.OVERVIEW_COLUMNS))

shown = kpis[~kpis["is_suppressed"].astype(bool)]
figure = go.Figure(
    [
        go.Bar(
            name="Share of customers",
            x=shown["segment_name"].tolist(),
            y=shown["customer_share"].tolist(),
        ),
        go.Bar(
            name="Share of revenue",
            x=shown["segment_name"].tolist(),
            y=shown["revenue_share"].tolist(),
        ),
    ]
)
figure.update_layout(
    barmode="group",
    yaxis_tickformat=".0%",
    title="Customers and revenue by segment",
    height=380,
    margin={"t": 50, "b": 10},
)
st.plotly_chart(figure)
ui.suppressed_note(kpis.loc[kpis["is_suppressed"].astype(bool), "segment_name"].tolist())
