"""Sheet names in the every-branch 台账: what Excel accepts, and one per branch even when names clash."""

from __future__ import annotations

from handlers.ledger import MAX_TITLE, sheet_title


def test_names_excel_refuses_are_made_acceptable_and_unique() -> None:
    taken: set[str] = set()
    long = "某某市某某区某某街道某某社区第一网格党支部（含流动党员）联合党支部"
    titles = [
        sheet_title("第一党支部", taken),
        sheet_title("第一党支部", taken),  # the same name under another 党委
        sheet_title("机关[一]/后勤:党支部*?", taken),
        sheet_title(long, taken),
        sheet_title(long, taken),
    ]
    assert titles[:2] == ["第一党支部", "第一党支部(2)"]
    assert titles[2] == "机关_一__后勤_党支部__"
    assert titles[3] == long[:MAX_TITLE] and titles[4].endswith("(2)")
    assert all(len(t) <= MAX_TITLE and not set(t) & set("[]:*?/\\") for t in titles)
    assert len(set(titles)) == len(titles)
