"""A trainer's draft in progress: the newest version of the framework with a factor reworded
and a question added, made through the trainer's own services (so the audit trail shows who
changed what), ready to preview, compare, weigh the impact of, and publish."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session, col, select

from app.content.registry import ContentRegistry
from app.demo.common import DEMO_ACTOR
from app.models.content import ContentVersion
from app.services import accounts, content_forms, content_studio

TRAINER_EMAIL = "tariq.hussain@homeward.test"
DRAFT_TITLE = "Plainer words for substance misuse, and asking about interpreters"
FRAMEWORK = "reunification"
FACTOR = "sm-r1"
SECTION = "identification"


def load_demo_draft(session: Session, registry: ContentRegistry) -> None:
    """Start the trainer's draft from the newest version, unless it exists already."""
    trainer = accounts.find_user_by_email(session, TRAINER_EMAIL)
    if trainer is None or FRAMEWORK not in registry.frameworks():
        return
    if session.exec(
        select(ContentVersion.id).where(col(ContentVersion.title) == DRAFT_TITLE)
    ).first():
        return
    latest = registry.latest(FRAMEWORK)
    source = session.exec(
        select(ContentVersion).where(
            col(ContentVersion.framework_id) == FRAMEWORK,
            col(ContentVersion.number) == latest.version,
        )
    ).first()
    if source is None:
        return
    actor = replace(DEMO_ACTOR, user=trainer)
    draft = content_studio.start_draft(session, actor=actor, source=source, title=DRAFT_TITLE)
    content = content_studio.check_draft(session, draft).content
    assert content is not None  # a copy of a published version loads as it did
    target = content_forms.factor_target(content, FACTOR)
    content_forms.change_factor(
        session,
        actor=actor,
        draft=draft,
        content=content,
        factor_id=FACTOR,
        values={
            "text": "The parent's use of alcohol or drugs still gets in the way of caring for "
            "the child",
            "guidance": "Look for recent positive tests, signs of use seen at contact or visits, "
            "and what the child and other professionals say.",
        },
        expected_version=content_studio.get_file(session, draft.id, target.file).version,
    )
    content = content_studio.check_draft(session, draft).content
    assert content is not None
    stage = content.stage(content.sections[SECTION].stage_id)
    content_forms.add_question(
        session,
        actor=actor,
        draft=draft,
        content=content,
        values={
            "section": SECTION,
            "type": "single_choice",
            "question_id": "interpreter-needed",
            "label": "Does anyone in the family need an interpreter?",
            "hint": "For meetings, visits and the written agreement",
            "new_options": "Yes\nNo\nNot known",
        },
        expected_version=content_studio.get_file(
            session, draft.id, f"stages/{stage.id}.yaml"
        ).version,
    )
