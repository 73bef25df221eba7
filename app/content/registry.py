"""The registry of loaded content versions that the app serves."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

from app.content.errors import ContentError
from app.content.loader import LoadResult, find_version_dirs, load_version_dir
from app.content.model import FrameworkContent

logger = logging.getLogger(__name__)

_NUMERIC = re.compile(r"[0-9]+")


def semver_key(version: str) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
    """Sort key for semantic versions: numeric parts, and a pre-release before its release."""
    core, _, build_and_pre = version.partition("+")[0].partition("-")
    major, minor, patch = (int(part) for part in core.split("."))
    if not build_and_pre:
        return (major, minor, patch, 1, ())
    parts = tuple(
        (0, int(part)) if _NUMERIC.fullmatch(part) else (1, part)
        for part in build_and_pre.split(".")
    )
    return (major, minor, patch, 0, parts)


def is_prerelease(version: str) -> bool:
    return "-" in version.partition("+")[0]


class UnknownContentError(KeyError):
    """Asked for a framework version that is not served (unknown, or refused as broken)."""

    def __init__(self, message: str, framework_id: str = "", version: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.framework_id = framework_id
        self.version = version

    def __str__(self) -> str:
        return self.message


class ContentRegistry:
    """The valid content versions by framework and version, and the errors of refused ones.

    A retired version is still served (families on it carry on) but is never the latest, so no
    new family starts on it and no family is offered a move to it."""

    def __init__(
        self,
        results: Iterable[LoadResult],
        *,
        retired: Iterable[tuple[str, str]] = (),
        extra_errors: Mapping[str, tuple[ContentError, ...]] | None = None,
    ) -> None:
        versions: dict[str, dict[str, FrameworkContent]] = {}
        by_hash: dict[str, FrameworkContent] = {}
        errors: dict[str, tuple[ContentError, ...]] = dict(extra_errors or {})
        for result in results:
            content = result.content
            if content is None:
                errors[result.origin] = result.errors
                continue
            served = versions.setdefault(content.id, {})
            if content.version in served:
                errors[result.origin] = (
                    ContentError(
                        result.origin,
                        f"version {content.version} of {content.id} is already loaded from "
                        "elsewhere; give this copy a new version number.",
                    ),
                )
                continue
            served[content.version] = content
            by_hash[content.content_hash] = content
        self._versions = versions
        self._by_hash = by_hash
        self.retired: frozenset[tuple[str, str]] = frozenset(retired)
        self.errors: Mapping[str, tuple[ContentError, ...]] = MappingProxyType(errors)

    def frameworks(self) -> tuple[str, ...]:
        """The ids of frameworks with at least one valid version, sorted."""
        return tuple(sorted(self._versions))

    def versions(self, framework_id: str) -> tuple[str, ...]:
        """The valid versions of a framework, oldest first (semantic version order)."""
        return tuple(sorted(self._versions.get(framework_id, {}), key=semver_key))

    def get(self, framework_id: str, version: str) -> FrameworkContent:
        """One version; UnknownContentError when it is unknown or was refused."""
        content = self._versions.get(framework_id, {}).get(version)
        if content is not None:
            return content
        origin = f"{framework_id}/{version}"
        if origin in self.errors:
            raise UnknownContentError(
                f"Content {origin} was refused because it has errors; run "
                "`python -m app content validate` to see them.",
                framework_id,
                version,
            )
        raise UnknownContentError(f"There is no content {origin}.", framework_id, version)

    def is_retired(self, framework_id: str, version: str) -> bool:
        return (framework_id, version) in self.retired

    def offered(self) -> tuple[str, ...]:
        """The frameworks a new family can start on: those with a version not retired."""
        return tuple(
            framework_id
            for framework_id in self.frameworks()
            if any(not self.is_retired(framework_id, v) for v in self.versions(framework_id))
        )

    def latest(self, framework_id: str) -> FrameworkContent:
        """The newest release of a framework that is not retired (pre-releases only when there
        is nothing else)."""
        versions = tuple(
            version
            for version in self.versions(framework_id)
            if not self.is_retired(framework_id, version)
        )
        if not versions:
            raise UnknownContentError(
                f"There is no valid content for the framework {framework_id}."
            )
        releases = [version for version in versions if not is_prerelease(version)]
        return self._versions[framework_id][(releases or list(versions))[-1]]

    def find_hash(self, content_hash: str) -> FrameworkContent | None:
        return self._by_hash.get(content_hash)

    def by_hash(self, content_hash: str) -> FrameworkContent:
        """The version with this content hash (what a record stores alongside id and version)."""
        content = self._by_hash.get(content_hash)
        if content is None:
            raise UnknownContentError(f"No content has the hash {content_hash}.")
        return content

    def all(self) -> tuple[FrameworkContent, ...]:
        """Every valid version, by framework id then version."""
        return tuple(
            self.get(fid, version) for fid in self.frameworks() for version in self.versions(fid)
        )


def read_registry(content_dir: Path) -> ContentRegistry:
    """Load every version under `content_dir`, keeping the errors of refused versions."""
    if not content_dir.is_dir():
        return ContentRegistry([])
    return ContentRegistry(load_version_dir(path) for path in find_version_dirs(content_dir))


def load_registry(content_dir: Path) -> ContentRegistry:
    """Load every version under `content_dir`; refused versions are logged, never fatal."""
    if not content_dir.is_dir():
        logger.error(
            "The content folder %s does not exist; no framework content is served.", content_dir
        )
    registry = read_registry(content_dir)
    for origin, errors in registry.errors.items():
        logger.warning(
            "Content %s was refused (%d error%s); the first: %s",
            origin,
            len(errors),
            "" if len(errors) == 1 else "s",
            errors[0] if errors else "",
        )
    return registry
