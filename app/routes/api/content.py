"""The framework's published versions in the JSON API, read only: every item a family's
record refers to (stages and their sections and questions, domains and factors, levels,
vocabularies, the chronology's sources, themes and grades, the rules and their sources)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

from app.content.schema import (
    CadenceFile,
    ChronologyFile,
    DomainFile,
    FrameworkFile,
    Level,
    RulesFile,
    Source,
    StageFile,
    Timepoint,
    VocabularyFile,
)
from app.deps import ContentDep, requires
from app.models.accounts import User
from app.routes.api.common import ApiRoute
from app.security.permissions import Permission
from app.services.errors import NotFound

router = APIRouter(prefix="/content", tags=["content"], route_class=ApiRoute)
Reader = Annotated[User, requires(Permission.CONTENT_READ)]


class VersionBrief(BaseModel):
    framework_id: str
    version: str
    title: str
    content_hash: str
    retired: bool
    latest: bool


class VersionPublic(BaseModel):
    """One published version, immutable: identified by framework id, version and hash."""

    framework: FrameworkFile
    content_hash: str
    retired: bool
    stages: list[StageFile]
    domains: list[DomainFile]
    levels: list[Level]
    timepoints: list[Timepoint]
    vocabulary: VocabularyFile
    chronology: ChronologyFile
    rules: RulesFile
    cadence: CadenceFile
    sources: list[Source]


@router.get("", response_model=list[VersionBrief])
def list_versions(registry: ContentDep, _: Reader) -> list[VersionBrief]:
    """Every published framework version Homeward serves, oldest first."""
    latest = {}
    for framework_id in registry.frameworks():
        try:
            latest[framework_id] = registry.latest(framework_id).version
        except KeyError:
            continue
    return [
        VersionBrief(
            framework_id=content.id,
            version=content.version,
            title=content.framework.title,
            content_hash=content.content_hash,
            retired=registry.is_retired(content.id, content.version),
            latest=latest.get(content.id) == content.version,
        )
        for content in registry.all()
    ]


@router.get("/{framework_id}/{version}", response_model=VersionPublic)
def get_version(
    registry: ContentDep,
    _: Reader,
    framework_id: Annotated[str, Path(max_length=64)],
    version: Annotated[str, Path(max_length=64)],
) -> VersionPublic:
    """A version with every item in it."""
    if version not in registry.versions(framework_id):
        raise NotFound("Homeward serves no such framework version.")
    content = registry.get(framework_id, version)
    return VersionPublic(
        framework=content.framework,
        content_hash=content.content_hash,
        retired=registry.is_retired(content.id, content.version),
        stages=list(content.stages),
        domains=list(content.domains),
        levels=list(content.levels),
        timepoints=list(content.timepoints),
        vocabulary=content.vocabulary,
        chronology=content.chronology,
        rules=content.rules,
        cadence=content.cadence,
        sources=list(content.sources),
    )
