"""Homeward: a guided tool for return-home (reunification) practice in children's social care."""
