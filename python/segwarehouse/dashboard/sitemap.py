"""The dashboard's pages: their files, titles and URLs, and what each shows once rendered
(read by app.py, and by the browser check to know when a page has finished drawing)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
VIEWS = APP.parent / "views"


@dataclass(frozen=True)
class Page:
    name: str
    title: str
    charts: int
    tables: int

    @property
    def file(self) -> Path:
        return VIEWS / f"{self.name}.py"


# In navigation order; the first is the default page. charts and tables: what the page shows
# on the demo and test data with the k-means segmentation.
PAGES = [
    Page("overview", "Overview", charts=1, tables=1),
    Page("profile", "Segment profile", charts=2, tables=1),
    Page("movement", "Movement", charts=2, tables=1),
    Page("value", "Value", charts=3, tables=1),
    Page("campaigns", "Campaigns", charts=1, tables=1),
    Page("experiments", "Experiments", charts=1, tables=2),
    Page("quality", "Data quality", charts=0, tables=3),
]
