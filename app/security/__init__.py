"""Passwords, permissions, CSRF and HTTP security headers."""
