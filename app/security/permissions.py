"""Who may do what: permissions per role, and the one rule for family records."""

from __future__ import annotations

from enum import StrEnum

from app.models.accounts import Role, User
from app.models.family import Family


class Permission(StrEnum):
    PUBLIC = "public"  # anyone, signed in or not
    SIGNED_IN = "signed_in"  # any active user: their own account, signing out
    FAMILY_VIEW = "family:view"
    FAMILY_CREATE = "family:create"
    FAMILY_EDIT = "family:edit"
    FAMILY_SUPERVISE = "family:supervise"
    # The family's whole record as data, for a subject access request.
    FAMILY_EXPORT = "family:export"
    TEAM_CASELOAD = "team:caseload"
    CONTENT_MANAGE = "content:manage"
    # The published framework versions, read only (the JSON API's content).
    CONTENT_READ = "content:read"
    USERS_MANAGE = "users:manage"
    AUDIT_READ = "audit:read"
    # Practice and outcome reports: figures over many families, never one family's record.
    REPORTS_READ = "reports:read"
    # Reports over every team, not only the reader's own.
    REPORTS_ALL_TEAMS = "reports:all_teams"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PRACTITIONER: frozenset(
        {
            Permission.FAMILY_VIEW,
            Permission.FAMILY_CREATE,
            Permission.FAMILY_EDIT,
            Permission.CONTENT_READ,
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            Permission.FAMILY_VIEW,
            Permission.FAMILY_CREATE,
            Permission.FAMILY_SUPERVISE,
            Permission.FAMILY_EXPORT,
            Permission.TEAM_CASELOAD,
            Permission.CONTENT_READ,
            Permission.REPORTS_READ,
        }
    ),
    Role.TRAINER: frozenset({Permission.CONTENT_MANAGE, Permission.CONTENT_READ}),
    Role.ADMIN: frozenset({Permission.USERS_MANAGE, Permission.AUDIT_READ}),
    Role.MANAGER: frozenset({Permission.REPORTS_READ, Permission.REPORTS_ALL_TEAMS}),
}

PERMISSION_DESCRIPTIONS: dict[Permission, str] = {
    Permission.PUBLIC: "Public pages: start page, accessibility statement, privacy notice, sign in",
    Permission.SIGNED_IN: "Their own account: home page, change password, sign out",
    Permission.FAMILY_VIEW: "See families allocated to their team",
    Permission.FAMILY_CREATE: "Start work with a new family in their team",
    Permission.FAMILY_EDIT: "Change the records of families allocated to them",
    Permission.FAMILY_SUPERVISE: (
        "Review, sign off, allocate and delete their team's families; see who accessed them"
    ),
    Permission.FAMILY_EXPORT: (
        "Export a family's whole record (JSON or CSV) to answer a subject access request"
    ),
    Permission.TEAM_CASELOAD: "See their team's whole caseload",
    Permission.CONTENT_MANAGE: "Manage framework content",
    Permission.CONTENT_READ: "Read the published framework versions through the API",
    Permission.USERS_MANAGE: "Create, change and deactivate users and teams",
    Permission.AUDIT_READ: "Read the whole audit trail",
    Permission.REPORTS_READ: "Read practice and outcome reports (figures only, no family's record)",
    Permission.REPORTS_ALL_TEAMS: "Read reports for every team, not only their own",
}


class FamilyAction(StrEnum):
    VIEW = "view"
    EDIT = "edit"
    SUPERVISE = "supervise"
    EXPORT = "export"
    # Record what happened after the plan, on a closed case too (a child coming back into
    # care): anyone of the team who works with families, as the allocated worker may have gone.
    FOLLOW_UP = "follow_up"


# The family action a family-scoped route performs, from the permission it declares.
FAMILY_ACTION_FOR: dict[Permission, FamilyAction] = {
    Permission.FAMILY_VIEW: FamilyAction.VIEW,
    Permission.FAMILY_EDIT: FamilyAction.EDIT,
    Permission.FAMILY_SUPERVISE: FamilyAction.SUPERVISE,
    Permission.FAMILY_EXPORT: FamilyAction.EXPORT,
}


def permissions_of(user: User) -> frozenset[Permission]:
    granted = {Permission.PUBLIC, Permission.SIGNED_IN}
    for role in user.roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)


def has_permission(user: User | None, permission: Permission) -> bool:
    if permission is Permission.PUBLIC:
        return True
    return user is not None and user.active and permission in permissions_of(user)


def can_see_family(user: User, family: Family) -> bool:
    """Practitioners and supervisors see their own team's families; nobody else does."""
    return (
        user.active
        and user.team_id is not None
        and family.team_id == user.team_id
        and user.has_role(Role.PRACTITIONER, Role.SUPERVISOR)
    )


def family_permits(user: User, family: Family, action: FamilyAction) -> bool:
    """The one rule for family records. A family whose plan has ended or whose case has closed
    is kept read-only: only what happens afterwards (a return to care) can be added."""
    if not can_see_family(user, family):
        return False
    if action is FamilyAction.VIEW:
        return True
    if action is FamilyAction.FOLLOW_UP:
        return True
    if action is FamilyAction.EDIT:
        allocated = Role.PRACTITIONER in user.roles and family.allocated_practitioner_id == user.id
        return allocated and family.status == ACTIVE
    # Supervising and exporting the whole record are for the team's supervisors.
    return Role.SUPERVISOR in user.roles


ACTIVE = "active"  # app.models.journey.FamilyStatus.ACTIVE
