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

from sqlalchemy import func, text, update
from sqlmodel import Session, col, select

from app.config import Settings
from app.models.accounts import SignInAttempt, User, UserSession
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.security.passwords import hash_password, needs_rehash, verify_password
from app.services import audit

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
# The first key of the two-key advisory locks that serialise sign-in attempts per account
# (two-key locks never clash with the one-key migration lock).
SIGN_IN_LOCK_SPACE = 0x5349474E  # "SIGN"
# last_seen_at is written at most this often, so that every page view is not a write.
TOUCH_INTERVAL = timedelta(seconds=30)

SIGN_IN_REFUSED = "Enter a correct email address and password"
SIGN_IN_THROTTLED = "There have been too many attempts to sign in. Wait 15 minutes, then try again"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta


def policy_from(settings: Settings) -> SessionPolicy:
    return SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    token: str | None
    error: str | None


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


def is_throttled(session: Session, *, email_key: str, client_address: str, now: datetime) -> bool:
    """True when the account, or the client address, has failed too often lately.

    Takes the account's sign-in lock first, held until the transaction ends, so that parallel
    guesses at one account are counted one after another: without it each could read the
    same count and all pass the limit. (SQLite's transactions already take the write lock
    at BEGIN, so the same holds there.)"""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
            {"space": SIGN_IN_LOCK_SPACE, "key": email_key},
        )
    since = now - THROTTLE_WINDOW
    return (
        _failures_since(session, col(SignInAttempt.email_key), email_key, since)
        >= MAX_FAILURES_PER_ACCOUNT
        or _failures_since(session, col(SignInAttempt.client_address), client_address, since)
        >= MAX_FAILURES_PER_ADDRESS
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
    """Check the credentials and start a new session. Failures all get the same message, so
    that nobody can learn whether an account exists."""
    key = email.strip().lower()[:254]
    now = utcnow()
    throttled = is_throttled(session, email_key=key, client_address=actor.client_address, now=now)
    user = session.exec(select(User).where(col(User.email_key) == key)).first()
    # The password is checked even when throttled or unknown, so timing reveals nothing.
    password_ok = verify_password(user.password_hash if user else None, password)
    succeeded = bool(user and user.active and password_ok and not throttled)
    session.add(
        SignInAttempt(
            email_key=key, client_address=actor.client_address[:64], succeeded=succeeded, at=now
        )
    )
    if not succeeded or user is None:
        audit.record(
            session,
            actor,
            AuditAction.SIGN_IN_FAILED,
            entity_type="user",
            entity_id=user.id if user else "",
            user_id=user.id if user else None,
            details={"email": key, "reason": _failure_reason(user, password_ok, throttled)},
        )
        return SignInResult(None, None, SIGN_IN_THROTTLED if throttled else SIGN_IN_REFUSED)

    if replacing_token:
        end_session(session, token=replacing_token)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            id=hash_token(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.absolute,
            client_address=actor.client_address[:64],
            user_agent=user_agent[:300],
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
    )
    return SignInResult(user, token, None)


def _failure_reason(user: User | None, password_ok: bool, throttled: bool) -> str:
    if throttled:
        return "throttled"
    if user is None:
        return "unknown account"
    if not user.active:
        return "account deactivated"
    return "wrong password" if not password_ok else "refused"


def resolve(
    session: Session, *, token: str, policy: SessionPolicy, now: datetime | None = None
) -> tuple[UserSession, User] | None:
    """The live session and its user for a cookie token, or None (expired, revoked, unknown,
    or the user was deactivated). Marks the session as seen."""
    now = now or utcnow()
    record = session.get(UserSession, hash_token(token))
    if record is None or record.revoked_at is not None:
        return None
    user = session.get(User, record.user_id)
    if (
        user is None
        or not user.active
        or now >= record.expires_at
        or now - record.last_seen_at >= policy.idle
    ):
        return None
    if now - record.last_seen_at >= TOUCH_INTERVAL:
        record.last_seen_at = now
        session.add(record)
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


def sign_out(session: Session, *, actor: audit.Actor, token: str) -> None:
    record = end_session(session, token=token)
    if record is not None:
        audit.record(
            session, actor, AuditAction.SIGN_OUT, entity_type="user", entity_id=record.user_id
        )


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
