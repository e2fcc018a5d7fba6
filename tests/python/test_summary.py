from datetime import date
from decimal import Decimal

import pandas as pd

from segwarehouse.summary import format_summary


def test_summary_lists_each_segment_and_the_totals():
    summary = pd.DataFrame(
        {
            "segment_id": [1, 2],
            "customer_count": [750, 250],
            "customer_share": [0.75, 0.25],
            "revenue": [Decimal("1000.00"), Decimal("3000.50")],
            "revenue_share": [1000 / 4000.5, 3000.5 / 4000.5],
            "average_order_value": [Decimal("40.00"), None],
            "as_of_date": [date(2025, 12, 31)] * 2,
        }
    )
    lines = format_summary(summary).splitlines()
    assert lines[0] == "Segments as of 2025-12-31"
    assert lines[3].split() == ["1", "750", "75.0%", "1,000.00", "25.0%", "40.00"]
    assert lines[4].split()[:3] == ["2", "250", "25.0%"]
    assert lines[-1].split() == ["total", "1,000", "100.0%", "4,000.50"]
