"""The registry serves every valid version, newest release as latest, and keeps the errors of
refused versions without letting them stop anything."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.content.loader import LoadResult, load_version
from app.content.registry import (
    ContentRegistry,
    UnknownContentError,
    load_registry,
    read_registry,
    semver_key,
)
from tests.content.broken_cases import materialise, tiny_texts
from tests.content.support import BUNDLED_DIR


def tiny_as(version: str) -> dict[str, bytes]:
    """The tiny version relabelled with another version number."""
    texts = tiny_texts()
    for name in ("framework.yaml",):
        texts[name] = texts[name].replace(b"1.0.0", version.encode())
    return texts


def load_as(version: str) -> LoadResult:
    return load_version(tiny_as(version), origin=f"tiny/{version}", version=version)


def test_versions_sort_by_semantic_version() -> None:
    versions = ["1.10.0", "1.9.0", "2.0.0-rc.1", "2.0.0", "1.0.0", "2.0.0-alpha", "2.0.0-rc.2"]

    assert sorted(versions, key=semver_key) == [
        "1.0.0",
        "1.9.0",
        "1.10.0",
        "2.0.0-alpha",
        "2.0.0-rc.1",
        "2.0.0-rc.2",
        "2.0.0",
    ]


def test_get_versions_and_latest() -> None:
    registry = ContentRegistry([load_as("1.10.0"), load_as("1.9.0"), load_as("2.0.0-rc.1")])

    assert registry.frameworks() == ("tiny",)
    assert registry.versions("tiny") == ("1.9.0", "1.10.0", "2.0.0-rc.1")
    assert registry.get("tiny", "1.9.0").version == "1.9.0"
    # A pre-release is served by get(), but latest() prefers the newest release.
    assert registry.latest("tiny").version == "1.10.0"
    assert registry.all()[0].version == "1.9.0"


def test_latest_falls_back_to_a_pre_release_when_there_is_nothing_else() -> None:
    registry = ContentRegistry([load_as("0.1.0-draft")])

    assert registry.latest("tiny").version == "0.1.0-draft"


def test_lookup_by_content_hash() -> None:
    result = load_as("1.0.0")
    registry = ContentRegistry([result])
    assert result.content is not None

    assert registry.by_hash(result.content.content_hash) is result.content
    with pytest.raises(UnknownContentError):
        registry.by_hash("0" * 64)


def test_unknown_and_refused_versions_raise_a_key_error_with_a_reason() -> None:
    broken = load_version({"framework.yaml": b"id: [\n"}, origin="tiny/1.1.0")
    registry = ContentRegistry([load_as("1.0.0"), broken])

    with pytest.raises(KeyError) as refused:
        registry.get("tiny", "1.1.0")
    assert str(refused.value) == (
        "Content tiny/1.1.0 was refused because it has errors; run `python -m app content "
        "validate` to see them."
    )
    with pytest.raises(UnknownContentError, match=r"There is no content tiny/9\.0\.0"):
        registry.get("tiny", "9.0.0")
    with pytest.raises(UnknownContentError, match="no valid content for the framework other"):
        registry.latest("other")
    assert registry.versions("other") == ()
    assert list(registry.errors) == ["tiny/1.1.0"]


def test_the_same_version_from_two_sources_is_refused_the_second_time() -> None:
    first = load_version(tiny_texts(), origin="folder/tiny/1.0.0")
    second = load_version(
        dict(tiny_texts(), **{"cadence.yaml": tiny_texts()["cadence.yaml"] + b"# changed\n"}),
        origin="drafts/tiny/1.0.0",
    )

    registry = ContentRegistry([first, second])

    assert registry.get("tiny", "1.0.0") is first.content
    assert "already loaded from elsewhere" in str(registry.errors["drafts/tiny/1.0.0"][0])


def test_load_registry_logs_refused_versions_and_serves_the_rest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    materialise(tiny_texts(), tmp_path / "tiny" / "1.0.0")
    broken = materialise(tiny_as("1.1.0"), tmp_path / "tiny" / "1.1.0")
    (broken / "levels.yaml").write_text("levels: [\n")

    with caplog.at_level(logging.WARNING):
        registry = load_registry(tmp_path)

    assert registry.latest("tiny").version == "1.0.0"
    assert "Content tiny/1.1.0 was refused (1 error)" in caplog.text


def test_a_missing_content_folder_gives_an_empty_registry(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        registry = load_registry(tmp_path / "nowhere")

    assert registry.frameworks() == ()
    assert "does not exist" in caplog.text
    assert read_registry(tmp_path / "nowhere").frameworks() == ()


def test_the_bundled_content_folder_loads() -> None:
    registry = read_registry(BUNDLED_DIR)

    assert dict(registry.errors) == {}
    assert registry.versions("reunification") == ("1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0")
    assert registry.latest("reunification").version == "1.4.0"
