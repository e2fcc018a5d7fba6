from datetime import date
from decimal import Decimal

import pandas as pd

from segwarehouse.summary import format_summary


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
