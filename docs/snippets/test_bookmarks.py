"""Tests of the bookmarks plugin, written against the fixtures Greenroom ships for plugin authors."""

from __future__ import annotations

import greenroom_bookmarks as plugin
import greenroom_bookmarks_runbooks as runbooks

HTML = {"accept": "text/html"}


def test_api_saves_and_lists_bookmarks(portal_factory):
    client = portal_factory(plugins=[plugin])
    new = {"title": "Style guide", "url": "https://example.com/style"}
    assert client.post("/api/bookmarks/items", json=new).status_code == 201
    assert client.get("/api/bookmarks/items").json()["items"][0]["title"] == "Style guide"


def test_write_token_from_config_is_enforced(portal_factory):
    client = portal_factory(plugins=[plugin], config={"bookmarks": {"writeToken": "s3cret"}})
    new = {"title": "Wiki", "url": "https://example.com/wiki"}
    assert client.post("/api/bookmarks/items", json=new).status_code == 401
    ok = client.post("/api/bookmarks/items", json=new, headers={"x-bookmarks-token": "s3cret"})
    assert ok.status_code == 201


def test_page_is_in_the_shell_nav_and_home(portal_factory):
    client = portal_factory(plugins=[plugin], config={"bookmarks": {"title": "Links"}})
    page = client.get("/bookmarks", headers=HTML)
    assert page.status_code == 200 and "No bookmarks yet." in page.text
    assert 'href="/bookmarks" aria-current="page"' in page.text
    assert "Team bookmarks" in client.get("/", headers=HTML).text


def test_other_plugins_add_suggestions(portal_factory):
    client = portal_factory(plugins=[plugin, runbooks])
    assert client.get("/api/bookmarks/items").json()["suggested"] == [
        {"title": "On-call runbook", "url": "https://runbooks.example.com/on-call"}
    ]
