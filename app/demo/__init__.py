"""Invented demo data for trying Homeward (`make run`). Development only; never production.

Every name, date and event here is made up. Loading is idempotent: records are found by
their email address or family reference and left alone if they exist. Each feature adds its
part as a module here and one call in `load_demo`.
"""

from sqlmodel import Session

from app.content.registry import ContentRegistry
from app.demo.accounts import DemoAccount, load_demo_accounts
from app.demo.chronology import load_demo_chronologies
from app.demo.content import load_demo_draft
from app.demo.deleted import load_demo_deleted_families
from app.demo.families import load_demo_families
from app.demo.journey import load_demo_journeys
from app.demo.service_accounts import load_demo_service_accounts


def load_demo(session: Session, registry: ContentRegistry, *, secret_key: str) -> list[DemoAccount]:
    """Load every part of the demo; returns the demo accounts to print. The secret key seals
    the demo's authenticator app key, as it seals everyone's."""
    accounts = load_demo_accounts(session, secret_key=secret_key)
    load_demo_service_accounts(session)
    load_demo_families(session, registry)
    load_demo_chronologies(session, registry)
    # After the chronologies, so that factors can cite their entries as evidence.
    load_demo_journeys(session, registry)
    load_demo_deleted_families(session, registry)
    load_demo_draft(session, registry)
    return accounts
