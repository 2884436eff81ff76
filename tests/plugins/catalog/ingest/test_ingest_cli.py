"""`greenroom catalog validate` and `greenroom catalog import` through click's CliRunner."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from greenroom.plugins.catalog.cli import register

GOOD = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: web}
spec: {type: service, lifecycle: production, owner: team-a, dependsOn: [resource:db]}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: web-api}
spec: {type: openapi, lifecycle: production, owner: team-a, definition: {$text: ./api.yaml}}
"""

BAD = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: "not a name!"
spec: {type: service, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: deps}
spec:
  type: service
  lifecycle: production
  owner: team-a
  dependsOn: [db]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: leak}
spec: {type: openapi, lifecycle: production, owner: team-a, definition: {$text: ../../../etc/passwd}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: web}
spec: {type: service, lifecycle: production, owner: team-a}
"""


def cli() -> click.Group:
    group = click.Group("greenroom")
    register(group)
    return group


def test_validate_good_folder(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "catalog-info.yaml").write_text(GOOD)
    (tmp_path / "svc" / "api.yaml").write_text("openapi: 3.0.0\n")
    result = CliRunner().invoke(cli(), ["catalog", "validate", str(tmp_path / "svc" / "catalog-info.yaml")])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 files, 2 entities: no problems"


def test_validate_reports_each_problem(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "api.yaml").write_text("openapi: 3.0.0\n")
    (tmp_path / "b.yaml").write_text(BAD)
    (tmp_path / "c.yml").write_text("kind: [broken\n")
    result = CliRunner().invoke(cli(), ["catalog", "validate", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    b, c = tmp_path / "b.yaml", tmp_path / "c.yml"
    assert any(line.startswith(f"{b}:4: Component:default/not a name!: metadata.name: ") for line in lines), lines
    assert any(line.startswith(f"{b}:14: Component:default/deps: spec.dependsOn") and "missing or empty kind" in line
               for line in lines), lines
    assert any(line.startswith(f"{b}:19: API:default/leak: spec.definition: $text") and "outside" in line
               for line in lines), lines
    assert any(line.startswith(f"{b}:21: Component:default/web: metadata.name: defined twice; also in "
                               f"{tmp_path / 'a.yaml'}:1") for line in lines), lines
    assert any(line.startswith(f"{c}:") and "YAML syntax error" in line for line in lines), lines
    assert re.fullmatch(r"3 files, 6 entities: 5 problems", lines[-1]), lines[-1]


def test_import_registers_locations(tmp_path: Path, greenroom_database_url: str) -> None:
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "catalog-info.yaml").write_text(GOOD)
    config = tmp_path / "app-config.yaml"
    config.write_text(yaml.safe_dump({"backend": {"database": {"url": greenroom_database_url}},
                                      "catalog": {"allowedFileRoots": [str(catalog)]}}))
    runner = CliRunner()
    target = str(catalog / "catalog-info.yaml")
    first = runner.invoke(cli(), ["catalog", "import", target, "--config", str(config)])
    assert first.exit_code == 0, first.output
    assert re.fullmatch(r"[0-9a-f-]{36}", first.stdout.strip()), first.stdout
    again = runner.invoke(cli(), ["catalog", "import", target, "--config", str(config)])
    assert again.exit_code == 2 and "already exists (HTTP 409)" in again.output
    outside = runner.invoke(cli(), ["catalog", "import", str(tmp_path / "x.yaml"), "--config", str(config)])
    assert outside.exit_code == 2 and "(HTTP 403)" in outside.output
    url = runner.invoke(cli(), ["catalog", "import", "https://example.com/catalog-info.yaml", "--config", str(config)])
    assert url.exit_code == 0, url.output


@pytest.mark.parametrize("target", ["relative.yaml"])
def test_import_makes_paths_absolute(target: str) -> None:
    from greenroom.plugins.catalog.cli import location_for

    kind, path = location_for(target)
    assert kind == "file" and Path(path).is_absolute()
    assert location_for("git+https://h/r.git#main:c.yaml") == ("url", "git+https://h/r.git#main:c.yaml")
