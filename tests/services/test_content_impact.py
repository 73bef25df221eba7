"""A draft's impact counted over every family on the framework: the same counts whether the
families are read one chunk at a time or one by one, families on a version that cannot be
used counted apart, and no family named."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from app.config import PROJECT_ROOT
from app.content.loader import load_version, read_version_dir
from app.content.model import FrameworkContent
from app.models.accounts import Role
from app.services import content_impact
from tests.factories import CONTENT, make_adult, make_child, make_family, make_team, make_user
from tests.support.assessment import CURRENT, rate

AS_OF = date(2026, 11, 2)


def raised(content: FrameworkContent) -> FrameworkContent:
    """The version with past serious harm setting Very high instead of High, as a draft."""
    folder = PROJECT_ROOT / "framework_content" / content.id / content.version
    texts = {name: data.decode("utf-8") for name, data in read_version_dir(folder).items()}
    rules = texts["rules.yaml"]
    start = rules.index("  - id: serious-harm\n")
    end = rules.index("explanation:", start)
    texts["rules.yaml"] = (
        rules[:start] + rules[start:end].replace("level: high", "level: very-high") + rules[end:]
    )
    result = load_version(texts, origin="draft")
    assert result.content is not None, [str(error) for error in result.errors]
    return result.content


def test_impact_counts_each_family_once_in_chunks_as_one_by_one(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = make_team(db)
    user = make_user(db, roles=[Role.PRACTITIONER], team=team)
    families = [make_family(db, team=team, allocated_to=user) for _ in range(5)]
    for family in families:
        make_child(db, family)
        make_adult(db, family)
    for family in families[:2]:  # past serious harm: High now, Very high under the draft
        rate(db, user, family, "factors-history-of-harm", {"hh-r1": "present"}, content=CURRENT)
    unusable = make_family(db, team=team, allocated_to=user)
    unusable.framework_version = "9.9.9"
    db.flush()
    new = raised(CONTENT.latest("reunification"))

    one_by_one = [
        content_impact.family_effect(db, family=family, current=CURRENT, new=new, as_of=AS_OF)
        for family in families
    ]
    monkeypatch.setattr(content_impact, "CHUNK", 2)  # three chunks for five families
    counted = content_impact.impact(db, registry=CONTENT, new=new, as_of=AS_OF)

    assert [effect.level_change for effect in one_by_one] == [1, 1, 0, 0, 0]
    assert one_by_one[0].level_before == "High"
    assert one_by_one[0].level_after == "Very high"
    assert counted.families >= 6  # with any other family of the test database
    assert counted.unavailable >= 1
    assert counted.by_version["9.9.9"] >= 1
    assert counted.level_up >= 2
    monkeypatch.setattr(content_impact, "CHUNK", 500)
    assert content_impact.impact(db, registry=CONTENT, new=new, as_of=AS_OF) == counted
