from segwarehouse.experiments import COMPARISON_COLUMNS, heterogeneity_across_segments


def model(dbt, session):
    comparisons = (
        dbt.ref("int_experiment_results_suppressed")
        .filter("not is_control")
        .project(", ".join(COMPARISON_COLUMNS))
        .order("experiment_name, segmentation, variant, segment_id")
        .df()
    )
    return heterogeneity_across_segments(comparisons)
