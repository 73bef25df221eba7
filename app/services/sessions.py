"""Signing in and out, and server-side sessions kept in the database.

Keeping sessions and sign-in counters in the database means that signing out, deactivating a
user or throttling applies on every app instance at once.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, delete, func, text, update
from sqlalchemy.orm import joinedload
from sqlmodel import Session, col, select

from app import db
from app.config import Settings
from app.models.accounts import PendingSignIn, SignInAttempt, User, UserSession
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.security.passwords import hash_password, needs_rehash, verify_password
from app.security.secretbox import keyed_digest
from app.services import audit

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
# The first key of the two-key advisory locks that serialise sign-in attempts per account
# (two-key locks never clash with the one-key migration lock).
SIGN_IN_LOCK_SPACE = 0x5349474E  # "SIGN"
# last_seen_at is written at most this often, so that every page view is not a write.
TOUCH_INTERVAL = timedelta(seconds=30)
# How long a half-done sign-in (waiting for a code, or for the identity provider) lasts.
PENDING_LIFETIME = timedelta(minutes=10)
ADDRESS_MAX = 64

SIGN_IN_REFUSED = "Enter a correct email address and password"
SIGN_IN_THROTTLED = "There have been too many attempts to sign in. Wait 15 minutes, then try again"
TEMPORARY_PASSWORD_EXPIRED = (
    "Your temporary password has expired. Ask your Homeward administrator for a new one"
)


class Method(StrEnum):
    """How a session was started, kept with it and in the audit trail."""

    PASSWORD = "password"
    PASSWORD_AND_CODE = "password and code"
    IDENTITY_PROVIDER = "identity provider"


class Pending(StrEnum):
    """What a half-done sign-in waits for."""

    CODE = "code"  # a one-time code after the password
    SET_UP_CODE = "set_up_code"  # setting up an authenticator app, required for the role
    PROVIDER = "provider"  # the identity provider sending the person back


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def address_key(client_address: str) -> str:
    """The client address as stored and counted: the same cut in both places, so a long
    forwarded address is throttled like any other."""
    return client_address[:ADDRESS_MAX]


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta
    # Keys the hashes of typed email addresses kept to count failed sign-ins.
    secret_key: str = ""
    # Roles whose local accounts must also give a one-time code.
    two_factor_roles: frozenset[str] = frozenset()


def policy_from(settings: Settings) -> SessionPolicy:
    return SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
        secret_key=settings.secret_key,
        two_factor_roles=settings.two_factor_roles,
    )


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    # A full session, or a half-done sign-in waiting for `pending` (a one-time code).
    token: str | None = None
    pending_token: str | None = None
    pending: Pending | None = None
    error: str | None = None


def account_digest(policy: SessionPolicy, email: str) -> str:
    return keyed_digest(policy.secret_key, email.strip().lower()[:254])


def _failures_since(session: Session, column: object, value: str, since: datetime) -> int:
    return session.exec(
        select(func.count())
        .select_from(SignInAttempt)
        .where(
            column == value,
            col(SignInAttempt.succeeded).is_(False),
            col(SignInAttempt.at) >= since,
        )
    ).one()


def is_throttled(session: Session, *, digest: str, client_address: str, now: datetime) -> bool:
    """True when the account, or the client address, has failed too often lately.

    Takes the account's sign-in lock first, held until the transaction ends, so that parallel
    guesses at one account are counted one after another: without it each could read the
    same count and all pass the limit. (On SQLite the database's one write lock, taken before
    counting, does the same.)"""
    db.write_lock(session)
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
            {"space": SIGN_IN_LOCK_SPACE, "key": digest},
        )
    since = now - THROTTLE_WINDOW
    return (
        _failures_since(session, col(SignInAttempt.account_digest), digest, since)
        >= MAX_FAILURES_PER_ACCOUNT
        or _failures_since(
            session, col(SignInAttempt.client_address), address_key(client_address), since
        )
        >= MAX_FAILURES_PER_ADDRESS
    )


def record_attempt(
    session: Session, *, digest: str, client_address: str, succeeded: bool, now: datetime
) -> None:
    session.add(
        SignInAttempt(
            account_digest=digest,
            client_address=address_key(client_address),
            succeeded=succeeded,
            at=now,
        )
    )


def record_failure(
    session: Session,
    *,
    actor: audit.Actor,
    user: User | None,
    reason: str,
    method: Method = Method.PASSWORD,
) -> None:
    """Audit a refused sign-in. What was typed is never kept: only the account, if known."""
    audit.record(
        session,
        actor,
        AuditAction.SIGN_IN_FAILED,
        entity_type="user",
        entity_id=user.id if user else "",
        user_id=user.id if user else None,
        details={"method": method.value, "reason": reason},
    )


def sign_in(
    session: Session,
    *,
    actor: audit.Actor,
    email: str,
    password: str,
    user_agent: str,
    policy: SessionPolicy,
    replacing_token: str | None = None,
) -> SignInResult:
    """Check the credentials, then start a session, or a half-done sign-in when the account
    needs a one-time code too. Failures all get the same message, so that nobody can learn
    whether an account exists."""
    key = email.strip().lower()[:254]
    digest = account_digest(policy, key)
    now = utcnow()
    throttled = is_throttled(session, digest=digest, client_address=actor.client_address, now=now)
    user = session.exec(select(User).where(col(User.email_key) == key)).first()
    # The password is checked even when throttled or unknown, so timing reveals nothing.
    password_ok = verify_password(user.password_hash if user else None, password)
    expired = bool(
        user
        and user.must_change_password
        and user.password_expires_at is not None
        and now >= user.password_expires_at
    )
    succeeded = bool(user and user.active and password_ok and not throttled and not expired)
    record_attempt(
        session, digest=digest, client_address=actor.client_address, succeeded=succeeded, now=now
    )
    if not succeeded or user is None:
        record_failure(
            session,
            actor=actor,
            user=user,
            reason=_failure_reason(user, password_ok, throttled, expired),
        )
        if throttled:
            return SignInResult(None, error=SIGN_IN_THROTTLED)
        if expired and password_ok:
            return SignInResult(None, error=TEMPORARY_PASSWORD_EXPIRED)
        return SignInResult(None, error=SIGN_IN_REFUSED)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    if user.has_two_factor or needs_two_factor(user, policy):
        purpose = Pending.CODE if user.has_two_factor else Pending.SET_UP_CODE
        pending_token = start_pending(session, purpose=purpose, user_id=user.id)
        return SignInResult(user, pending_token=pending_token, pending=purpose)
    token = start_session(
        session,
        actor=actor,
        user=user,
        user_agent=user_agent,
        policy=policy,
        method=Method.PASSWORD,
        replacing_token=replacing_token,
    )
    return SignInResult(user, token=token)


def needs_two_factor(user: User, policy: SessionPolicy) -> bool:
    """Whether the account's roles require a one-time code at sign-in (set up or not)."""
    return any(role.value in policy.two_factor_roles for role in user.roles)


