"""Each adult's role toward each child of the family, and whom the content's per-parent
questions are asked about.

A role is recorded per child because one adult can be a child's parent at home and another
child's stepparent, or a risk to one child only. A child added after the adult has no role
recorded yet: `default_role` gives the one the adult's relationship and household suggest
until the practitioner records it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from app.models.family import Adult, Child

ROLES = {
    "household-carer": "Parent or carer in the household",
    "parent-outside": "Parent living outside the household",
    "partner": "Partner of a parent",
    "risk": "Person who poses a risk to the child",
    "other": "Other adult",
}
ROLE_HINTS = {
    "household-carer": "Someone the child would live with and be cared for by after the return",
    "parent-outside": "A parent who does not live in the household the child would return to",
    "partner": "For example a new partner of the parent the child would return to",
    "risk": "For example someone whose contact with the child is restricted",
    "other": "Any other adult in the child's life, such as a relative who helps",
}
PARENT_RELATIONSHIPS = frozenset({"mother", "father", "step-parent"})


def default_role(relationship: str, lives_in_household: bool) -> str:
    """The role an adult's relationship and household suggest (also what migration 0014
    gave the adults recorded before roles existed)."""
    if relationship == "partner-of-parent":
        return "partner"
    if lives_in_household:
        return "household-carer"
    return "parent-outside" if relationship in PARENT_RELATIONSHIPS else "other"


def role_toward(adult: Adult, child_id: str) -> str:
    """The adult's role toward one child: as recorded, or as suggested until it is."""
    return adult.child_roles.get(child_id) or default_role(
        adult.relationship, adult.lives_in_household
    )


def roles_of(adult: Adult, children: Iterable[Child]) -> dict[str, str]:
    """The adult's role toward each of the children (by child id as text)."""
    return {str(child.id): role_toward(adult, str(child.id)) for child in children}


def held(adult: Adult, children: Sequence[Child]) -> frozenset[str]:
    """The roles an adult holds toward any of the children: per-parent questions limited to
    some roles ask about them when one of these is among them. With no children recorded
    yet, the role their relationship and household suggest."""
    if not children:
        return frozenset({default_role(adult.relationship, adult.lives_in_household)})
    return frozenset(role_toward(adult, str(child.id)) for child in children)


def describe_roles(
    adult: Adult, children: Sequence[Child], labels: Mapping[str, str] = ROLES
) -> list[str]:
    """Plain sentences of an adult's roles, one per child, naming the child ("Parent living
    outside the household, for Mia"); one sentence when the role is the same for all."""
    roles = roles_of(adult, children)
    if not roles:
        return [labels[default_role(adult.relationship, adult.lives_in_household)]]
    if len(set(roles.values())) == 1:
        return [labels[next(iter(roles.values()))]]
    return [f"{labels[roles[str(child.id)]]}, for {child.name}" for child in children]
