"""The page checker itself must catch what it promises to catch."""

import pytest

from tests.support.html import HtmlProblem, _shape, check_html

GOOD = (
    "<!DOCTYPE html><html lang='en'><head><title>A page</title></head>"
    "<body><h1 id='a'>Heading</h1><p id='b'>Text</p></body></html>"
)


def test_a_good_page_passes() -> None:
    check_html(GOOD)


@pytest.mark.parametrize(
    ("page", "problem"),
    [
        (GOOD.replace("<title>A page</title>", ""), "no <title>"),
        (GOOD.replace("<p id='b'>Text</p>", "<h1>Second</h1>"), "2 <h1>"),
        (GOOD.replace("id='b'", "id='a'"), "Duplicate ids"),
        (GOOD.replace("<p id='b'>Text</p>", "<p>Text</div>"), "does not parse"),
        (GOOD.replace("<!DOCTYPE html>", ""), "does not parse"),
    ],
)
def test_bad_pages_are_caught(page: str, problem: str) -> None:
    with pytest.raises(HtmlProblem, match=problem):
        check_html(page)


def test_fragments_need_no_title_but_unique_ids() -> None:
    check_html("<div id='x'>Fragment</div>", fragment=True)
    with pytest.raises(HtmlProblem, match="Duplicate ids"):
        check_html("<div id='x'></div><span id='x'></span>", fragment=True)


def test_a_page_of_a_checked_shape_is_still_checked_for_what_could_break_it() -> None:
    """The strict parse runs once per shape of markup: a page differing from a checked one
    only in plain text or attribute values shares its shape; any other difference does not."""
    same = GOOD.replace("Heading", "Another heading, (2)").replace("id='b'", "id='c'")
    assert _shape(same) == _shape(GOOD)
    for different in (
        GOOD.replace("<p id='b'>", "<div id='b'>"),
        GOOD.replace("<p id='b'>", "<p id='b' hidden>"),
        GOOD.replace("Text", "Te&xt"),
        GOOD.replace("Text", "Te<xt"),
        GOOD.replace("Text", "Te\x01xt"),
        GOOD.replace("id='b'", "id='b\"'"),
    ):
        assert _shape(different) != _shape(GOOD), different
    check_html(GOOD)
    with pytest.raises(HtmlProblem, match="does not parse"):
        check_html(GOOD.replace("Text", "Te\x01xt"))
