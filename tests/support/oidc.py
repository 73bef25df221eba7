"""A real OpenID Connect provider for the tests: panva/oidc-provider on Node.js, started as
its own process (tests/oidc/provider.mjs), and a person signing in through it over HTTP.

Without Node.js or the provider's packages (`npm ci --prefix tests/oidc`) the tests that need
it skip with a message; with REQUIRE_IDENTITY_PROVIDER=1 (set by .ci/run) they fail instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx2 as httpx
import pytest

from tests.support.processes import free_port

PROVIDER_DIR = Path(__file__).resolve().parent.parent / "oidc"
REQUIRE_IDENTITY_PROVIDER = os.environ.get("REQUIRE_IDENTITY_PROVIDER") == "1"
CLIENT_ID = "homeward-tests"
CLIENT_SECRET = "a-client-secret-only-the-tests-know"


def unavailable_reason() -> str | None:
    if shutil.which("node") is None:
        return "Node.js is not installed; the identity provider tests need it"
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return "the test identity provider is not installed: npm ci --prefix tests/oidc"
    return None


class IdentityProvider:
    """The provider process, its issuer address, and the accounts it knows."""

    def __init__(self, *, app_urls: list[str], accounts: list[dict[str, Any]], log: Path) -> None:
        reason = unavailable_reason()
        if reason:
            if REQUIRE_IDENTITY_PROVIDER:
                pytest.fail(reason)
            pytest.skip(reason)
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        config = {
            "port": self.port,
            "client": {
                "id": CLIENT_ID,
                "secret": CLIENT_SECRET,
                "redirect_uris": [f"{url}/sign-in/provider/callback" for url in app_urls],
                "post_logout_redirect_uris": [f"{url}/signed-out" for url in app_urls],
            },
            "accounts": accounts,
        }
        self.log_path = log
        self.log = log.open("w")
        self.process = subprocess.Popen(
            ["node", str(PROVIDER_DIR / "provider.mjs")],
            env={**os.environ, "HOMEWARD_TEST_OIDC": json.dumps(config)},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        # A limit, not a wait: a busy machine can take a while to start Node.js.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The identity provider stopped: {self.logs()}")
            try:
                discovery = f"{self.issuer}/.well-known/openid-configuration"
                if httpx.get(discovery, timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"The identity provider did not start in 120 seconds: {self.logs()}")

    def logs(self) -> str:
        self.log.flush()
        return self.log_path.read_text()[-4000:]

    def settings(self, public_url: str, **overrides: object) -> dict[str, object]:
        """Homeward's settings for signing in through this provider."""
        return {
            "public_url": public_url,
            "oidc_issuer": self.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
            "oidc_scopes": "openid email profile groups",
            "oidc_provider_name": "the test identity provider",
            "oidc_timeout_seconds": 5,
            **overrides,
        }

    def tamper_next_id_token(
        self, *, claims: dict[str, Any] | None = None, foreign_key: bool = False
    ) -> None:
        """Make the provider's next ID token wrong in one way (see provider.mjs)."""
        response = httpx.post(
            f"{self.issuer}/__test/next-id-token",
            json={"claims": claims or {}, "foreign_key": foreign_key},
            timeout=5,
        )
        assert response.status_code == 204

    def sign_in(
        self, authorization_url: str, login: str, browser: httpx.Client | None = None
    ) -> str:
        """Sign in at the provider as `login`, as a person's browser would (following the
        provider's own pages and cookies); returns the address it sends them back to."""
        own = browser is None
        browser = browser or httpx.Client(timeout=10)
        try:
            response = browser.get(authorization_url)
            while response.status_code in (302, 303) and response.headers["location"].startswith(
                ("/", self.issuer)
            ):
                location = urljoin(self.issuer, response.headers["location"])
                if "/interaction/" in location and not location.endswith("/login"):
                    page = browser.get(location)
                    if page.status_code in (302, 303):
                        response = page
                        continue
                    action = re.search(r'action="([^"]+)"', page.text)
                    assert action, page.text
                    response = browser.post(
                        urljoin(self.issuer, action.group(1)), data={"login": login}
                    )
                else:
                    response = browser.get(location)
            assert response.status_code in (302, 303), (response.status_code, response.text)
            return str(response.headers["location"])
        finally:
            if own:
                browser.close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()
