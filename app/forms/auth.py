"""Forms for signing in and changing a password."""

from pydantic import ConfigDict, field_validator

from app.forms import PageForm
from app.security.redirects import is_safe_next


class SignInForm(PageForm):
    # Passwords are never stripped: leading or trailing spaces may be part of them.
    model_config = ConfigDict(str_strip_whitespace=False)

    email: str = ""
    password: str = ""
    next: str = ""

    @field_validator("next", mode="before")
    @classmethod
    def _next(cls, value: object) -> object:
        # Not the person's input: an unsafe address is dropped, not explained.
        return value if isinstance(value, str) and is_safe_next(value) else ""

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Enter your email address")
        return value.strip()

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        if not value:
            raise ValueError("Enter your password")
        return value


class ChangePasswordForm(PageForm):
    model_config = ConfigDict(str_strip_whitespace=False)

    current_password: str = ""
    new_password: str = ""
    confirm_password: str = ""


class CodeForm(PageForm):
    """A one-time code from an authenticator app, or a recovery code."""

    code: str = ""

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Enter the code from your authenticator app")
        if len(value) > 40:
            raise ValueError("Enter the 6-digit code from your authenticator app")
        return value
