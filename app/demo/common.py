"""What every part of the demo data shares."""

from app.services.audit import Actor

DEMO_ACTOR = Actor(user=None, request_id="demo-data", client_address="", path="python -m app demo")
