"""The loader never raises, whatever it is given: every problem is a ContentError."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.content.errors import ContentError
from app.content.loader import LoadResult
from app.content.yamlsafe import Document, YamlProblem, read_yaml
from tests.content.broken_cases import tiny_texts
from tests.content.support import V1_DIR, load_tiny

TINY = tiny_texts()
FILE_NAMES = sorted(TINY)
FUZZ = settings(deadline=None, max_examples=120, suppress_health_check=[HealthCheck.too_slow])


def assert_refused_cleanly(result: LoadResult) -> None:
    for error in result.errors:
        assert isinstance(error, ContentError)
        assert "unexpected problem" not in error.message
        assert "\n" not in str(error)
    assert result.ok == (not result.errors)


@FUZZ
@given(st.text())
def test_read_yaml_returns_a_document_or_a_problem(text: str) -> None:
    outcome: Document | YamlProblem
    try:
        outcome = read_yaml(text)
    except YamlProblem as problem:
        outcome = problem
    assert isinstance(outcome, Document) or outcome.message


@FUZZ
@given(st.sampled_from(FILE_NAMES), st.text())
def test_any_text_in_any_file_never_raises(name: str, text: str) -> None:
    assert_refused_cleanly(load_tiny(dict(TINY, **{name: text.encode("utf-8", "surrogatepass")})))


@FUZZ
@given(st.sampled_from(FILE_NAMES), st.binary(max_size=2000))
def test_any_bytes_in_any_file_never_raise(name: str, data: bytes) -> None:
    assert_refused_cleanly(load_tiny(dict(TINY, **{name: data})))


@FUZZ
@given(st.sampled_from(FILE_NAMES), st.data())
def test_small_edits_to_valid_files_never_raise(name: str, data: st.DataObject) -> None:
    text = TINY[name].decode()
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        position = data.draw(st.integers(min_value=0, max_value=len(text)))
        cut = data.draw(st.integers(min_value=0, max_value=6))
        insert = data.draw(
            st.sampled_from(
                [
                    "",
                    " ",
                    "\t",
                    ":",
                    "-",
                    "[",
                    "]",
                    "{",
                    "'",
                    "&a",
                    "*a",
                    "!x",
                    "\n",
                    "- ",
                    "# ",
                    "x",
                    "1",
                ]
            )
        )
        text = text[:position] + insert + text[position + cut :]

    assert_refused_cleanly(load_tiny(dict(TINY, **{name: text.encode()})))


yaml_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["low", "al-r1", "alpha", "planned", "factor", "all", "type", "id"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "type",
                    "label",
                    "when",
                    "all",
                    "any",
                    "not",
                    "factor",
                    "answer",
                    "equals",
                    "level",
                    "questions",
                    "options",
                    "sources",
                    "child",
                    "age",
                    "at_least",
                    "kind",
                    "points",
                    "bands",
                    "items",
                    "max",
                    "min",
                    "text",
                    "guidance",
                ]
            )
            | st.text(max_size=6),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@FUZZ
@given(st.sampled_from(FILE_NAMES), yaml_values)
def test_well_formed_yaml_of_any_shape_never_raises(name: str, value: Any) -> None:
    text = yaml.safe_dump(value, allow_unicode=True)

    assert_refused_cleanly(load_tiny(dict(TINY, **{name: text.encode()})))


V1 = {path.relative_to(V1_DIR).as_posix(): path.read_bytes() for path in V1_DIR.rglob("*.yaml")}


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(V1)), st.data())
def test_edits_to_the_bundled_content_never_raise(name: str, data: st.DataObject) -> None:
    text = V1[name].decode()
    position = data.draw(st.integers(min_value=0, max_value=len(text)))
    cut = data.draw(st.integers(min_value=0, max_value=40))
    text = text[:position] + data.draw(st.text(max_size=5)) + text[position + cut :]

    from app.content.loader import load_version

    result = load_version(dict(V1, **{name: text.encode("utf-8", "surrogatepass")}), origin="v1")

    assert_refused_cleanly(result)
