"""Password hashing's parameters: argon2's defaults for people, its cheapest in the test
environment (the suite signs in hundreds of times)."""

from __future__ import annotations

import subprocess
import sys

from argon2 import (
    DEFAULT_MEMORY_COST,
    DEFAULT_PARALLELISM,
    DEFAULT_TIME_COST,
    PasswordHasher,
    profiles,
)

from app.config import PROJECT_ROOT
from app.security.passwords import hash_password, use_test_parameters, verify_password

PASSWORD = "marble harbour lantern"


def parameters(password_hash: str) -> str:
    return password_hash.split("$")[3]


def test_a_process_outside_the_tests_hashes_at_argon2s_defaults() -> None:
    code = "from app.security.passwords import hash_password; print(hash_password('x'))"
    made = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    ).stdout.strip()
    assert parameters(made) == (
        f"m={DEFAULT_MEMORY_COST},t={DEFAULT_TIME_COST},p={DEFAULT_PARALLELISM}"
    )


def test_the_test_environment_hashes_cheaply_and_verifies_either_kind() -> None:
    use_test_parameters()
    cheap = hash_password(PASSWORD)
    assert parameters(cheap) == (
        f"m={profiles.CHEAPEST.memory_cost},t={profiles.CHEAPEST.time_cost},"
        f"p={profiles.CHEAPEST.parallelism}"
    )
    strong = PasswordHasher().hash(PASSWORD)
    assert verify_password(strong, PASSWORD)
    assert not verify_password(strong, PASSWORD + "s")
    assert PasswordHasher().verify(cheap, PASSWORD)
