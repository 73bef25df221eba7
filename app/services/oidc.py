"""The OpenID Connect protocol with the council's identity provider, through Authlib.

Authorization code flow with PKCE (S256), state and nonce; the provider's settings come from
its discovery document and its signing keys from its JWKS, both fetched when needed (a sign-in
is rare enough that nothing is cached, so a rotated key is picked up at once). The ID token's
signature, issuer, audience, expiry and nonce are all checked before anyone is let in.
Nothing here touches the database: app.services.sso does that.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from app.config import Settings

CALLBACK_PATH = "/sign-in/provider/callback"
SIGNED_OUT_PATH = "/signed-out"
# Asymmetric algorithms only: a token signed with the client secret (HS256) or not at all
# ("none") is refused whatever the provider advertises.
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
# How far the provider's clock may be from ours.
CLOCK_LEEWAY_SECONDS = 60


class ProviderUnavailable(Exception):
    """The identity provider could not be reached, or answered with something unusable."""


class TokenRefused(Exception):
    """The provider's answer failed a check; `reason` is for the audit trail."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None
    algorithms: tuple[str, ...]


@dataclass(frozen=True)
class Authorization:
    """Where to send the person, and what to remember until they come back."""

    url: str
    state: str
    nonce: str
    code_verifier: str


def redirect_uri(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + CALLBACK_PATH


def _get_json(url: str, settings: Settings) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=settings.oidc_timeout_seconds)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"{url}: {type(error).__name__}") from error
    if not isinstance(data, dict):
        raise ProviderUnavailable(f"{url}: not a JSON object")
    return data


def discover(settings: Settings) -> Metadata:
    """The provider's discovery document, checked to be for the configured issuer."""
    issuer = settings.oidc_issuer.rstrip("/")
    data = _get_json(f"{issuer}/.well-known/openid-configuration", settings)
    # OpenID Connect Discovery: the document must name exactly the issuer it was fetched for.
    if data.get("issuer", "").rstrip("/") != issuer:
        raise ProviderUnavailable(f"discovery names issuer {data.get('issuer')!r}")
    try:
        advertised = data.get("id_token_signing_alg_values_supported") or ["RS256"]
        return Metadata(
            issuer=str(data["issuer"]),
            authorization_endpoint=str(data["authorization_endpoint"]),
            token_endpoint=str(data["token_endpoint"]),
            jwks_uri=str(data["jwks_uri"]),
            end_session_endpoint=data.get("end_session_endpoint"),
            algorithms=tuple(a for a in advertised if a in ALLOWED_ALGORITHMS),
        )
    except KeyError as missing:
        raise ProviderUnavailable(f"discovery has no {missing}") from None


def _client(settings: Settings) -> OAuth2Session:
    return OAuth2Session(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret or None,
        scope=settings.oidc_scopes,
        redirect_uri=redirect_uri(settings),
        code_challenge_method="S256",
    )


def authorization(settings: Settings, metadata: Metadata) -> Authorization:
    """The provider's sign-in address for a new attempt, with fresh state, nonce and PKCE."""
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    code_verifier = generate_token(64)
    extra: dict[str, str] = {}
    if settings.oidc_require_mfa and settings.oidc_mfa_acr_values:
        # Asks the provider for a sign-in of that strength (Keycloak steps up to it); what
        # counts is the acr the ID token then carries (see multi_factor).
        extra["acr_values"] = " ".join(sorted(settings.oidc_mfa_acr_values))
    with _client(settings) as client:
        url, _ = client.create_authorization_url(
            metadata.authorization_endpoint,
            state=state,
            code_verifier=code_verifier,
            nonce=nonce,
            **extra,
        )
    return Authorization(url=url, state=state, nonce=nonce, code_verifier=code_verifier)


def exchange(
    settings: Settings, metadata: Metadata, *, code: str, code_verifier: str, nonce: str
) -> tuple[dict[str, Any], str]:
    """Trade the code for tokens and check the ID token; returns its claims and the token
    itself (kept to sign out at the provider later)."""
    try:
        with _client(settings) as client:
            token = client.fetch_token(
                metadata.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                timeout=settings.oidc_timeout_seconds,
            )
    except OAuthError as error:
        # The provider refused the code: used before, expired, or the PKCE proof is wrong.
        raise TokenRefused(f"the provider refused the code ({error.error})") from error
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"token endpoint: {type(error).__name__}") from error
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise TokenRefused("the provider sent no ID token")
    return check_id_token(settings, metadata, id_token, nonce=nonce, token=token), id_token


def check_id_token(
    settings: Settings,
    metadata: Metadata,
    id_token: str,
    *,
    nonce: str,
    token: dict[str, Any],
) -> dict[str, Any]:
    """Verify the ID token's signature with the provider's published keys, then its issuer,
    audience, expiry, issue time and nonce (and at_hash and azp where present)."""
    keys = KeySet.import_key_set(_get_json(metadata.jwks_uri, settings))  # type: ignore[arg-type]
    try:
        decoded = jwt.decode(
            id_token,
            keys,
            registry=JWSRegistry(algorithms=list(metadata.algorithms) or ["RS256"]),
        )
    except BadSignatureError as error:
        raise TokenRefused("the ID token's signature is wrong") from error
    except JoseError as error:
        raise TokenRefused(f"the ID token could not be read ({error.error})") from error
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        {
            "iss": {"essential": True, "value": metadata.issuer},
            "aud": {"essential": True, "value": settings.oidc_client_id},
        },
        {"nonce": nonce, "client_id": settings.oidc_client_id, **_access_token(token)},
    )
    try:
        claims.validate(leeway=CLOCK_LEEWAY_SECONDS)
    except ExpiredTokenError as error:
        raise TokenRefused("the ID token has expired") from error
    except (InvalidClaimError, MissingClaimError) as error:
        raise TokenRefused(f"the ID token's {error.claim} is wrong or missing") from error
    except JoseError as error:
        raise TokenRefused(f"the ID token failed a check ({error.error})") from error
    return dict(decoded.claims)


def multi_factor(settings: Settings, claims: dict[str, Any]) -> str | None:
    """None when the ID token says the person signed in with multi-factor authentication as
    the settings ask (or none is required); otherwise what it said, for the audit trail."""
    if not settings.oidc_require_mfa:
        return None
    amr = claims.get("amr")
    methods = {m for m in amr if isinstance(m, str)} if isinstance(amr, list) else set()
    acr = claims.get("acr")
    level = acr if isinstance(acr, str) and acr else None
    if methods & settings.oidc_mfa_amr_values or level in settings.oidc_mfa_acr_values:
        return None
    said = ", ".join(sorted(methods)) or "none"
    return f"amr: {said[:80]}; acr: {(level or 'none')[:80]}"


def _access_token(token: dict[str, Any]) -> dict[str, Any]:
    value = token.get("access_token")
    return {"access_token": value} if isinstance(value, str) else {}


def sign_out_url(settings: Settings, metadata: Metadata, *, id_token: str) -> str | None:
    """Where to send the person to sign out at the provider too (RP-initiated logout), or
    None when the provider offers no such address."""
    if not metadata.end_session_endpoint:
        return None
    return str(
        add_params_to_uri(
            metadata.end_session_endpoint,
            {
                "id_token_hint": id_token,
                "client_id": settings.oidc_client_id,
                "post_logout_redirect_uri": settings.public_url.rstrip("/") + SIGNED_OUT_PATH,
            },
        )
    )
