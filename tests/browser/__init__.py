"""Browser tests: a real server and Debian's Chromium (see conftest.py)."""
