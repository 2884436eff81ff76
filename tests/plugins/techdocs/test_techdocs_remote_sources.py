"""`url:` techdocs-refs read through the catalog's readers: a git repository and a plain web server."""

from __future__ import annotations

import time
from pathlib import Path

from portal_support import Factory, ask, service, start
from techdocs_helpers import commit, docs_files, entity_yaml, make_repo, write_docs

from greenroom.plugins.techdocs.refs import Triplet


def test_git_and_http_docs(portal_factory: Factory, tmp_path: Path, www: Path, http_base: str) -> None:
    bare = make_repo(tmp_path, "handbook", {f"site/{k}": v for k, v in docs_files("From git").items()})
    write_docs(www / "svc-docs", name="From http")
    catalog = tmp_path / "catalog"
    for name, ref in (("gitdocs", f"url:git+file://{bare}#main:site"), ("httpdocs", f"url:{http_base}/svc-docs/"),
                      ("denied", "url:https://docs.example.com/x/")):
        (catalog / name).mkdir(parents=True)
        (catalog / name / "catalog-info.yaml").write_text(entity_yaml(name, ref))
    client = start(portal_factory, tmp_path, backend={"reading": {"allow": [{"host": "127.0.0.1:*"}]}})
    docs = service(client)
    ask(client, "gitdocs", "httpdocs", "denied")
    docs.run_pass()
    assert "From git" in client.get("/docs/default/component/gitdocs/").text
    assert "From http" in client.get("/docs/default/component/httpdocs/").text
    assert "Install" in client.get("/docs/default/component/httpdocs/guide/").text
    denied = docs.state(Triplet("default", "Component", "denied"))
    assert denied is not None and denied.status == "error" and "backend.reading.allow" in str(denied.error)

    commit(tmp_path / "handbook-work", {"site/docs/index.md": "# Moved on\n"})
    # The git reader asks the remote for a ref's commit at most every 10 s; passes pick the change up then.
    deadline = time.monotonic() + 30
    while "Moved on" not in client.get("/docs/default/component/gitdocs/").text:
        assert time.monotonic() < deadline, "the new commit was never built"
        docs.run_pass()
        time.sleep(0.5)
