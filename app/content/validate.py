"""`python -m app content validate [PATH]`: check content folders and print every error."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from app.content.loader import LoadResult, find_version_dirs, load_version_dir


def describe_valid(result: LoadResult) -> str:
    """One line summing up a valid version."""
    content = result.content
    assert content is not None
    rules = content.rules
    counts = (
        f"{len(content.stages)} stages, {len(content.domains)} domains, "
        f"{len(content.factors)} factors, {len(content.questions)} questions, "
        f"{len(rules.minimum_levels)} level rules, {len(rules.cautions)} cautions, "
        f"{len(rules.scored_tools)} scored tools"
    )
    return f"OK    {result.origin}  sha256 {content.content_hash[:12]}  ({counts})"


def validate_path(path: Path, out: TextIO, err: TextIO) -> int:
    """Validate every version under `path`; print a line per version and every error."""
    if not path.is_dir():
        print(f"{path} is not a folder; give a content, framework or version folder.", file=err)
        return 1
    results = [load_version_dir(version) for version in find_version_dirs(path)]
    if not results:
        print(f"No content versions were found under {path}.", file=err)
        return 1
    refused = 0
    for result in results:
        if result.ok:
            print(describe_valid(result), file=out)
            continue
        refused += 1
        count = len(result.errors)
        print(f"FAIL  {result.origin}  ({count} error{'' if count == 1 else 's'})", file=out)
        for error in result.errors:
            print(str(error), file=err)
    valid = len(results) - refused
    print(f"{len(results)} version(s) checked: {valid} valid, {refused} refused.", file=out)
    return 1 if refused else 0
