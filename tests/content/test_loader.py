"""The loader takes named texts from any source, hashes and caches valid versions, and
describes every problem with its file, line, column and path."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.content.errors import ContentError, format_path
from app.content.loader import (
    clear_cache,
    content_hash,
    find_version_dirs,
    load_version,
    load_version_dir,
    read_version_dir,
)
from tests.content.broken_cases import EXTRA_TOOL, TINY_DIR, materialise, tiny_texts
from tests.content.support import BUNDLED_DIR, V1_DIR, load_tiny


def test_named_texts_load_as_text_or_bytes() -> None:
    as_bytes = tiny_texts()
    as_text = {name: data.decode() for name, data in as_bytes.items()}

    from_bytes = load_tiny(as_bytes)
    from_text = load_version(as_text, origin="drafts/tiny")

    assert from_bytes.content is not None
    assert from_text.content is not None
    assert from_text.content.key == from_bytes.content.key
    assert from_text.origin == "drafts/tiny"


def test_a_version_is_identified_by_id_version_and_hash() -> None:
    texts = tiny_texts()
    content = load_tiny(texts).content
    assert content is not None

    assert content.key == ("tiny", "1.0.0", content_hash(texts))
    assert len(content.content_hash) == 64


def test_the_hash_changes_with_any_byte_or_file_name() -> None:
    texts = tiny_texts()
    changed = dict(texts, **{"cadence.yaml": texts["cadence.yaml"] + b"\n"})
    renamed = {("stages/x.yaml" if n == "stages/review.yaml" else n): d for n, d in texts.items()}

    assert len({content_hash(texts), content_hash(changed), content_hash(renamed)}) == 3


def test_valid_versions_are_cached_by_hash() -> None:
    clear_cache()
    texts = tiny_texts()

    first = load_tiny(texts).content
    second = load_version(texts, origin="elsewhere").content

    assert first is not None
    assert second is first


def test_a_cached_version_is_still_checked_against_its_folder() -> None:
    texts = tiny_texts()
    assert load_tiny(texts).ok

    result = load_version(texts, origin="other/1.0.0", framework_id="other", version="1.0.0")

    assert not result.ok
    assert 'the framework id is "tiny" but its folder is named "other"' in result.errors[0].message


def test_the_version_must_match_its_folder(tmp_path: Path) -> None:
    folder = materialise(tiny_texts(), tmp_path / "tiny" / "2.0.0")

    result = load_version_dir(folder)

    (error,) = result.errors
    assert str(error) == (
        'tiny/2.0.0/framework.yaml, line 2, column 10, at version: the version is "1.0.0" '
        'but its folder is named "2.0.0"; make them match.'
    )


def test_reading_a_folder_skips_hidden_and_non_yaml_files(tmp_path: Path) -> None:
    folder = materialise(tiny_texts(), tmp_path / "tiny" / "1.0.0")
    (folder / "README.md").write_text("Notes for trainers.")
    (folder / ".draft.yaml").write_text("a: 1")
    (folder / ".git").mkdir()
    (folder / ".git" / "x.yaml").write_text("a: 1")

    assert set(read_version_dir(folder)) == set(tiny_texts())
    assert load_version_dir(folder).ok


def test_find_version_dirs_accepts_content_framework_or_version_folders(tmp_path: Path) -> None:
    materialise(tiny_texts(), tmp_path / "tiny" / "1.0.0")
    materialise(tiny_texts(), tmp_path / "tiny" / "1.1.0")

    expected = [tmp_path / "tiny" / "1.0.0", tmp_path / "tiny" / "1.1.0"]
    assert find_version_dirs(tmp_path) == expected
    assert find_version_dirs(tmp_path / "tiny") == expected
    assert find_version_dirs(tmp_path / "tiny" / "1.1.0") == [tmp_path / "tiny" / "1.1.0"]
    assert V1_DIR in find_version_dirs(BUNDLED_DIR)


def test_content_error_reads_as_one_sentence() -> None:
    error = ContentError(
        file="reunification/1.0.0/domains/substance-misuse.yaml",
        message='the id "sm-r1" is already used at line 8; give each factor its own id.',
        line=14,
        column=7,
        path=format_path(("risk_factors", 2, "id")),
    )

    assert str(error) == (
        "reunification/1.0.0/domains/substance-misuse.yaml, line 14, column 7, at "
        'risk_factors[2].id: the id "sm-r1" is already used at line 8; give each factor its '
        "own id."
    )
    assert str(ContentError("tiny/1.0.0/cadence.yaml", "this file is missing.")) == (
        "tiny/1.0.0/cadence.yaml: this file is missing."
    )


def test_errors_come_sorted_by_file_and_line() -> None:
    texts = tiny_texts()
    texts["levels.yaml"] = texts["levels.yaml"].replace(b"rank: 3", b"rank: three")
    texts["levels.yaml"] = texts["levels.yaml"].replace(b"rank: 1", b"rank: one")
    texts["cadence.yaml"] = b"first_review_after_weeks: six\n"

    errors = load_tiny(texts).errors

    assert [error.sort_key for error in errors] == sorted(error.sort_key for error in errors)


@pytest.mark.parametrize(
    ("yaml_text", "phrase"),
    [
        ("levels: {}", "this should be a list"),
        ("levels: [1, 2]", "this should be a mapping of keys and values, not the number 1"),
        ("levels: []\ntimepoints: []", "this list needs at least 2 items"),
        ("- a\n- b", "this should be a mapping of keys and values, not a list"),
    ],
)
def test_shape_errors_are_described_in_plain_words(yaml_text: str, phrase: str) -> None:
    texts = dict(tiny_texts(), **{"levels.yaml": yaml_text.encode()})

    messages = [error.message for error in load_tiny(texts).errors]

    assert any(phrase in message for message in messages), messages


def test_a_mistyped_key_gets_a_suggestion() -> None:
    texts = tiny_texts()
    texts["cadence.yaml"] = texts["cadence.yaml"].replace(
        b"review_every_weeks: 12", b"review_evry_weeks: 12"
    )

    messages = [error.message for error in load_tiny(texts).errors]

    assert (
        '"review_evry_weeks" is not a recognised key here (did you mean "review_every_weeks"?)'
        in (" ".join(messages))
    )


def test_a_non_text_file_name_is_refused() -> None:
    texts: dict[object, bytes] = dict(tiny_texts())
    texts[3] = b"a: 1"

    result = load_version(texts, origin="tiny/1.0.0")  # type: ignore[arg-type]

    assert any("a file name is not text" in error.message for error in result.errors)


def test_too_many_files_are_refused() -> None:
    texts = {f"domains/d{number}.yaml": b"id: x" for number in range(300)}

    (error,) = load_version(texts, origin="big").errors

    assert str(error) == "big: the version has more than 200 files; remove some."


def test_text_that_is_not_valid_unicode_is_refused() -> None:
    texts = {name: data.decode() for name, data in tiny_texts().items()}
    texts["cadence.yaml"] = "first_review_after_weeks: 6\nx: \ud800\n"

    result = load_version(texts, origin="tiny/1.0.0")

    (error,) = result.errors
    assert (error.line, error.column) == (2, 4)
    assert "not valid Unicode" in error.message


def test_the_tiny_fixture_is_a_complete_valid_version() -> None:
    result = load_version_dir(TINY_DIR)

    assert result.ok, [str(error) for error in result.errors]


def test_a_scored_tool_can_live_in_a_file_of_its_own() -> None:
    texts = {**tiny_texts(), "tools/extra.yaml": EXTRA_TOOL.encode()}

    result = load_tiny(texts)

    assert result.content is not None, [str(error) for error in result.errors]
    tools = result.content.rules.scored_tools
    assert [tool.id for tool in tools] == ["example-tool", "extra"]
    assert tools[1].applies_at == ("before-plan",)
    assert [band.label for band in tools[1].bands] == ["Low concern 0", "Some concern 1"]
