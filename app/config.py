"""One place for configuration, read from the environment when the app is created."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRET_KEY = "change-me-this-is-not-a-secret"
MINIMUM_SECRET_KEY_LENGTH = 32
ROLE_NAMES = ("practitioner", "supervisor", "trainer", "admin", "manager")


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
    # Requests each app process works on at once; the others wait, first come, first served
    # (app.admission). Documents, exports and sign-in through the identity provider do not.
    requests_at_once: int = Field(default=2, ge=1, le=64)
    # The retention schedule (app.services.retention, docs/operations.md): how long each kind
    # of record is kept before `python -m app retention` removes it.
    retention_deleted_family_days: int = Field(default=90, ge=1, le=3650)
    retention_audit_years: int = Field(default=7, ge=1, le=100)
    retention_session_days: int = Field(default=30, ge=1, le=3650)
    retention_sign_in_attempt_days: int = Field(default=90, ge=1, le=3650)
    retention_upload_days: int = Field(default=30, ge=1, le=3650)
    # Reports' CSV files meant to leave the team hide counts from 1 to this number less one
    # (and any count they could be worked out from); 0 or 1 hides nothing.
    report_suppress_below: int = Field(default=5, ge=0, le=100)
    # The address people reach Homeward at (https://homeward.council.gov.uk): the identity
    # provider sends people back to it, so it is never taken from a request's Host header.
    public_url: str = ""
    # A temporary password an administrator gives out stops working after this long.
    temporary_password_hours: int = Field(default=72, ge=1, le=14 * 24)
    # Roles whose local accounts must use a one-time code from an authenticator app too:
    # comma-separated, for example "admin,supervisor".
    two_factor_roles: Annotated[frozenset[str], NoDecode] = frozenset()

    # Sign-in through the council's identity provider (OpenID Connect); off without an issuer.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid email profile"
    # Words for the button: "Sign in with {oidc_provider_name}".
    oidc_provider_name: str = "your council account"
    # The claim that identifies the person for good (Entra ID: "oid"), and the claims with
    # their email address and name.
    oidc_subject_claim: str = "sub"
    oidc_email_claim: str = "email"
    oidc_name_claim: str = "name"
    # People the provider vouches for who have no Homeward account: refused, or given an
    # account with no role for an administrator to complete.
    oidc_unknown_users: Literal["refuse", "create"] = "refuse"
    # Where set, roles and team come from this claim at every sign-in (not the admin pages):
    # role name -> the groups that give it; group -> the team it puts people in.
    oidc_groups_claim: str = ""
    oidc_role_groups: dict[str, list[str]] = Field(default_factory=dict)
    oidc_team_groups: dict[str, str] = Field(default_factory=dict)
    oidc_timeout_seconds: float = Field(default=10, gt=0, le=60)
    # Refuse a sign-in the provider does not say used multi-factor authentication: the ID
    # token's amr claim must hold one of the amr values, or its acr claim be one of the acr
    # values (which are also asked for at sign-in). Comma-separated lists.
    oidc_require_mfa: bool = False
    oidc_mfa_amr_values: Annotated[frozenset[str], NoDecode] = frozenset({"mfa"})
    oidc_mfa_acr_values: Annotated[frozenset[str], NoDecode] = frozenset()
    # With the identity provider on, local passwords can be switched off entirely.
    local_passwords: bool = True

    @field_validator("two_factor_roles", mode="before")
    @classmethod
    def _role_list(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        unknown = sorted(set(value) - set(ROLE_NAMES)) if isinstance(value, list | set) else []
        if unknown:
            raise ValueError(f"unknown role {unknown[0]!r}; use some of {', '.join(ROLE_NAMES)}")
        return value

    @field_validator("oidc_mfa_amr_values", "oidc_mfa_acr_values", mode="before")
    @classmethod
    def _word_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("oidc_role_groups")
    @classmethod
    def _role_groups(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(value) - set(ROLE_NAMES))
        if unknown:
            raise ValueError(f"unknown role {unknown[0]!r}; use some of {', '.join(ROLE_NAMES)}")
        return value

    @model_validator(mode="after")
    def _identity_provider_complete(self) -> Self:
        if self.oidc_issuer:
            if not self.oidc_client_id:
                raise ValueError("HOMEWARD_OIDC_CLIENT_ID is needed with HOMEWARD_OIDC_ISSUER")
            if not self.public_url.startswith(("https://", "http://")):
                raise ValueError(
                    "HOMEWARD_PUBLIC_URL (the address people reach Homeward at, like "
                    "https://homeward.council.gov.uk) is needed with HOMEWARD_OIDC_ISSUER"
                )
            if "openid" not in self.oidc_scopes.split():
                raise ValueError("HOMEWARD_OIDC_SCOPES must include openid")
            if self.environment is Environment.PRODUCTION and not (
                self.oidc_issuer.startswith("https://") and self.public_url.startswith("https://")
            ):
                raise ValueError(
                    "HOMEWARD_OIDC_ISSUER and HOMEWARD_PUBLIC_URL must use https in production"
                )
            if self.oidc_require_mfa and not (self.oidc_mfa_amr_values or self.oidc_mfa_acr_values):
                raise ValueError(
                    "HOMEWARD_OIDC_MFA_AMR_VALUES or HOMEWARD_OIDC_MFA_ACR_VALUES must say what "
                    "counts as multi-factor sign-in when HOMEWARD_OIDC_REQUIRE_MFA is on"
                )
        elif not self.local_passwords:
            raise ValueError(
                "HOMEWARD_LOCAL_PASSWORDS can only be switched off when sign-in through the "
                "identity provider is on (HOMEWARD_OIDC_ISSUER)"
            )
        elif self.oidc_require_mfa:
            raise ValueError(
                "HOMEWARD_OIDC_REQUIRE_MFA is about sign-in through the identity provider, "
                "which is off (HOMEWARD_OIDC_ISSUER); two-factor sign-in for Homeward "
                "passwords is HOMEWARD_TWO_FACTOR_ROLES"
            )
        if self.oidc_groups_claim and not self.oidc_role_groups:
            raise ValueError(
                "HOMEWARD_OIDC_ROLE_GROUPS must say which groups give which role when "
                "HOMEWARD_OIDC_GROUPS_CLAIM is set"
            )
        return self

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
    def sso_enabled(self) -> bool:
        return bool(self.oidc_issuer)

    @property
    def password_sign_in(self) -> bool:
        """Whether people may sign in with a Homeward password."""
        return self.local_passwords or not self.sso_enabled

    @property
    def roles_from_provider(self) -> bool:
        """Roles and team come from the identity provider's group claim, not the admin pages."""
        return self.sso_enabled and bool(self.oidc_groups_claim)

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
