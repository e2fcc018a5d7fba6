from datetime import date
from decimal import Decimal

import pandas as pd

from segwarehouse.summary import format_lifetime_values, format_quarantine, format_summary


def test_summary_lists_each_segment_and_the_totals_per_segmentation():
    summary = pd.DataFrame(
        {
            "segmentation": ["kmeans", "kmeans", "rfm"],
            "segment_id": [1, 2, 1],
            "segment_name": ["High-value loyal", "Lapsed", "Champions"],
            "customer_count": [750, 250, 1000],
            "customer_share": [0.75, 0.25, 1.0],
            "revenue": [Decimal("1000.00"), Decimal("3000.50"), Decimal("4000.50")],
            "revenue_share": [1000 / 4000.5, 3000.5 / 4000.5, 1.0],
            "average_order_value": [Decimal("40.00"), None, Decimal("20.00")],
            "is_suppressed": [False, False, False],
            "as_of_date": [date(2025, 12, 31)] * 3,
        }
    )
    lines = format_summary(summary).splitlines()
    assert lines[0] == "Segments (k-means) as of 2025-12-31"
    assert lines[3].split() == [
        "1",
        "High-value",
        "loyal",
        "750",
        "75.0%",
        "1,000.00",
        "25.0%",
        "40.00",
    ]
    assert lines[4].split() == ["2", "Lapsed", "250", "25.0%", "3,000.50", "75.0%", "-"]
    assert lines[6].split() == ["total", "1,000", "100.0%", "4,000.50"]
    assert lines[8] == "RFM segments as of 2025-12-31"
    assert lines[11].split()[:3] == ["1", "Champions", "1,000"]
    assert lines[-1].split() == ["total", "1,000", "100.0%", "4,000.50"]


def test_a_suppressed_segment_shows_no_figures_and_totals_still_add_up():
    summary = pd.DataFrame(
        {
            "segmentation": ["rfm", "rfm"],
            "segment_id": [1, 2],
            "segment_name": ["Champions", "Promising"],
            "customer_count": [995, None],
            "customer_share": [0.995, None],
            "revenue": [Decimal("3990.00"), None],
            "revenue_share": [0.9975, None],
            "average_order_value": [Decimal("20.00"), None],
            "is_suppressed": [False, True],
            "as_of_date": [date(2025, 12, 31)] * 2,
        }
    )
    text = format_summary(summary, totals={"rfm": (1000, 4000.0)}, unfitted="only 4 customers")
    lines = text.splitlines()
    assert lines[0] == "No k-means segments as of 2025-12-31: only 4 customers"
    assert lines[6] == "  2  Promising  suppressed: too few customers to publish"
    assert lines[-1].split() == ["total", "1,000", "100.0%", "4,000.00"]
    assert "nan" not in text


def test_a_summary_without_revenue_shows_dashes_not_nan():
    summary = pd.DataFrame(
        {
            "segmentation": ["rfm"],
            "segment_id": [12],
            "segment_name": ["No purchases"],
            "customer_count": [40],
            "customer_share": [1.0],
            "revenue": [Decimal("0.00")],
            "revenue_share": [float("nan")],
            "average_order_value": [None],
            "is_suppressed": [False],
            "as_of_date": [date(2024, 6, 30)],
        }
    )
    lines = format_summary(summary).splitlines()
    assert lines[3].split() == ["12", "No", "purchases", "40", "100.0%", "0.00", "-", "-"]


def test_lifetime_values_line_gives_the_total_or_why_there_is_none():
    assert format_lifetime_values(120, Decimal("5432.1"), 12, None) == (
        "Customer lifetime value over the next 12 months: 5,432.10 from 120 customers with a"
        " prediction"
    )
    assert format_lifetime_values(0, None, None, "BG/NBD and Gamma-Gamma not fitted: x") == (
        "Customer lifetime value: not predicted: BG/NBD and Gamma-Gamma not fitted: x"
    )


def test_quarantine_table_lists_each_raw_table_with_its_reasons():
    tables = pd.DataFrame(
        {
            "source_table": ["order_lines", "customers"],
            "raw_rows": [1663, 300],
            "quarantined_rows": [286, 0],
            "quarantined_amount": [24306.1, None],
            "reasons": [
                [
                    {"reason": "orphan_reference", "row_count": 280},
                    {"reason": "null_key", "row_count": 6},
                ],
                None,
            ],
        }
    )
    lines = format_quarantine(tables).splitlines()
    assert lines[0] == "Raw rows quarantined (marts.fct_quarantine_summary)"
    assert lines[3].split() == [
        "order_lines", "1,663", "286", "17.2%", "24,306.10", "orphan_reference", "280,",
        "null_key", "6",
    ]  # fmt: skip
    assert lines[4].split() == ["customers", "300", "0", "0.0%", "-", "-"]


def test_quarantine_table_shows_identical_copies_when_distinct_merged_some():
    tables = pd.DataFrame(
        {
            "source_table": ["order_lines"],
            "raw_rows": [3829],
            "identical_copies": [157],
            "quarantined_rows": [0],
            "quarantined_amount": [None],
            "reasons": [None],
        }
    )
    lines = format_quarantine(tables).splitlines()
    assert lines[1].split()[:4] == ["table", "raw", "rows", "copies"]
    assert lines[3].split() == ["order_lines", "3,829", "157", "0", "0.0%", "-", "-"]
    assert lines[4].startswith("copies: identical rows")
