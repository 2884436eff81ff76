"""`greenroom techdocs …`: build a docs folder, publish a built site, and preview docs while writing them.

- `build`: what CI runs (like `techdocs-cli generate`): the same screening, limits and MkDocs as the portal.
- `publish`: uploads a built site to the publisher of the portal's config (like `techdocs-cli publish`).
- `serve`: a real portal on 127.0.0.1 with one entity whose docs are the given folder, rebuilt on change.
"""

from __future__ import annotations

import shutil
import tempfile
import webbrowser
from pathlib import Path

import click
import yaml

from greenroom.cli import CONFIG_OPTION, build_app, fail
from greenroom.plugins.techdocs.config import BuildLimits, TechDocsConfig
from greenroom.plugins.techdocs.generator import BuildError, generate
from greenroom.plugins.techdocs.publishers import PublishError, make_publisher
from greenroom.plugins.techdocs.refs import DocsSource, SourceError, Triplet
from greenroom.plugins.techdocs.sources import prepare


def build_folder(source_dir: Path, output_dir: Path, limits: BuildLimits, omit_core: bool = False) -> dict[str, object]:
    """Copy, screen and build `source_dir` into `output_dir` (replaced); returns the site's metadata."""
    with tempfile.TemporaryDirectory(prefix="greenroom-techdocs-") as tmp:
        source = DocsSource("file", str(source_dir.resolve()))
        prepared = prepare(source, Path(tmp) / "src", limits, None, lambda url: b"")
        result = generate(prepared.folder, Path(tmp) / "site", limits, prepared.revision, omit_core=omit_core)
        if output_dir.exists():
            shutil.rmtree(output_dir)
        shutil.copytree(result.site, output_dir)
        return result.metadata


def _triplet(entity: str) -> Triplet:
    parts = entity.split("/")
    if len(parts) != 3 or not all(parts):
        fail(f"--entity {entity!r}: expected <namespace>/<kind>/<name>, e.g. default/Component/billing")
    return Triplet(*parts)


def register(cli: click.Group) -> None:
    @cli.group("techdocs")
    def techdocs() -> None:
        """Build, publish and preview TechDocs sites."""

    @techdocs.command("build")
    @click.option("--source-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
                  show_default=True, help="The folder holding mkdocs.yml.")
    @click.option("--output-dir", type=click.Path(path_type=Path), default=Path("site"), show_default=True)
    @click.option("--timeout", type=float, default=120.0, show_default=True, help="Seconds before the build stops.")
    @click.option("--omit-techdocs-core", is_flag=True, help="Do not add the techdocs-core MkDocs plugin.")
    def build(source_dir: Path, output_dir: Path, timeout: float, omit_techdocs_core: bool) -> None:
        """Build the docs folder into a static site with techdocs_metadata.json."""
        try:
            meta = build_folder(source_dir, output_dir, BuildLimits(buildTimeoutSeconds=timeout),
                                omit_techdocs_core)
        except (SourceError, BuildError) as exc:
            detail = getattr(exc, "log", "")
            fail(f"{source_dir}: {exc}" + (f"\n{detail}" if detail else ""))
            return
        click.echo(f"built {meta['site_name']!s} into {output_dir} ({len(meta['files'])} files)")  # type: ignore[arg-type]

    @techdocs.command("publish")
    @CONFIG_OPTION
    @click.option("--entity", required=True, help="<namespace>/<kind>/<name> of the documented entity.")
    @click.option("--directory", type=click.Path(path_type=Path, file_okay=False, exists=True), default=Path("site"),
                  show_default=True, help="The built site.")
    def publish(config_files: tuple[Path, ...], entity: str, directory: Path) -> None:
        """Upload a built site to the publisher configured under techdocs.publisher."""
        triplet = _triplet(entity)
        if not (directory / "techdocs_metadata.json").is_file():
            fail(f"{directory} has no techdocs_metadata.json: build it with `greenroom techdocs build` first")
        app = build_app(config_files)
        ctx = app.state.portal.contexts.get("techdocs")
        config = ctx.config if ctx is not None else None
        if not isinstance(config, TechDocsConfig):
            fail("the techdocs plugin is not enabled in this config")
            return
        publisher = make_publisher(config.publisher, config.legacyUseCaseSensitiveTripletPaths)
        try:
            publisher.publish(triplet, directory)
        except (PublishError, SourceError) as exc:
            fail(str(exc))
        click.echo(f"published {directory} as {triplet.storage_path(config.legacyUseCaseSensitiveTripletPaths)} "
                   f"({publisher.name})")

    @techdocs.command("serve")
    @click.option("--source-dir", type=click.Path(path_type=Path, file_okay=False, exists=True), default=Path("."),
                  show_default=True, help="The folder holding mkdocs.yml.")
    @click.option("--port", type=int, default=7008, show_default=True)
    @click.option("--open/--no-open", "open_browser", default=False, help="Open the preview in a browser.")
    def serve(source_dir: Path, port: int, open_browser: bool) -> None:
        """Preview a docs folder as the portal shows it, rebuilt within a second or two of each change."""
        import uvicorn

        folder = source_dir.resolve()
        work = Path(tempfile.mkdtemp(prefix="greenroom-techdocs-preview-"))
        config = preview_config(folder, work, port)
        app = build_app((config,))
        url = f"http://127.0.0.1:{port}/docs/default/component/preview/"
        click.echo(f"previewing {folder} at {url} (Ctrl+C stops)")
        if open_browser:
            webbrowser.open(url)
        try:
            uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
        finally:
            shutil.rmtree(work, ignore_errors=True)


def preview_config(folder: Path, work: Path, port: int) -> Path:
    """A portal config with one Component whose docs are `folder`, checked for changes every second."""
    # Docs must lie below the entity's catalog file; a link beside it names the author's folder.
    (work / "docs-folder").symlink_to(folder, target_is_directory=True)
    entity = {"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
              "metadata": {"name": "preview", "title": f"Preview of {folder.name}",
                           "annotations": {"backstage.io/techdocs-ref": "dir:docs-folder"}},
              "spec": {"type": "documentation", "lifecycle": "preview", "owner": "you"}}
    (work / "catalog-info.yaml").write_text(yaml.safe_dump(entity), encoding="utf-8")
    config = {"app": {"title": "Docs preview", "baseUrl": f"http://127.0.0.1:{port}"},
              "backend": {"baseUrl": f"http://127.0.0.1:{port}",
                          "database": {"url": f"sqlite:///{work / 'preview.db'}"}},
              "catalog": {"locations": [{"type": "file", "target": str(work / "catalog-info.yaml")}],
                          "allowedFileRoots": [str(work)], "rules": [{"allow": ["Component"]}],
                          "processingInterval": {"seconds": 5}},
              "techdocs": {"publisher": {"type": "local", "local": {"publishDirectory": str(work / "sites")}},
                           "recheckSeconds": 1, "processingInterval": 1}}
    path = work / "app-config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path
