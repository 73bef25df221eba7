"""Every broken fixture is refused with the one sentence a trainer needs, and never crashes
the loader or displaces a good version."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.content.loader import MAX_FILE_BYTES, load_version_dir
from app.content.registry import read_registry
from tests.content.broken_cases import CASES, BrokenCase, materialise, tiny_texts
from tests.content.support import load_tiny

IDS = [case.name for case in CASES]


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_broken_content_names_file_line_and_fix(case: BrokenCase) -> None:
    result = load_tiny(case.texts())

    assert not result.ok
    assert result.content is None
    expected_file = f"tiny/1.0.0/{case.file}"
    matching = [
        error
        for error in result.errors
        if error.file == expected_file and error.line == case.line and case.phrase in error.message
    ]
    assert matching, "\n".join(str(error) for error in result.errors)
    for error in result.errors:
        sentence = str(error)
        assert "\n" not in sentence
        assert sentence.startswith("tiny/1.0.0")
        assert sentence.endswith(".")
        assert "unexpected problem" not in sentence


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_broken_version_beside_a_good_one_leaves_the_good_one_served(
    case: BrokenCase, tmp_path: Path
) -> None:
    materialise(tiny_texts(), tmp_path / "tiny" / "1.0.0")
    materialise(case.texts(), tmp_path / "tiny" / "1.0.1")

    registry = read_registry(tmp_path)

    assert registry.versions("tiny") == ("1.0.0",)
    assert registry.latest("tiny").version == "1.0.0"
    assert "tiny/1.0.1" in registry.errors


def test_a_version_folder_that_is_not_semantic_versioning_is_refused(tmp_path: Path) -> None:
    materialise(tiny_texts(), tmp_path / "tiny" / "1.0.0")
    materialise(tiny_texts(), tmp_path / "tiny" / "1.0")

    registry = read_registry(tmp_path)

    (error,) = registry.errors["tiny/1.0"]
    assert str(error) == (
        'tiny/1.0: the folder name "1.0" is not a semantic version; name version folders '
        "MAJOR.MINOR.PATCH, for example 1.0.0."
    )
    assert registry.versions("tiny") == ("1.0.0",)


def test_a_framework_folder_that_is_not_an_id_is_refused(tmp_path: Path) -> None:
    materialise(tiny_texts(), tmp_path / "Tiny Framework" / "1.0.0")

    result = load_version_dir(tmp_path / "Tiny Framework" / "1.0.0")

    assert 'the folder name "Tiny Framework" is not a valid framework id' in str(result.errors[0])


def test_an_oversized_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    folder = materialise(tiny_texts(), tmp_path / "tiny" / "1.0.0")
    padding = "# padding\n" * (MAX_FILE_BYTES // 10 * 4)
    (folder / "domains" / "alpha.yaml").write_text(padding)

    result = load_version_dir(folder)

    (error,) = result.errors
    assert error.file == "tiny/1.0.0/domains/alpha.yaml"
    assert "larger than the 256 KB allowed; split it or shorten it" in error.message


def test_a_version_too_large_in_total_is_refused() -> None:
    texts = tiny_texts()
    filler = b"# filler\n" * (MAX_FILE_BYTES // 9 - 10)
    for number in range(20):
        texts[f"domains/filler-{number}.yaml"] = filler

    result = load_tiny(texts)

    assert any("add up to more than 4 MB" in error.message for error in result.errors)


def test_every_error_is_reported_not_only_the_first() -> None:
    texts = tiny_texts()
    texts["levels.yaml"] = texts["levels.yaml"].replace(b"colour: yellow", b"color: yellow")
    texts["cadence.yaml"] = b"first_review_after_weeks: six\n"

    result = load_tiny(texts)

    files = {error.file for error in result.errors}
    assert files == {"tiny/1.0.0/levels.yaml", "tiny/1.0.0/cadence.yaml"}
    assert len(result.errors) >= 4


def test_an_error_in_a_questions_section_points_at_the_key_at_fault() -> None:
    texts = tiny_texts()
    texts["stages/assess.yaml"] = texts["stages/assess.yaml"].replace(b"    title: Start\n", b"", 1)

    result = load_tiny(texts)

    (error,) = result.errors
    # The section's kind is also called "questions": the error must not land on that list.
    assert error.path == "sections[0]"
    assert error.line == 5
    assert 'the required key "title" is missing' in error.message


def test_root_causes_are_listed_before_the_errors_they_cause() -> None:
    texts = tiny_texts()
    texts["domains/alpha.yaml"] = texts["domains/alpha.yaml"].replace(
        b"id: alpha\n", b"id: alfa\n", 1
    )

    result = load_tiny(texts)

    first, *rest = result.errors
    assert first.file == "tiny/1.0.0/domains/alpha.yaml"
    assert 'the file is named alpha.yaml but its id is "alfa"' in first.message
    assert rest
    assert all(error.knock_on for error in rest)
    assert any('there is no domain with the id "alpha"' in error.message for error in rest)


def test_a_link_out_of_the_version_folder_is_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2-secret\n")
    folder = materialise(tiny_texts(), tmp_path / "tiny" / "1.0.0")
    (folder / "domains" / "alpha.yaml").unlink()
    (folder / "domains" / "alpha.yaml").symlink_to(secret)

    result = load_version_dir(folder)

    (error,) = result.errors
    assert error.file == "tiny/1.0.0/domains/alpha.yaml"
    assert "is a link to another place, which Homeward does not follow" in error.message
    assert "hunter2" not in str(error)


def test_a_linked_folder_inside_a_version_is_not_followed(tmp_path: Path) -> None:
    elsewhere = materialise(tiny_texts(), tmp_path / "elsewhere")
    folder = materialise(tiny_texts(), tmp_path / "tiny" / "1.0.0")
    for file in (folder / "domains").iterdir():
        file.unlink()
    (folder / "domains").rmdir()
    (folder / "domains").symlink_to(elsewhere / "domains")

    result = load_version_dir(folder)

    (error,) = result.errors
    assert error.file == "tiny/1.0.0/domains"


def test_an_oversized_file_does_not_misstate_its_size() -> None:
    texts = tiny_texts()
    texts["domains/alpha.yaml"] = b"# padding\n" * (MAX_FILE_BYTES // 10 + 1)

    result = load_tiny(texts)

    (error,) = result.errors
    assert error.message == ("the file is larger than the 256 KB allowed; split it or shorten it.")
