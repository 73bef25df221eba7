from pathlib import Path

import pytest

from app.config import PLACEHOLDER_SECRET_KEY, ConfigError, Environment, load_settings


def test_development_defaults_to_a_sqlite_file_in_the_data_directory(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, database_url=None)
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'homeward.sqlite3'}"
    assert settings.is_sqlite


def test_database_url_switches_to_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u:p@db.example:5432/homeward")
    settings = load_settings()
    assert settings.sqlalchemy_url.startswith("postgresql+psycopg://")
    assert not settings.is_sqlite


def test_production_refuses_the_placeholder_secret() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(environment=Environment.PRODUCTION, secret_key=PLACEHOLDER_SECRET_KEY)
    message = str(raised.value)
    assert "HOMEWARD_SECRET_KEY" in message
    assert "\n" not in message


def test_production_refuses_a_short_secret() -> None:
    with pytest.raises(ConfigError, match="at least 32 characters"):
        load_settings(environment=Environment.PRODUCTION, secret_key="short")


def test_production_accepts_a_real_secret() -> None:
    settings = load_settings(environment=Environment.PRODUCTION, secret_key="x" * 40)
    assert settings.secure_cookies


def test_an_unknown_environment_is_named_in_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMEWARD_ENVIRONMENT", "staging")
    with pytest.raises(ConfigError, match="HOMEWARD_ENVIRONMENT"):
        load_settings()


def test_multi_factor_at_the_provider_is_read_from_comma_separated_lists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOMEWARD_OIDC_ISSUER", "https://id.council.test")
    monkeypatch.setenv("HOMEWARD_OIDC_CLIENT_ID", "homeward")
    monkeypatch.setenv("HOMEWARD_PUBLIC_URL", "https://homeward.council.test")
    monkeypatch.setenv("HOMEWARD_OIDC_REQUIRE_MFA", "true")
    monkeypatch.setenv("HOMEWARD_OIDC_MFA_AMR_VALUES", "mfa, otp")
    monkeypatch.setenv("HOMEWARD_OIDC_MFA_ACR_VALUES", "gold")
    settings = load_settings()
    assert settings.oidc_require_mfa
    assert settings.oidc_mfa_amr_values == {"mfa", "otp"}
    assert settings.oidc_mfa_acr_values == {"gold"}
    # Off by default: the provider's own policy (Entra ID's conditional access) is trusted.
    assert not load_settings(oidc_require_mfa=False).oidc_require_mfa


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"oidc_require_mfa": True}, "HOMEWARD_OIDC_REQUIRE_MFA is about sign-in through"),
        (
            {
                "oidc_require_mfa": True,
                "oidc_issuer": "https://id.council.test",
                "oidc_client_id": "homeward",
                "public_url": "https://homeward.council.test",
                "oidc_mfa_amr_values": "",
            },
            "must say what counts as multi-factor sign-in",
        ),
    ],
    ids=["without the identity provider", "with nothing that counts"],
)
def test_requiring_multi_factor_at_the_provider_needs_what_counts(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(**overrides)