def start_session(
    session: Session,
    *,
    actor: audit.Actor,
    user: User,
    user_agent: str,
    policy: SessionPolicy,
    method: Method,
    id_token: str | None = None,
    replacing_token: str | None = None,
) -> str:
    """Start a new session for a person whose sign-in has succeeded; returns its token. The
    browser's old session, if any, ends: a planted cookie is never adopted."""
    now = utcnow()
    if replacing_token:
        end_session(session, token=replacing_token)
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            id=hash_token(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.absolute,
            client_address=address_key(actor.client_address),
            user_agent=user_agent[:300],
            method=method.value,
            id_token=id_token,
        )
    )
    user.last_sign_in_at = now
    session.add(user)
    audit.record(
        session,
        actor,
        AuditAction.SIGN_IN,
        entity_type="user",
        entity_id=user.id,
        user_id=user.id,
        details={"method": method.value},
    )
    return token


def start_pending(
    session: Session,
    *,
    purpose: Pending,
    user_id: uuid.UUID | None = None,
    state: str = "",
    nonce: str = "",
    code_verifier: str = "",
    next_path: str = "",
) -> str:
    """Record a half-done sign-in; returns the token for the browser's cookie."""
    now = utcnow()
    # Half-done sign-ins nobody came back to are cleared as new ones start.
    session.execute(
        delete(PendingSignIn).where(col(PendingSignIn.expires_at) < now - PENDING_LIFETIME)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        PendingSignIn(
            id=hash_token(token),
            purpose=purpose.value,
            user_id=user_id,
            state=state,
            nonce=nonce,
            code_verifier=code_verifier,
            next_path=next_path,
            created_at=now,
            expires_at=now + PENDING_LIFETIME,
        )
    )
    session.flush()
    return token


