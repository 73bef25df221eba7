"""Domain logic: plain functions with keyword-only arguments that take a database session."""
