"""Text as entered, made safe for pages, PDFs, Word files and spreadsheets."""

from __future__ import annotations

import pytest

from app.summary.text import (
    LONG_WORD,
    REPLACEMENT,
    ZERO_WIDTH_SPACE,
    breakable,
    clean,
    csv_cell,
    direction,
    isolate,
    isolate_names,
    markdown_to_text,
)


def test_clean_replaces_what_xml_refuses_and_keeps_line_breaks() -> None:
    assert clean("a\x00b\x1bc\x7fd\x85e") == REPLACEMENT.join("abcde")
    assert clean("bell\x07") == f"bell{REPLACEMENT}"
    assert clean("one\r\ntwo\rthree\nfour\tfive") == "one\ntwo\nthree\nfour\tfive"
    assert clean("\ufffe\uffff") == REPLACEMENT * 2
    assert clean(None) == ""
    assert clean("<b>Zoë 👍</b>") == "<b>Zoë 👍</b>"  # escaping is the renderer's job


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello", "ltr"),
        ("مرحبا", "rtl"),
        ("שלום", "rtl"),
        ("123 مرحبا", "rtl"),  # digits are weak: the first strong character decides
        ("Ada said مرحبا", "ltr"),
        ("", "ltr"),
        ("👍", "ltr"),
    ],
)
def test_direction_follows_the_first_strong_character(text: str, expected: str) -> None:
    assert direction(text) == expected


def test_isolate_wraps_right_to_left_text_only() -> None:
    assert isolate("مرحبا") == "\u2068مرحبا\u2069"
    assert isolate("Hello") == "Hello"


def test_an_isolated_name_does_not_turn_our_sentence_right_to_left() -> None:
    sentence = f"{isolate('سارة')} went home on 1 March 2022"
    assert direction(sentence) == "ltr"
    assert direction(f"{isolate('Sara')} قالت") == "ltr"
    reason = isolate_names("سارة is aged 12 (more than 10)", ["سارة", "Ben"])
    assert reason == "\u2068سارة\u2069 is aged 12 (more than 10)"
    assert direction(reason) == "ltr"


def test_breakable_splits_only_very_long_runs() -> None:
    long = "x" * (LONG_WORD * 3 + 5)
    parts = breakable(f"short words {long} end").split(ZERO_WIDTH_SPACE)
    assert len(parts) == 4
    assert "".join(parts) == f"short words {long} end"
    assert breakable("x" * LONG_WORD) == "x" * LONG_WORD


def test_markdown_to_text_keeps_words_and_addresses() -> None:
    source = "Read **this** and *that*.\n\n- one\n- [two](https://example.test/two)"
    assert markdown_to_text(source) == (
        "Read this and that.\n• one\n• two (https://example.test/two)"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("Plain text", "Plain text"),
        ("a=b", "a=b"),
        # Full-width forms, which Excel folds to the ASCII ones.
        ("\uff1d1+1", "'\uff1d1+1"),
        ("\uff0b44", "'\uff0b44"),
        ("\uff0d5", "'\uff0d5"),
        ("\uff20SUM(A1)", "'\uff20SUM(A1)"),
        # An apostrophe is doubled, so that the export can be read back exactly.
        ("'quoted", "''quoted"),
    ],
)
def test_csv_cells_never_start_like_a_formula(value: str, expected: str) -> None:
    assert csv_cell(value) == expected
