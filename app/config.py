"""One place for configuration, read from the environment when the app is created."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import AliasChoices, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRET_KEY = "change-me-this-is-not-a-secret"
MINIMUM_SECRET_KEY_LENGTH = 32


class ConfigError(Exception):
    """A configuration problem, described in one sentence an operator can act on."""


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOMEWARD_", extra="ignore", frozen=True)

    environment: Environment = Environment.DEVELOPMENT
    secret_key: str = PLACEHOLDER_SECRET_KEY
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("HOMEWARD_DATABASE_URL", "DATABASE_URL"),
    )
    data_dir: Path = PROJECT_ROOT / "data"
    content_dir: Path = PROJECT_ROOT / "framework_content"
    templates_dir: Path = PROJECT_ROOT / "templates"
    # The framework new families follow (its latest published version is pinned at the start).
    default_framework: str = "reunification"
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=7 * 24)
    # The largest request body accepted (forms, JSON); anything bigger is refused with 413.
    max_request_bytes: int = Field(default=1024 * 1024, ge=16 * 1024, le=100 * 1024 * 1024)
    # PostgreSQL waits the app bounds, so that a hung or overloaded database gives a quick 503
    # instead of requests piling up: running one statement, getting a pooled connection, and
    # making a new connection (see app.db.app_engine).
    database_statement_timeout_seconds: int = Field(default=10, ge=1, le=3600)
    database_pool_timeout_seconds: int = Field(default=5, ge=1, le=300)
    database_connect_timeout_seconds: int = Field(default=5, ge=2, le=300)
    # The retention schedule (app.services.retention, docs/operations.md): how long each kind
    # of record is kept before `python -m app retention` removes it.
    retention_deleted_family_days: int = Field(default=90, ge=1, le=3650)
    retention_audit_years: int = Field(default=7, ge=1, le=100)
    retention_session_days: int = Field(default=30, ge=1, le=3650)
    retention_sign_in_attempt_days: int = Field(default=90, ge=1, le=3650)
    retention_upload_days: int = Field(default=30, ge=1, le=3650)

    @model_validator(mode="after")
    def _refuse_unsafe_production_defaults(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            if self.secret_key == PLACEHOLDER_SECRET_KEY:
                raise ValueError(
                    "HOMEWARD_SECRET_KEY is still the placeholder value; set a random secret of "
                    f"at least {MINIMUM_SECRET_KEY_LENGTH} characters before running in production"
                )
            if len(self.secret_key) < MINIMUM_SECRET_KEY_LENGTH:
                raise ValueError(
                    f"HOMEWARD_SECRET_KEY must be at least {MINIMUM_SECRET_KEY_LENGTH} characters "
                    "long in production"
                )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'homeward.sqlite3'}"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def is_development(self) -> bool:
        return self.environment is Environment.DEVELOPMENT

    @property
    def secure_cookies(self) -> bool:
        return self.environment is Environment.PRODUCTION

    def cookie_name(self, base: str) -> str:
        """The name a cookie is set under. With secure cookies the __Host- prefix makes
        browsers refuse it unless it is Secure, host-only and for path "/", so a neighbouring
        subdomain cannot plant or read it."""
        return f"__Host-{base}" if self.secure_cookies else base


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, turning validation errors into one sentence."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        if location:
            message = f"HOMEWARD_{location.upper()}: {message}"
        raise ConfigError(f"Configuration error: {message}.") from error
