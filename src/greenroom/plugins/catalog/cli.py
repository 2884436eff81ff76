"""`greenroom catalog …`: check catalog files before pushing them, and register locations from a shell.

`validate` applies ingestion's rules offline (no database, no network): safe YAML loading, envelope and kind
validation, file placeholders, relation refs, and one definition per entity ref.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from greenroom.cli import CONFIG_OPTION
from greenroom.config.models import ReadingConfig
from greenroom.plugins.catalog.ingest.files import FileReader
from greenroom.plugins.catalog.ingest.placeholders import PlaceholderReader
from greenroom.plugins.catalog.model import (
    YamlDocument,
    entity_ref_key,
    get_entity_ref,
    load_yaml_documents,
    parse_entity_ref,
    resolve_placeholders,
    validate_entity,
)
from greenroom.plugins.catalog.model.relations import relation_targets, rules_for
from greenroom.plugins.catalog.model.validation import line_for
from greenroom.plugins.catalog.processing.types import LocationSpec
from greenroom.services.url_reader import UrlReader

_SKIPPED_DIRS = {"node_modules", "__pycache__"}
_URL = re.compile(r"^(?:https?|git\+(?:https?|file))://")


@dataclass(frozen=True)
class Problem:
    """One problem, printed as `file:line: entity: field: message`."""

    file: str
    line: int
    entity: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.entity}: {self.field}: {self.message}"


@dataclass
class Report:
    problems: list[Problem]
    files: int = 0
    entities: int = 0


def catalog_files(paths: Iterable[Path]) -> Iterator[tuple[Path, bool]]:
    """(file, named explicitly): the given files, and the .yaml/.yml files below the given folders."""
    for path in paths:
        if not path.is_dir():
            yield path, True
            continue
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS)
            yield from ((Path(folder) / f, False) for f in sorted(files) if f.endswith((".yaml", ".yml")))


def _looks_like_entities(docs: list[YamlDocument]) -> bool:
    # Folders also hold other YAML (OpenAPI specs, CI files): only files with entity-shaped documents count.
    return any(isinstance(d.data, dict) and "apiVersion" in d.data and "kind" in d.data for d in docs)


def validate_paths(paths: Iterable[Path], max_bytes: int = 5 * 1024 * 1024) -> Report:
    """Check every catalog file under `paths` as ingestion would; no database and no network."""
    paths = [p.resolve() for p in paths]
    roots = [p if p.is_dir() else p.parent for p in paths]
    files = FileReader(roots, max_bytes, 1_000_000, 1_000_000)
    # No host is allowed: placeholders may only name files, which keeps validation offline.
    placeholders = PlaceholderReader(UrlReader(ReadingConfig()), files, max_bytes)
    report = Report([])
    seen: dict[str, str] = {}
    for path, explicit in catalog_files(paths):
        try:
            data = path.read_bytes()
        except OSError as exc:
            report.files += 1
            report.problems.append(Problem(str(path), 1, "-", "-", f"cannot be read: {exc.strerror}"))
            continue
        result = load_yaml_documents(data, source=str(path), limits=files.limits)
        if not explicit and not result.errors and not _looks_like_entities(result.documents):
            continue
        report.files += 1
        for issue in result.errors:
            report.problems.append(Problem(str(path), issue.line or 1, "-", "-", issue.message))
        for doc in result.documents:
            report.entities += 1
            _check_document(str(path), doc, placeholders, seen, report.problems)
    return report


def _check_document(path: str, doc: YamlDocument, placeholders: PlaceholderReader, seen: dict[str, str],
                    problems: list[Problem]) -> None:
    entity: Any = doc.data
    own = LocationSpec("file", path)
    resolved, errors = resolve_placeholders(entity, lambda kind, value, _base: placeholders(kind, value, own))
    who = _describe(entity)
    for error in errors:
        problems.append(Problem(path, line_for(error.field, doc.positions, doc.line) or doc.line, who,
                                error.field, f"${error.kind} {error.value}: {error.message}"))
    if errors:
        return
    issues = validate_entity(resolved, positions=doc.positions, line=doc.line)
    for issue in issues:
        # The issue's message repeats entity and field; the part after the rule name is the news.
        detail = issue.message.split(f'failed rule "{issue.rule}": ', 1)[-1]
        problems.append(Problem(path, issue.line or doc.line, who, issue.field, f"{detail} ({issue.rule})"))
    if issues:
        return
    ref = get_entity_ref(resolved)
    spec_value = resolved.get("spec")
    spec: dict[str, Any] = spec_value if isinstance(spec_value, dict) else {}
    for rule in rules_for(resolved):
        raw_targets = spec.get(rule.field)
        for index, raw in enumerate(relation_targets(raw_targets)):
            field = f"spec.{rule.field}" + (f"[{index}]" if isinstance(raw_targets, list) else "")
            try:
                parse_entity_ref(raw, default_kind=rule.default_kind,  # type: ignore[arg-type]
                                 default_namespace=ref.namespace)
            except (ValueError, TypeError) as exc:
                problems.append(Problem(path, line_for(field, doc.positions, doc.line) or doc.line, who, field,
                                        f"invalid entity reference: {exc}"))
    key = entity_ref_key(ref)
    here = f"{path}:{doc.line}"
    if key in seen:
        problems.append(Problem(path, doc.line, who, "metadata.name", f"defined twice; also in {seen[key]}"))
    else:
        seen[key] = here


def _describe(entity: Any) -> str:
    if not isinstance(entity, dict):
        return "-"
    meta = entity.get("metadata") if isinstance(entity.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    return f"{entity.get('kind', '?')}:{meta.get('namespace') or 'default'}/{meta.get('name', '?')}"


def location_for(target: str) -> tuple[str, str]:
    """(type, target) for a path or URL given on the command line; paths become absolute."""
    if _URL.match(target):
        return "url", target
    return "file", os.path.abspath(target)


def import_location(target: str, config_files: tuple[Path, ...]) -> str:
    """Register `target` in the configured portal's catalog; returns the new location id."""
    from greenroom.cli import build_app, fail
    from greenroom.migrate import MigrationError, upgrade_all
    from greenroom.plugins import catalog as plugin
    from greenroom.plugins.catalog.service import CATALOG_SERVICE, LocationError

    portal = build_app(config_files).state.portal
    ctx = portal.contexts.get("catalog")
    if ctx is None:
        fail("the catalog plugin is not enabled in this configuration")
    type_, location = location_for(target)
    try:
        upgrade_all(portal.core.database, portal.migrations)
        # Only the catalog's own start-up is needed to register a location; no scheduler, no web server.
        plugin.startup(ctx)
        stored = ctx.services.get(CATALOG_SERVICE).add_location(type_, location)
    except MigrationError as exc:
        fail(str(exc))
    except LocationError as exc:
        fail(f"cannot register {type_}:{location}: {exc} (HTTP {exc.status})")
    finally:
        plugin.shutdown(ctx)
        portal.core.database.dispose()
    click.echo(f"registered {type_}:{location} as {stored.entity_ref}", err=True)
    return str(stored.id)


@click.group("catalog")
def catalog_group() -> None:
    """Work with the software catalog."""


@catalog_group.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def validate_command(paths: tuple[Path, ...]) -> None:
    """Check catalog files (or the .yaml files in folders) as ingestion would, without a portal."""
    report = validate_paths(paths)
    for problem in report.problems:
        click.echo(str(problem))
    count = len(report.problems)
    click.echo(f"{report.files} files, {report.entities} entities: "
               f"{'no problems' if not count else f'{count} problem' + ('s' if count != 1 else '')}")
    if count:
        raise SystemExit(1)


@catalog_group.command("import")
@click.argument("target")
@CONFIG_OPTION
def import_command(target: str, config_files: tuple[Path, ...]) -> None:
    """Register a location: an absolute file path (or glob) or a URL; prints the new location's id."""
    click.echo(import_location(target, config_files))


def register(cli: click.Group) -> None:
    """Add the `catalog` command group to the `greenroom` command line."""
    cli.add_command(catalog_group)
