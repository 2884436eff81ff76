"""Fixtures of the auth plugin's tests (the helpers live in auth_fixtures.py)."""

from auth_fixtures import oidc_provider

__all__ = ["oidc_provider"]
