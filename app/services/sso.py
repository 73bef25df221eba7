"""Signing in through the council's identity provider.

The two legs of the sign-in (sending the person to the provider, and their return) are tied
together by a half-done sign-in in the database, found through a cookie and used once. The
person is matched to an account by the provider's lasting id for them (its subject), never
by email alone: the email address links an account an administrator added only the first
time, and only an account not yet linked. Roles and team come from Homeward's admin pages
or, where configured, from the provider's group claim at every sign-in.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app.config import Settings
from app.models.accounts import Role, User
from app.models.audit import AuditAction
from app.services import accounts, audit, oidc, role_changes, sessions
from app.services.sessions import Method, Pending

UNKNOWN_USERS_CREATE = "create"


class Refusal(Exception):
    """Sign-in through the provider refused: `reason` for the audit trail, `message` for the
    person, `status` for the page."""

    def __init__(self, reason: str, message: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message
        self.status = status


def _unavailable(settings: Settings) -> str:
    return (
        f"Homeward could not reach {settings.oidc_provider_name} to check who you are, so you "
        "have not been signed in. Try again in a few minutes. If it keeps happening, tell your "
        "IT service desk."
    )


def _not_checked(settings: Settings) -> str:
    return (
        f"Homeward could not confirm your sign-in with {settings.oidc_provider_name}, so you "
        "have not been signed in. Start again from the sign-in page. If it keeps happening, "
        "tell your IT service desk."
    )


def _no_second_step(settings: Settings) -> str:
    return (
        "Homeward needs you to use a second step when you sign in, such as a code or a "
        f"prompt on your phone, and {settings.oidc_provider_name} did not confirm that you "
        "used one. You have not been signed in. Sign out of your council account, then sign "
        "in again and use your second step. If you are not asked for one, tell your IT "
        "service desk."
    )


START_AGAIN = (
    "Your sign-in could not be finished: it took longer than 10 minutes, was started in "
    "another window, or was already used. You have not been signed in. Start again from the "
    "sign-in page."
)
NO_ACCOUNT = (
    "There is no Homeward account for you yet, so you have not been signed in. Ask your "
    "Homeward administrator to add you, then sign in again."
)
SWITCHED_OFF = (
    "Your Homeward account has been switched off, so you have not been signed in. Ask your "
    "Homeward administrator if you still need it."
)
NO_EMAIL = (
    "The identity provider did not send your email address, which Homeward needs to set up "
    "your account. Tell your IT service desk."
)
TOO_MANY_TEAMS = (
    "The identity provider puts you in more than one Homeward team, so Homeward cannot tell "
    "which families you work with. Ask your IT service desk to leave you in one team group."
)


def begin(
    session: Session, *, settings: Settings, actor: audit.Actor, next_path: str
) -> tuple[str, str]:
    """Start a sign-in: returns the provider's address to send the person to and the token
    for the cookie that ties their return to this attempt."""
    try:
        metadata = oidc.discover(settings)
    except oidc.ProviderUnavailable as error:
        refusal = Refusal(f"identity provider unreachable ({error})", _unavailable(settings), 503)
        sessions.record_failure(
            session, actor=actor, user=None, reason=refusal.reason, method=Method.IDENTITY_PROVIDER
        )
        raise refusal from None
    attempt = oidc.authorization(settings, metadata)
    token = sessions.start_pending(
        session,
        purpose=Pending.PROVIDER,
        state=attempt.state,
        nonce=attempt.nonce,
        code_verifier=attempt.code_verifier,
        next_path=next_path,
    )
    return attempt.url, token


@dataclass(frozen=True)
class Completed:
    user: User
    token: str
    next_path: str


def complete(
    session: Session,
    *,
    settings: Settings,
    actor: audit.Actor,
    pending_token: str | None,
    params: Mapping[str, str],
    user_agent: str,
    replacing_token: str | None,
) -> Completed:
    """Finish a sign-in when the provider sends the person back. Raises Refusal (already in
    the audit trail) when anything is wrong; no session is started then."""
    try:
        return _complete(
            session,
            settings=settings,
            actor=actor,
            pending_token=pending_token,
            params=params,
            user_agent=user_agent,
            replacing_token=replacing_token,
        )
    except _Refused as refused:
        sessions.record_failure(
            session,
            actor=actor,
            user=refused.user,
            reason=refused.refusal.reason,
            method=Method.IDENTITY_PROVIDER,
        )
        raise refused.refusal from None


class _Refused(Exception):
    def __init__(self, refusal: Refusal, user: User | None = None) -> None:
        self.refusal = refusal
        self.user = user


def _complete(
    session: Session,
    *,
    settings: Settings,
    actor: audit.Actor,
    pending_token: str | None,
    params: Mapping[str, str],
    user_agent: str,
    replacing_token: str | None,
) -> Completed:
    pending = sessions.find_pending(session, token=pending_token, purpose=Pending.PROVIDER)
    if pending is None:
        raise _Refused(
            Refusal("no sign-in in progress in this browser, or it expired", START_AGAIN)
        )
    # Used once, whatever happens next: the same return cannot be replayed.
    if not sessions.finish_pending(session, pending):
        raise _Refused(Refusal("the sign-in in progress was already used", START_AGAIN))
    if not hmac.compare_digest(params.get("state", "").encode(), pending.state.encode()):
        raise _Refused(Refusal("state does not match the sign-in started", START_AGAIN))
    if params.get("error"):
        error = params["error"][:60]
        raise _Refused(Refusal(f"the provider answered {error}", _not_checked(settings)))
    code = params.get("code", "")
    if not code:
        raise _Refused(Refusal("the provider sent no code", _not_checked(settings)))
    try:
        metadata = oidc.discover(settings)
        claims, id_token = oidc.exchange(
            settings,
            metadata,
            code=code,
            code_verifier=pending.code_verifier,
            nonce=pending.nonce,
        )
    except oidc.ProviderUnavailable as error:
        raise _Refused(
            Refusal(f"identity provider unreachable ({error})", _unavailable(settings), 503)
        ) from None
    except oidc.TokenRefused as error:
        raise _Refused(Refusal(error.reason, _not_checked(settings))) from None
    identity = _identity(settings, claims)
    said = oidc.multi_factor(settings, claims)
    if said is not None:
        raise _Refused(
            Refusal(
                f"the provider did not confirm multi-factor sign-in ({said})",
                _no_second_step(settings),
                403,
            ),
            _linked(session, identity.subject),
        )
    user = _account_for(session, settings=settings, actor=actor, identity=identity)
    if not user.active:
        raise _Refused(Refusal("account deactivated", SWITCHED_OFF, 403), user)
    if user.must_change_password:
        accounts.drop_temporary_password(session, actor=_as(actor, user), user=user)
    if settings.roles_from_provider:
        _roles_from_groups(session, settings=settings, actor=actor, user=user, identity=identity)
    token = sessions.start_session(
        session,
        actor=actor,
        user=user,
        user_agent=user_agent,
        policy=sessions.policy_from(settings),
        method=Method.IDENTITY_PROVIDER,
        id_token=id_token,
        replacing_token=replacing_token,
    )
    return Completed(user=user, token=token, next_path=pending.next_path)


@dataclass(frozen=True)
class Identity:
    subject: str
    email: str
    name: str
    email_verified: bool
    groups: frozenset[str]


def _identity(settings: Settings, claims: dict[str, Any]) -> Identity:
    subject = claims.get(settings.oidc_subject_claim)
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise _Refused(
            Refusal(
                f"the ID token has no usable {settings.oidc_subject_claim} claim",
                _not_checked(settings),
            )
        )
    email = claims.get(settings.oidc_email_claim)
    email = email.strip() if isinstance(email, str) else ""
    name = claims.get(settings.oidc_name_claim)
    groups = claims.get(settings.oidc_groups_claim) if settings.oidc_groups_claim else None
    return Identity(
        subject=subject,
        email=email if accounts.EMAIL_PATTERN.match(email) and len(email) <= 254 else "",
        name=" ".join(name.split())[: accounts.NAME_MAX] if isinstance(name, str) else "",
        # Providers that say so explicitly are believed; others (Entra ID) vouch for the
        # addresses in their own directory.
        email_verified=claims.get("email_verified") is not False,
        groups=frozenset(g for g in groups if isinstance(g, str))
        if isinstance(groups, list)
        else frozenset(),
    )


def _linked(session: Session, subject: str) -> User | None:
    return session.exec(select(User).where(col(User.sso_subject) == subject)).first()


def _account_for(
    session: Session, *, settings: Settings, actor: audit.Actor, identity: Identity
) -> User:
    user = _linked(session, identity.subject)
    if user is not None:
        return user
    by_email = accounts.find_user_by_email(session, identity.email) if identity.email else None
    if by_email is not None:
        if by_email.sso_subject is not None or not identity.email_verified:
            # Linked to someone else at the provider, or an address the provider has not
            # checked: the address alone never opens an account.
            raise _Refused(
                Refusal("email address of an account linked to someone else", NO_ACCOUNT, 403),
                by_email,
            )
        by_email.sso_subject = identity.subject
        session.add(by_email)
        audit.record(
            session,
            _as(actor, by_email),
            AuditAction.UPDATE,
            entity_type="user",
            entity_id=by_email.id,
            details={"identity_provider": "linked at first sign-in"},
        )
        return by_email
    if settings.oidc_unknown_users != UNKNOWN_USERS_CREATE:
        raise _Refused(Refusal("no Homeward account for this person", NO_ACCOUNT, 403))
    if not identity.email:
        raise _Refused(Refusal("the provider sent no usable email address", NO_EMAIL, 403))
    return accounts.create_from_identity_provider(
        session,
        actor=actor,
        name=identity.name or identity.email,
        email=identity.email,
        subject=identity.subject,
    )


def _as(actor: audit.Actor, user: User) -> audit.Actor:
    return audit.Actor(
        user=user,
        request_id=actor.request_id,
        client_address=actor.client_address,
        path=actor.path,
    )


def _roles_from_groups(
    session: Session, *, settings: Settings, actor: audit.Actor, user: User, identity: Identity
) -> None:
    roles = frozenset(
        Role(role)
        for role, groups in settings.oidc_role_groups.items()
        if identity.groups & set(groups)
    )
    team_names = {
        settings.oidc_team_groups[group]
        for group in identity.groups
        if group in settings.oidc_team_groups
    }
    if len(team_names) > 1:
        raise _Refused(Refusal("in more than one team group", TOO_MANY_TEAMS, 403), user)
    team = (
        accounts.get_or_create_team(session, actor=actor, name=team_names.pop())
        if team_names
        else None
    )
    accounts.set_roles_and_team(
        session,
        actor=audit.Actor(
            user=None,
            request_id=actor.request_id,
            client_address=actor.client_address,
            path=actor.path,
        ),
        user=user,
        roles=roles,
        team_id=team.id if team else None,
        source=role_changes.IDENTITY_PROVIDER,
    )


def sign_out_url(settings: Settings, *, id_token: str | None) -> str | None:
    """The provider's address that ends the person's session there too, or None (no ID
    token, no such address, or the provider cannot be reached: Homeward's own session has
    ended either way)."""
    if not settings.sso_enabled or not id_token:
        return None
    try:
        return oidc.sign_out_url(settings, oidc.discover(settings), id_token=id_token)
    except oidc.ProviderUnavailable:
        return None