def find_pending(session: Session, *, token: str | None, purpose: Pending) -> PendingSignIn | None:
    """The live half-done sign-in for this browser's cookie, or None."""
    if not token:
        return None
    pending = session.get(PendingSignIn, hash_token(token))
    if pending is None or pending.purpose != purpose.value or utcnow() >= pending.expires_at:
        return None
    return pending


def finish_pending(session: Session, pending: PendingSignIn) -> bool:
    """A half-done sign-in is used once: finished, refused for good, or abandoned. False when
    another request used it first (the DELETE itself decides, so two at once cannot both)."""
    used = session.execute(delete(PendingSignIn).where(col(PendingSignIn.id) == pending.id))
    session.expunge(pending)
    return bool(used.rowcount == 1)  # type: ignore[attr-defined]


def _failure_reason(user: User | None, password_ok: bool, throttled: bool, expired: bool) -> str:
    if throttled:
        return "throttled"
    if user is None:
        return "unknown account"
    if not user.active:
        return "account deactivated"
    if not password_ok:
        return "wrong password"
    return "temporary password expired" if expired else "refused"


# The session, its user and their roles in one statement, built once: every signed-in request
# starts here, and building and keying it cost a fifth of a millisecond each time.
_RESOLVE = (
    select(UserSession, User)
    .join(User, col(User.id) == col(UserSession.user_id), isouter=True)
    .where(col(UserSession.id) == bindparam("token_hash"))
    .options(joinedload(User.role_rows))  # type: ignore[arg-type]  # SQLModel types the list
)


def resolve(
    session: Session, *, token: str, policy: SessionPolicy, now: datetime | None = None
) -> tuple[UserSession, User] | None:
    """The live session and its user for a cookie token, or None (expired, revoked, unknown,
    or the user was deactivated). Marks the session as seen."""
    now = now or utcnow()
    found = session.execute(_RESOLVE, {"token_hash": hash_token(token)}).unique().first()
    if found is None:
        return None
    record, user = found
    if record.revoked_at is not None:
        return None
    if (
        user is None
        or not user.active
        or now >= record.expires_at
        or now - record.last_seen_at >= policy.idle
    ):
        return None
    if now - record.last_seen_at >= TOUCH_INTERVAL:
        db.change_after_reads(session, record, last_seen_at=now)
    return record, user


def seconds_until_idle_timeout(record: UserSession, policy: SessionPolicy) -> int:
    deadline = min(record.last_seen_at + policy.idle, record.expires_at)
    return max(0, int((deadline - utcnow()).total_seconds()))


def keep_alive(session: Session, *, record: UserSession) -> None:
    record.last_seen_at = utcnow()
    session.add(record)


def end_session(session: Session, *, token: str) -> UserSession | None:
    record = session.get(UserSession, hash_token(token))
    if record is not None and record.revoked_at is None:
        record.revoked_at = utcnow()
        session.add(record)
    return record


def sign_out(session: Session, *, actor: audit.Actor, token: str) -> UserSession | None:
    """End the session; returns it (a session from the identity provider holds the ID token
    to sign out there too)."""
    record = end_session(session, token=token)
    if record is not None:
        audit.record(
            session, actor, AuditAction.SIGN_OUT, entity_type="user", entity_id=record.user_id
        )
    return record


def revoke_all_sessions(
    session: Session, *, user_id: uuid.UUID, except_id: str | None = None
) -> None:
    """End every session of a user (but `except_id`); the caller commits."""
    statement = (
        update(UserSession)
        .where(col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    if except_id:
        statement = statement.where(col(UserSession.id) != except_id)
    session.execute(statement)
