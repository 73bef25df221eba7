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
