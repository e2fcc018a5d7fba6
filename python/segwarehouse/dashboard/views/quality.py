"""Data quality: raw rows set aside by the quarantine, and drift since the previous as-of date."""

import streamlit as st

from segwarehouse.dashboard import queries, ui

st.title("Data quality")
ui.require_marts("quality")
connection = ui.connection()
segmentation = ui.segmentation()
min_group_size = ui.min_group_size()

st.markdown(
    """
**Quarantine.** Every raw row either feeds the marts or is set aside with a reason (a missing
key, a duplicate, an impossible amount or date, ...). A large share quarantined in a table
means its figures rest on part of the data: look at the reasons before trusting them.
"""
)
quarantine = queries.quarantine_summary(connection)
columns = st.columns(3)
columns[0].metric("Raw rows", queries.format_count(quarantine["raw_rows"].sum()))
columns[1].metric("Quarantined", queries.format_count(quarantine["quarantined_rows"].sum()))
columns[2].metric(
    "Tables with quarantined rows", f"{int((quarantine['quarantined_rows'] > 0).sum()):,}"
)
ui.table(queries.display_table(quarantine, queries.QUARANTINE_COLUMNS, suppressed=None))

st.subheader("Segment share drift")
drift = queries.share_drift(connection, segmentation, min_group_size)
st.markdown(
    """
Each segment's share of customers at the latest as-of date against the previous one. A segment
is flagged **drifted** when its share moved by more than the build's threshold (5 points by
default): the customer base changed, or the segmentation no longer fits it. Shares of segments
with fewer than """
    + f"{min_group_size} customers on either date are suppressed."
)
if drift.empty:
    st.info("No share drift yet: it needs a second as-of date (see the Movement page).")
else:
    dates = (
        f"{queries.format_date(drift['previous_as_of_date'].dropna().max())} → "
        f"{queries.format_date(drift['as_of_date'].iloc[0])}"
    )
    st.metric(
        f"{ui.segmentation_label()} segments drifted ({dates})",
        f"{int(drift['is_drifted'].fillna(False).astype(bool).sum()):,} of {len(drift):,}",
    )
    ui.table(queries.display_table(drift, queries.SHARE_DRIFT_COLUMNS))

st.subheader("Feature drift")
st.markdown(
    """
For each feature the k-means model clusters on, the **population stability index (PSI)**
measures how far its distribution at the latest as-of date has moved from the data the model
was trained on: below 0.1 little change, above the threshold (0.2 by default) a significant
shift, and a sign that the model may need retraining. Features counted in days to the as-of
date (recency, tenure) drift with the calendar as well.
"""
)
features = queries.feature_drift(connection)
if features.empty:
    st.info("No feature drift recorded (no k-means model has scored a build yet).")
else:
    st.metric(
        f"Features drifted (as of {queries.format_date(features['as_of_date'].iloc[0])})",
        f"{int(features['is_drifted'].astype(bool).sum()):,} of {len(features):,}",
    )
    ui.table(queries.display_table(features, queries.FEATURE_DRIFT_COLUMNS, suppressed=None))
