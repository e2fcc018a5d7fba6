"""Segment profile: what sets each segment apart, and what to do with it."""

import plotly.graph_objects as go
import streamlit as st

from segwarehouse.dashboard import queries, ui

st.title("Segment profile")
ui.require_marts("profile")
connection = ui.connection()
segmentation = ui.segmentation()
definitions = queries.segment_definitions(connection, segmentation)


def cross_sell(segment_id: int, segment_name: str) -> None:
    """The segment's product categories, those it buys most over the base first."""
    st.markdown(f"**Categories to cross-sell to {segment_name}**")
    st.caption(
        "Lift is the category's share of this segment's revenue over its share of all "
        "customers' revenue: above 1 the segment favours it. Ranked are the categories with "
        "enough buyers (the build's category_affinity_min_buyer_count); a category this "
        "segment rarely buys but its neighbours do is a cross-sell lead."
    )
    affinity = queries.category_affinity(connection, segmentation, segment_id)
    if affinity.empty:
        st.info("No product categories in this published file's orders.")
        return
    ui.table(queries.display_table(affinity, queries.AFFINITY_COLUMNS))


if segmentation == "rfm":
    st.markdown(
        """
RFM segments are rules, not clusters: each customer gets a score from 1 to 5 for how
recently, how often and how much they bought, and the combination of scores names the segment.
The table gives each segment's definition and the action recommended for it.
"""
    )
    ui.table(queries.display_table(definitions, queries.DEFINITION_COLUMNS, suppressed=None))
    rfm_names = dict(zip(definitions["segment_id"], definitions["segment_name"], strict=True))
    chosen = st.selectbox(
        "Segment",
        options=definitions["segment_id"].tolist(),
        format_func=lambda value: f"{value} {rfm_names[value]}",
    )
    cross_sell(chosen, rfm_names[chosen])
    st.stop()

st.markdown(
    """
A k-means segment is a group of customers who behave alike. Its **centre** is the average
customer of the group; the chart shows, feature by feature, how far that centre lies from the
average of all customers, in **standard deviations** (after the feature's transform): bars far
to the right mean the segment has much more of that feature than most customers, bars to the
left much less, bars near zero do not distinguish it. The heat map compares all segments at
once.
"""
)
profiles = queries.segment_profiles(connection)
if profiles.empty:
    st.warning(
        "No k-means model in this published file (marts.dim_segment_profiles is empty): see "
        "marts.fct_segment_model_runs.fit_message for why none could be fitted."
    )
    st.stop()

names = dict(zip(definitions["segment_id"], definitions["segment_name"], strict=True))
segment_id = st.selectbox(
    "Segment",
    options=definitions["segment_id"].tolist(),
    format_func=lambda value: f"{value} {names[value]}",
)
definition = definitions[definitions["segment_id"] == segment_id].iloc[0]
profile = profiles[profiles["segment_id"] == segment_id]

st.subheader(f"{segment_id} {definition['segment_name']}")
st.markdown(
    f"**Description:** {definition['segment_description']}  \n**Recommended action:** "
    + (
        definition["recommended_action"]
        if not queries.is_missing(definition["recommended_action"])
        else "none recorded for k-means segments (add one in the segment_name_overrides seed's "
        "description, or read the profile)"
    )
)
st.markdown("**Most distinctive:** " + "; ".join(queries.distinctive_features(profile)) + ".")

left, right = st.columns(2)
with left:
    figure = go.Figure(
        go.Bar(
            x=profile["centroid_standardized"].astype(float).tolist(),
            y=profile["feature_name"].tolist(),
            orientation="h",
            marker_color=[
                "#1f77b4" if value >= 0 else "#d62728"
                for value in profile["centroid_standardized"].astype(float)
            ],
        )
    )
    figure.update_layout(
        title="Centre, in standard deviations",
        yaxis_autorange="reversed",
        height=420,
        margin={"t": 50, "b": 10},
    )
    st.plotly_chart(figure)
with right:
    ui.table(queries.display_table(profile, queries.PROFILE_COLUMNS, suppressed=None))

matrix = profiles.pivot(
    index="feature_name", columns="segment_name", values="centroid_standardized"
)
matrix = matrix.reindex(
    index=profiles.drop_duplicates("feature_name")["feature_name"],
    columns=profiles.drop_duplicates("segment_id")["segment_name"],
)
heatmap = go.Figure(
    go.Heatmap(
        z=matrix.to_numpy(dtype=float),
        x=matrix.columns.tolist(),
        y=matrix.index.tolist(),
        colorscale="RdBu",
        zmid=0,
        colorbar_title="sd",
    )
)
heatmap.update_layout(
    title="All segments: standard deviations from the average",
    yaxis_autorange="reversed",
    height=420,
    margin={"t": 50, "b": 10},
)
st.plotly_chart(heatmap)
st.caption(
    f"Model {profiles['_model_version'].iloc[0]}, trained on features as of "
    f"{queries.format_date(profiles['as_of_date'].iloc[0])}."
)
cross_sell(segment_id, definition["segment_name"])
