"""Every link on every page each demo person can reach, followed: none answers 404 or 5xx.

The demo has families at every point of the journey, so this walks every kind of page the app
has (a few of each: addresses that differ only by a record's id count as one kind) for every
role. Downloads (PDF, Word, CSV, JSON, zip) are left to their own tests: they are files, not
pages with links."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
from sqlmodel import Session, col, select

from app.config import PLACEHOLDER_SECRET_KEY
from app.demo import load_demo
from app.demo.accounts import DEMO_ACCOUNTS
from app.models.accounts import User
from tests.factories import CONTENT, sign_in_as
from tests.support.client import CheckingClient

ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{12}")
FILES = (".pdf", ".docx", ".csv", ".json", ".zip", ".png", ".svg")
PER_KIND = 2  # pages of one kind (the same address but for ids) visited per person


PREVIEW = re.compile(r"(/content/drafts/\{id\}/preview)(.*)")


def kind(path: str) -> str:
    pattern = ID.sub("{id}", path)
    preview = PREVIEW.fullmatch(pattern)
    if preview:
        # A draft's preview draws the family pages the practitioners' walks cover, one built
        # family a page: a few of each kind (by the address's first words), not every section.
        return preview.group(1) + "/".join(preview.group(2).split("/")[:2])
    return pattern


def crawl(client: CheckingClient) -> dict[str, int]:
    """Visit what can be reached from the home page; return each address's status."""
    seen: dict[str, int] = {}
    per_kind: dict[str, int] = {}
    queue = deque(["/home"])
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code != 200 or "text/html" not in response.headers.get(
            "content-type", ""
        ):
            continue
        # lxml (C): BeautifulSoup took as long as the app drew the page.
        for href in lxml.html.document_fromstring(response.text).xpath("//a/@href"):
            target = urlsplit(urljoin(f"http://testserver{urlsplit(url).path}", href))
            if target.netloc != "testserver" or not target.path.startswith("/"):
                continue
            if target.path.startswith("/static/") or target.path.endswith(FILES):
                continue
            address = target.path + (f"?{target.query}" if target.query else "")
            if address in seen or address in queue:
                continue
            pattern = kind(target.path)
            # Every family's overview (each is at its own point of the journey, so each links
            # to different pages); a few of every other kind.
            if pattern != "/families/{id}" and per_kind.get(pattern, 0) >= PER_KIND:
                continue
            per_kind[pattern] = per_kind.get(pattern, 0) + 1
            queue.append(address)
    return seen


def test_every_link_for_every_demo_role_answers(
    client: CheckingClient, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("where links lead does not depend on the database: walked once, on SQLite")
    load_demo(db, CONTENT, secret_key=PLACEHOLDER_SECRET_KEY)
    db.commit()
    kinds: set[str] = set()
    # The first person of each set of roles (the demo's main team): two people with the same
    # roles reach the same kinds of page.
    people = {account.roles: account for account in reversed(DEMO_ACCOUNTS)}.values()
    for account in people:
        user = db.exec(select(User).where(col(User.email_key) == account.email.lower())).one()
        sign_in_as(client, db, user)
        db.commit()
        visited = crawl(client)
        broken = {url: code for url, code in visited.items() if code == 404 or code >= 500}
        assert not broken, f"{account.email}: {broken}"
        assert len(visited) > 3, account.email
        # Pages that are only read write nothing but their audit entries (app.db.READS_FIRST).
        written = [
            r.getMessage() for r in caplog.records if "wrote during its reads" in r.getMessage()
        ]
        assert not written, f"{account.email}: {written}"
        kinds |= {kind(urlsplit(url).path) for url in visited}
    # The journey's pages are among those reached, and the demo service account's page.
    for page in (
        "/admin/service-accounts/{id}",
        "/families/{id}/decisions/agreement-sign-off",
        "/families/{id}/reviews",
        "/families/{id}/going-home",
        "/families/{id}/visits",
        "/families/{id}/outcomes",
    ):
        assert page in kinds, page
