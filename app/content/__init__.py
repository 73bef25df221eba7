"""Framework content: versioned YAML, its schema, the loader and registry, and the rules engine.

Pure code: nothing here knows about HTTP or the database.
"""
