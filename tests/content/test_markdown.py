"""Guidance Markdown renders to safe HTML with GOV.UK classes; anything else is escaped."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from markupsafe import Markup

from app.content.markdown import markdown_problem, render_guidance


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(str(render_guidance(text)), "html.parser")


def test_paragraphs_emphasis_and_lists_get_govuk_classes() -> None:
    html = soup("One *two* **three**.\n\n- a\n- b\n\n1. first\n2. second\n")

    assert html.select_one("p.govuk-body em").text == "two"
    assert html.select_one("p.govuk-body strong").text == "three"
    assert [li.text for li in html.select("ul.govuk-list.govuk-list--bullet li")] == ["a", "b"]
    assert [li.text for li in html.select("ol.govuk-list.govuk-list--number li")] == [
        "first",
        "second",
    ]


def test_links_are_govuk_links_that_open_in_a_new_tab() -> None:
    link = soup("See [the guide](https://example.org/guide).").select_one("a")

    assert link is not None
    assert link["href"] == "https://example.org/guide"
    assert link["class"] == ["govuk-link"]
    assert link["rel"] == ["noreferrer", "noopener"]
    assert link["target"] == "_blank"
    assert link.text == "the guide (opens in new tab)"


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<a href="https://x.org" onclick="steal()">x</a>',
        "[click](javascript:alert(1))",
        "[file](file:///etc/passwd)",
        "![image](https://example.org/x.png)",
        "# Heading",
    ],
)
def test_anything_outside_the_subset_is_escaped_not_rendered(text: str) -> None:
    html = soup(text)

    assert html.find("script") is None
    assert html.find("img") is None
    assert html.find("h1") is None
    assert all(link["href"].startswith("https://") for link in html.find_all("a"))
    assert not any(tag.has_attr("onclick") for tag in html.find_all(True))


def test_the_result_is_markup_and_empty_text_renders_nothing() -> None:
    assert isinstance(render_guidance("x"), Markup)
    assert render_guidance(None) == Markup("")
    assert render_guidance("") == Markup("")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("# Heading", "headings are not allowed"),
        ("Use <b>bold</b>", "HTML is not allowed"),
        ("[x](javascript:alert(1))", 'the link "javascript:alert(1)" is not allowed'),
        ("[x](/relative)", 'the link "/relative" is not allowed'),
        ("![x](https://x.org/a.png)", "images are not allowed"),
        ("> quoted", "quotation blocks"),
        ("text\n\n    indented", "indented code blocks"),
        ("```\ncode\n```", "code blocks"),
        ("Use `code`", "code spans"),
        ("a\n\n---\n\nb", "horizontal rules"),
    ],
)
def test_the_loader_check_names_what_is_not_allowed(text: str, problem: str) -> None:
    found = markdown_problem(text)

    assert found is not None
    assert problem in found


@pytest.mark.parametrize(
    "text",
    ["Plain text.", "**Bold**, *italic* and [a link](https://example.org).", "- one\n- two"],
)
def test_allowed_markdown_has_no_problem(text: str) -> None:
    assert markdown_problem(text) is None
