"""The safe YAML reader returns plain data with marks, and refuses unsafe or ambiguous YAML."""

from __future__ import annotations

from datetime import date

import pytest

from app.content.yamlsafe import Mark, YamlProblem, read_yaml


def test_plain_scalars_resolve_predictably() -> None:
    document = read_yaml(
        "a: yes\nb: no\nc: true\nd: 12\ne: 1.5\nf: 2025-01-31\ng: ~\nh: '12'\ni: 1.0.0\n"
    )

    assert document.data == {
        "a": "yes",
        "b": "no",
        "c": True,
        "d": 12,
        "e": 1.5,
        "f": date(2025, 1, 31),
        "g": None,
        "h": "12",
        "i": "1.0.0",
    }


def test_sequences_become_tuples_and_marks_are_recorded() -> None:
    document = read_yaml("items:\n  - id: one\n  - id: two\n")

    assert document.data == {"items": ({"id": "one"}, {"id": "two"})}
    assert document.value_mark(("items", 1, "id")) == Mark(3, 9)
    assert document.key_mark(("items", 1, "id")) == Mark(3, 5)
    # A path that was never written falls back to its nearest written ancestor.
    assert document.value_mark(("items", 1, "missing")) == Mark(3, 5)


@pytest.mark.parametrize(
    ("text", "phrase", "line"),
    [
        ("a: &x 1\n", "the anchor &x is not allowed", 1),
        ("a: 1\nb: *x\n", "the alias *x is not allowed", 2),
        ("a: !!str 1\n", 'the tag "!!str" is not allowed', 1),
        ("a: !!python/name:os.system\n", 'the tag "!!python/name:os.system" is not allowed', 1),
        ("a: 1\na: 2\n", 'the key "a" appears twice in this mapping (first at line 1)', 2),
        ("? [a]\n: 1\n", "a key must be plain text", 1),
        ("a:\n\t- 1\n", "a tab is used for indentation", 2),
        ("a: 1\n---\nb: 2\n", "more than one YAML document", 2),
        ("a: 2025-02-30\n", "2025-02-30 is not a real date", 1),
        ("a: 'unclosed\n", "not valid YAML", 2),
    ],
)
def test_unsafe_or_ambiguous_yaml_is_refused_with_a_mark(text: str, phrase: str, line: int) -> None:
    with pytest.raises(YamlProblem) as caught:
        read_yaml(text)

    assert phrase in caught.value.message
    assert caught.value.mark is not None
    assert caught.value.mark.line == line


def test_an_empty_document_reads_as_nothing() -> None:
    assert read_yaml("").data is None
    assert read_yaml("# only a comment\n").data is None
