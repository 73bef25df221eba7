"""What the PDF's template is given (app.summary.pdf.typst_data): texts cleaned, their
direction, and the runs too long for their line marked, so that the template breaks them
there and nowhere else."""

from __future__ import annotations

from typing import Any

from app.summary.document import Paragraph, Table
from app.summary.pdf import column_characters, typst_data
from tests.summary.support import summary_of


def blocks(*blocks: Paragraph | Table, large_print: bool = False) -> list[dict[str, Any]]:
    doc = summary_of(*blocks, large_print=large_print)
    found: list[dict[str, Any]] = typst_data(doc)["sections"][0]["blocks"]
    return found


def test_plain_text_is_a_string_and_a_run_longer_than_any_word_is_marked() -> None:
    plain, pasted = blocks(
        Paragraph("Seen at home.\tAll well."),
        Paragraph("See https://example.test/" + "a" * 40 + " for it."),
    )
    assert plain["text"] == "Seen at home. All well."
    assert pasted["text"] == {
        "parts": ["See ", {"long": "https://example.test/" + "a" * 40}, " for it."],
        "rtl": False,
    }


def test_a_word_wider_than_its_column_is_marked_and_one_that_fits_is_not() -> None:
    table = Table("Entries", ("Date", "Source"), (("Safeguarding", "Safeguarding"),), (10, 90))
    narrow, wide = column_characters(table, large_print=False)
    assert narrow < len("Safeguarding") < wide
    (data,) = blocks(table)
    assert data["rows"] == [[{"parts": [{"long": "Safeguarding"}], "rtl": False}, "Safeguarding"]]
    # Large print holds fewer characters in the same column.
    assert column_characters(table, large_print=True)[1] < wide


def test_right_to_left_text_says_so() -> None:
    (data,) = blocks(Paragraph("قالت الأم"))
    assert data["text"] == {"parts": ["قالت الأم"], "rtl": True}
