"""Screening mkdocs.yml: what a docs folder may not ask MkDocs to do."""

from __future__ import annotations

import pytest
import yaml

from greenroom.plugins.techdocs.mkdocs_config import build_config, screen
from greenroom.plugins.techdocs.refs import SourceError


def test_plain_config_gets_techdocs_core_and_mermaid() -> None:
    screened = screen(b"site_name: S\nnav:\n  - Home: index.md\n", "mkdocs.yml")
    assert screened["plugins"] == ["techdocs-core"]
    text = build_config(screened, "/out")
    assert "!!python/name:pymdownx.superfences.fence_code_format" in text
    assert "site_dir: /out" in text


def test_omitting_techdocs_core() -> None:
    assert screen(b"site_name: S\n", "mkdocs.yml", omit_core=True)["plugins"] == []


@pytest.mark.parametrize(("config", "message"), [
    ("site_name: S\nhooks: [evil.py]\n", "hooks is not allowed"),
    ("INHERIT: ../../base.yml\nsite_name: S\n", "INHERIT is not allowed"),
    ("site_name: !ENV SECRET\n", "tag !ENV is not allowed"),
    ("site_name: S\nmarkdown_extensions:\n  - pymdownx.superfences:\n      custom_fences:\n        - format: "
     "!!python/name:os.system\n", "python/name:os.system is not allowed"),
    ("site_name: S\nplugins:\n  - search\n  - mkdocstrings\n", "'mkdocstrings' is not allowed"),
    ("site_name: S\nmarkdown_extensions:\n  - plantuml_markdown:\n      plantuml_cmd: /bin/sh\n",
     "'plantuml_markdown' is not allowed"),
    ("site_name: S\nmarkdown_extensions: [pymdownx.b64]\n", "'pymdownx.b64' is not allowed"),
    ("site_name: S\ntheme:\n  name: material\n  custom_dir: ../../etc\n", "theme.custom_dir is not allowed"),
    ("site_name: S\ndocs_dir: ../../etc\n", "docs_dir '../../etc' must be a folder inside"),
    ("site_name: S\nnav: !include ../other/mkdocs.yml\n", "tag !include is not allowed"),
    ("nav: []\n", "site_name is required"),
    ("site_name: S\nsurprise: 1\n", "unknown setting 'surprise'"),
    ("- a list\n", "expected a mapping"),
    ("site_name: [unclosed\n", "not valid YAML"),
])
def test_refused_configs_name_the_file_and_key(config: str, message: str) -> None:
    with pytest.raises(SourceError, match=r"mkdocs\.yml") as caught:
        screen(config.encode(), "mkdocs.yml")
    assert message in str(caught.value)


def test_allowed_extensions_keep_their_options() -> None:
    screened = screen(b"site_name: S\nmarkdown_extensions:\n  - toc:\n      permalink: true\n  - admonition\n",
                      "mkdocs.yml")
    config = yaml.safe_load(build_config(screened, "/out").replace(
        "!!python/name:pymdownx.superfences.fence_code_format", "x"))
    assert {"toc": {"permalink": True}} in config["markdown_extensions"]
    assert "admonition" in config["markdown_extensions"]


def test_dropped_keys_never_reach_the_build() -> None:
    screened = screen(b"site_name: S\nsite_dir: /etc\nextra_javascript: [evil.js]\n", "mkdocs.yml")
    assert "extra_javascript" not in screened
    assert "site_dir: /out" in build_config(screened, "/out")
