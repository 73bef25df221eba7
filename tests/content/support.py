"""Shared helpers for the content tests: the fixture versions and condition parsing."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from app.config import PROJECT_ROOT
from app.content.loader import LoadResult, load_version, load_version_dir
from app.content.model import FrameworkContent
from app.content.schema import Condition
from app.content.yamlsafe import read_yaml
from tests.content.broken_cases import TINY_DIR

BUNDLED_DIR = PROJECT_ROOT / "framework_content"
V1_DIR = BUNDLED_DIR / "reunification" / "1.0.0"
_CONDITION = TypeAdapter[Any](Condition)


def load_tiny(texts: dict[str, bytes]) -> LoadResult:
    """Load named texts as if they were the tiny version's folder."""
    return load_version(texts, origin="tiny/1.0.0", framework_id="tiny", version="1.0.0")


def _load(path: Path) -> FrameworkContent:
    result = load_version_dir(path)
    assert result.content is not None, [str(error) for error in result.errors]
    return result.content


@cache
def tiny() -> FrameworkContent:
    return _load(TINY_DIR)


@cache
def v1() -> FrameworkContent:
    return _load(V1_DIR)


def condition(text: str) -> Condition:
    """A rule condition written as YAML, exactly as a trainer would write it."""
    result: Condition = _CONDITION.validate_python(read_yaml(text).data)
    return result
