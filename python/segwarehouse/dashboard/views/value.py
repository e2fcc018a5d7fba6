"""Value: predicted lifetime value and P(alive) per segment, and cohort retention curves."""

import plotly.graph_objects as go
import streamlit as st

from segwarehouse.dashboard import queries, ui

st.title("Value")
ui.require_marts("value")
connection = ui.connection()
segmentation = ui.segmentation()
horizon = queries.lifetime_value_horizon(connection)

st.markdown(
    f"""
**Customer lifetime value (CLV)** is the revenue a customer is expected to bring over the next
{horizon or "-"} months, discounted; **P(alive)** the probability that the customer is still
buying at all. Both come from purchase-history models (BG/NBD and Gamma-Gamma) fitted on every
customer who has bought. Each box spans the middle half of a segment's customers, the line in
it is the median, and the whiskers reach from the 5th to the 95th percentile. A segment
with high CLV and low P(alive) is valuable but slipping away.
"""
)

values = queries.lifetime_values(connection, segmentation)
summary = queries.lifetime_value_summary(values)
if summary.empty:
    st.warning(
        "No customer has a CLV prediction in this published file: see "
        "marts.fct_customer_lifetime_values.model_fit_message for why."
    )
else:
    ui.table(queries.display_table(summary, queries.VALUE_COLUMNS))
    left, right = st.columns(2)
    for column, metric, title, axis in (
        (left, "predicted_clv", "Predicted CLV per customer", {}),
        (right, "probability_alive", "P(alive) per customer", {"tickformat": ".0%"}),
    ):
        boxes = queries.distribution(values, metric)
        figure = go.Figure(
            [
                go.Box(
                    name=f"{row.segment_id} {row.segment_name}",
                    q1=[row.q1],
                    median=[row.median],
                    q3=[row.q3],
                    lowerfence=[row.p05],
                    upperfence=[row.p95],
                )
                for row in boxes.itertuples()
            ]
        )
        figure.update_layout(
            title=title, showlegend=False, yaxis=axis, height=400, margin={"t": 50, "b": 10}
        )
        column.plotly_chart(figure)
    st.caption("Boxes: 25th to 75th percentile, line: median, whiskers: 5th to 95th percentile.")
    segments = queries.segment_overview(connection, segmentation)
    unpredicted = segments.loc[~segments["segment_id"].isin(summary["segment_id"]), "segment_name"]
    if len(unpredicted):
        st.caption(
            "No customer with a prediction (none has bought yet): " + ", ".join(unpredicted) + "."
        )
    ui.suppressed_note(summary.loc[summary["is_suppressed"].astype(bool), "segment_name"].tolist())

st.subheader("Cohort retention")
st.markdown(
    """
Customers are grouped by the month they signed up (their **cohort**) and by the segment they
are in today. Each curve is the share of a segment's customers who bought in the *n*-th month
after signing up, pooled over its cohorts: a curve that stays high belongs to a segment that
keeps buying. Month 0 is the sign-up month; the latest month is partial. Cohorts too small to
publish are left out.
"""
)
retention = queries.cohort_retention(connection, segmentation)
curves = queries.retention_curves(retention)
if curves.empty:
    st.info("No cohort has enough customers to publish (or no customer has a signup date).")
    st.stop()
figure = go.Figure(
    [
        go.Scatter(
            x=rows["months_since_acquisition"].tolist(),
            y=rows["retention_rate"].tolist(),
            mode="lines",
            name=f"{segment_id} {rows['segment_name'].iloc[0]}",
        )
        for segment_id, rows in curves.groupby("segment_id")
    ]
)
figure.update_layout(
    title="Share of a segment's cohorts buying, by months since sign-up",
    xaxis_title="months since sign-up",
    yaxis_tickformat=".0%",
    height=420,
    margin={"t": 50, "b": 10},
)
st.plotly_chart(figure)
suppressed_cohorts = int(retention["is_suppressed"].astype(bool).sum())
if suppressed_cohorts:
    st.caption(
        f"{suppressed_cohorts:,} cohort-months of fewer than "
        f"{ui.min_group_size()} customers are suppressed and left out of the curves."
    )
