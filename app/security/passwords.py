"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

MINIMUM_LENGTH = 12
MAXIMUM_LENGTH = 128
# zxcvbn's scale: 3 means "safely unguessable" to an online attacker.
MINIMUM_STRENGTH = 3

_hasher = PasswordHasher()


def use_test_parameters() -> None:
    """argon2's cheapest parameters, in the test environment only (which also lets each
    request name its own moment, so never serves people): a hash at the default parameters
    costs about a fifth of a second, and the test suite signs in hundreds of times. A hash
    keeps its parameters, so hashes of either kind verify under both."""
    global _hasher  # one hasher per process, chosen at start-up
    _hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    _unusable_hash.cache_clear()


@cache
def _unusable_hash() -> str:
    """Verified against when the account does not exist, so that a wrong email takes as long
    to refuse as a wrong password. Made on first use: a hash costs every process that imports
    this module (each command of the CLI) a fraction of a second."""
    return _hasher.hash("homeward-no-such-account")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; always does the same work, even with no hash."""
    # No stored password is longer than MAXIMUM_LENGTH, so one character more still cannot
    # match, and a megabyte typed into the box costs no more to refuse than a word.
    password = password[: MAXIMUM_LENGTH + 1]
    try:
        return _hasher.verify(password_hash or _unusable_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """What is wrong with a new password, as an instruction; None when it is acceptable."""
    if len(password) < MINIMUM_LENGTH:
        return f"Password must be {MINIMUM_LENGTH} characters or more"
    if len(password) > MAXIMUM_LENGTH:
        return f"Password must be {MAXIMUM_LENGTH} characters or fewer"
    personal = [part for part in (email, email.split("@")[0], *name.split()) if len(part) > 2]
    if any(part.lower() in password.lower() for part in personal):
        return "Password must not contain your name or email address"
    # Loaded here, not with the app: its word lists take about 12 MiB in every process, and
    # only a new password is ever checked.
    from zxcvbn import zxcvbn

    if zxcvbn(password, user_inputs=personal)["score"] < MINIMUM_STRENGTH:
        return (
            "Password is too common or too easy to guess. Try 3 or more random words "
            "together, like ‘marble harbour lantern’"
        )
    return None
