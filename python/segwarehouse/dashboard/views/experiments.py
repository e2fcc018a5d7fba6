"""Experiments: each A/B test's lift per segment, with its confidence interval and p-value."""

import plotly.graph_objects as go
import streamlit as st

from segwarehouse.dashboard import queries, ui

st.title("Experiments")
ui.require_marts("experiments")
connection = ui.connection()
segmentation = ui.segmentation()

st.markdown(
    """
For each A/B test, the customers of each segment are compared arm by arm with the **control**
arm of the same segment. **Conversion** is the share of assigned customers who ordered within
the test's window; the **lift** is the variant minus control (in percentage points for
conversion, in money per customer for revenue). The **95% confidence interval** is the range
of lifts the data is compatible with: when it includes 0 (the dot's bar crosses the dashed
line), the test shows no clear effect in that segment. The **p-value** is the chance of a lift
at least this large if the variant had no effect; with many segments compared at once, expect
about one in twenty below 0.05 by chance alone, which the **adjusted p (BH)** corrects for
(Benjamini-Hochberg across the experiment's segments: below 0.05, at most one in twenty such
findings is expected to be a false alarm). *Sample too small* marks cells whose intervals are
unreliable. The last table asks whether the effect **differs between segments**: a small
p-value of Cochran's Q says the segments' lifts differ by more than chance; I² is the share of
their spread that is real. Segments are today's, so read these lifts as descriptive.
"""
)

results = queries.experiment_results(connection, segmentation)
if results.empty:
    st.info("No experiment assignments in this published file.")
    st.stop()

experiment = st.selectbox("Experiment", options=results["experiment_name"].unique().tolist())
cells = results[results["experiment_name"] == experiment].reset_index(drop=True)

compared = cells[
    (cells["variant"] != "control")
    & ~cells["is_suppressed"].astype(bool)
    & cells["conversion_lift_absolute"].notna()
]
figure = go.Figure()
for variant, rows in compared.groupby("variant"):
    lift = rows["conversion_lift_absolute"].astype(float) * 100
    figure.add_trace(
        go.Scatter(
            x=lift,
            y=rows["segment_id"].astype(str) + " " + rows["segment_name"],
            mode="markers",
            name=str(variant),
            error_x={
                "type": "data",
                "symmetric": False,
                "array": rows["conversion_lift_ci_upper"].astype(float) * 100 - lift,
                "arrayminus": lift - rows["conversion_lift_ci_lower"].astype(float) * 100,
            },
        )
    )
figure.add_vline(x=0, line_dash="dash", line_color="grey")
figure.update_layout(
    title="Conversion lift over control, percentage points, with 95% confidence interval",
    xaxis_title="lift (percentage points)",
    yaxis_autorange="reversed",
    height=max(320, 40 * compared["segment_id"].nunique() + 140),
    margin={"t": 50, "b": 10},
)
st.plotly_chart(figure)
st.markdown("**Conversion**")
ui.table(queries.display_table(cells, queries.EXPERIMENT_CONVERSION_COLUMNS))
st.markdown("**Revenue per customer**")
ui.table(queries.display_table(cells, queries.EXPERIMENT_REVENUE_COLUMNS))
ui.suppressed_note(sorted(set(cells.loc[cells["is_suppressed"].astype(bool), "segment_name"])))
st.markdown("**Does the effect differ between segments?**")
ui.table(queries.experiment_heterogeneity(connection, segmentation, experiment))
