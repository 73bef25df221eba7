"""The page checker itself must catch what it promises to catch."""

import pytest

from tests.support.html import HtmlProblem, check_html

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
