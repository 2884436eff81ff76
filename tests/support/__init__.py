"""Servers and tools the tests run on 127.0.0.1: a real OpenID provider, stand-ins for GitHub and GitLab, npm."""
