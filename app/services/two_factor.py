"""Two-factor sign-in for local accounts: one-time codes from an authenticator app (TOTP),
and single-use recovery codes for when the app is lost."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from app.models.accounts import RecoveryCode, User
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.security.secretbox import seal, unseal
from app.services import audit
from app.services.errors import InvalidInput
from app.services.sessions import (
    Method,
    SessionPolicy,
    account_digest,
    is_throttled,
    record_attempt,
    record_failure,
    revoke_all_sessions,
)

ISSUER = "Homeward"
RECOVERY_CODE_COUNT = 10
# Recovery codes: 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L),
# shown as two groups of five: about 50 bits each.
_RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_RECOVERY_LENGTH = 10
_SEPARATORS = re.compile(r"[\s-]+")

ENTER_CODE = "Enter the 6-digit code from your authenticator app, or a recovery code"
WRONG_CODE = "The code is not right. Enter the newest code from your authenticator app"
CODE_USED = (
    "That code has already been used. Wait for your authenticator app to show a new code, "
    "then enter it"
)
THROTTLED = "There have been too many attempts to sign in. Wait 15 minutes, then try again"
SETUP_WRONG_CODE = (
    "The code is not right. Check your authenticator app shows Homeward, then enter its newest code"
)


@dataclass(frozen=True)
class SetUp:
    """What the set-up page shows: the QR code and the same key to type by hand."""

    key: str
    qr_data_uri: str

    @property
    def key_in_groups(self) -> str:
        return " ".join(self.key[i : i + 4] for i in range(0, len(self.key), 4))


def _normalise(code: str) -> str:
    return _SEPARATORS.sub("", code).upper()[:32]


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def begin_set_up(session: Session, *, user: User, secret_key: str) -> SetUp:
    """The key the person adds to their authenticator app: made once and kept (sealed) until
    confirmed, so that reloading the page does not change a key already scanned."""
    key = unseal(secret_key, user.totp_pending_secret) if user.totp_pending_secret else None
    if key is None:
        key = pyotp.random_base32()
        user.totp_pending_secret = seal(secret_key, key)
        session.add(user)
        session.flush()
    uri = pyotp.TOTP(key).provisioning_uri(name=user.email, issuer_name=ISSUER)
    qr = segno.make(uri, error="m")
    return SetUp(key=key, qr_data_uri=qr.svg_data_uri(scale=5, border=4, dark="#0b0c0c"))


def _matching_step(key: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is (the current one, or one either side for a clock a
    little out), compared in constant time; None when it matches none."""
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(key)
    current = totp.timecode(now)
    found = None
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def confirm_set_up(
    session: Session, *, actor: audit.Actor, user: User, code: str, secret_key: str
) -> list[str]:
    """Switch two-factor sign-in on once the person proves their app shows the right codes;
    returns new recovery codes, to show once."""
    key = unseal(secret_key, user.totp_pending_secret) if user.totp_pending_secret else None
    normalised = _normalise(code)
    if not normalised:
        raise InvalidInput({"code": "Enter the 6-digit code from your authenticator app"})
    step = _matching_step(key, normalised, utcnow()) if key else None
    if step is None:
        raise InvalidInput({"code": SETUP_WRONG_CODE})
    user.totp_secret = user.totp_pending_secret
    user.totp_pending_secret = None
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    session.add(user)
    codes = _replace_recovery_codes(session, user=user)
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        entity_type="user",
        entity_id=user.id,
        details={"two_factor": "switched on"},
    )
    return codes


def _replace_recovery_codes(session: Session, *, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(c)) for c in codes)
    session.flush()
    return codes


def new_recovery_codes(session: Session, *, actor: audit.Actor, user: User) -> list[str]:
    """Replace the person's recovery codes (the old ones stop working); returns the new."""
    if not user.has_two_factor:
        raise InvalidInput({"codes": "Set up two-factor sign-in first"})
    codes = _replace_recovery_codes(session, user=user)
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        entity_type="user",
        entity_id=user.id,
        details={"two_factor": "new recovery codes"},
    )
    return codes


def unused_recovery_codes(session: Session, *, user: User) -> int:
    return len(
        session.exec(
            select(RecoveryCode.id).where(
                col(RecoveryCode.user_id) == user.id, col(RecoveryCode.used_at).is_(None)
            )
        ).all()
    )


def switch_off(
    session: Session,
    *,
    actor: audit.Actor,
    user: User,
    by_administrator: bool = False,
    keep_session_id: str | None = None,
) -> None:
    """Switch two-factor sign-in off and forget the app's key and the recovery codes. An
    administrator does this for someone who lost their phone; their sessions end."""
    user.totp_secret = None
    user.totp_pending_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.add(user)
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    if by_administrator:
        revoke_all_sessions(session, user_id=user.id)
    else:
        revoke_all_sessions(session, user_id=user.id, except_id=keep_session_id)
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        entity_type="user",
        entity_id=user.id,
        details={"two_factor": "reset by an administrator" if by_administrator else "switched off"},
    )


def verify_sign_in_code(
    session: Session,
    *,
    actor: audit.Actor,
    user: User,
    code: str,
    policy: SessionPolicy,
) -> None:
    """Check the second step of a sign-in: a code from the app (each works once) or an
    unused recovery code. Wrong codes count towards the same limits as wrong passwords.
    Raises InvalidInput with what to tell the person."""
    normalised = _normalise(code)
    if not normalised:
        raise InvalidInput({"code": ENTER_CODE})
    now = utcnow()
    digest = account_digest(policy, user.email_key)
    if is_throttled(session, digest=digest, client_address=actor.client_address, now=now):
        _fail(session, actor, user, digest, now, "throttled")
        raise InvalidInput({"code": THROTTLED})
    key = unseal(policy.secret_key, user.totp_secret) if user.totp_secret else None
    step = _matching_step(key, normalised, now) if key else None
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            _fail(session, actor, user, digest, now, "one-time code used before")
            raise InvalidInput({"code": CODE_USED})
        # The step is claimed in the UPDATE itself, so two requests with the same code at
        # the same moment cannot both succeed.
        claimed = session.execute(
            update(User)
            .where(
                col(User.id) == user.id,
                (col(User.totp_last_step).is_(None)) | (col(User.totp_last_step) < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            _fail(session, actor, user, digest, now, "one-time code used before")
            raise InvalidInput({"code": CODE_USED})
        session.refresh(user)
    elif not _use_recovery_code(session, user=user, code=normalised, now=now):
        _fail(session, actor, user, digest, now, "wrong one-time code")
        raise InvalidInput({"code": WRONG_CODE})
    else:
        audit.record(
            session,
            actor,
            AuditAction.UPDATE,
            entity_type="user",
            entity_id=user.id,
            details={"two_factor": "signed in with a recovery code"},
        )
    record_attempt(
        session, digest=digest, client_address=actor.client_address, succeeded=True, now=now
    )


def _use_recovery_code(session: Session, *, user: User, code: str, now: datetime) -> bool:
    # Claimed in the UPDATE itself: a recovery code works once, even for two requests at once.
    used = session.execute(
        update(RecoveryCode)
        .where(
            col(RecoveryCode.user_id) == user.id,
            col(RecoveryCode.code_hash) == _hash_recovery(code),
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(used.rowcount == 1)  # type: ignore[attr-defined]


def _fail(
    session: Session, actor: audit.Actor, user: User, digest: str, now: datetime, reason: str
) -> None:
    record_attempt(
        session, digest=digest, client_address=actor.client_address, succeeded=False, now=now
    )
    record_failure(session, actor=actor, user=user, reason=reason, method=Method.PASSWORD_AND_CODE)
