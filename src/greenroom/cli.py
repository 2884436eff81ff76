"""The `greenroom` command line: serve, check config, migrate, scaffold plugins, and plugins' own commands."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import click
import yaml

from greenroom import __version__

CONFIG_OPTION = click.option("--config", "-c", "config_files", multiple=True, type=click.Path(path_type=Path),
                             help="A config file; repeat to layer several (later ones win). "
                                  "Default: app-config.yaml then app-config.local.yaml.")


def fail(message: str) -> None:
    """Print one clear message and exit with status 2."""
    click.echo(f"greenroom: {message}", err=True)
    sys.exit(2)


def _files(config_files: tuple[Path, ...]) -> list[Path] | None:
    return list(config_files) or None


def build_app(config_files: tuple[Path, ...]) -> Any:
    """The app for commands that need the assembled portal; exits with the start-up error if it cannot."""
    from greenroom.app import StartupError, create_app

    try:
        return create_app(_files(config_files))
    except StartupError as exc:
        fail(f"cannot start: {exc}")


class PortalGroup(click.Group):
    """Adds the commands of installed plugins when one of them is asked for, not at every start."""

    _loaded = False

    def _load_plugin_commands(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        import pluggy

        from greenroom import hookspecs
        from greenroom.registry import discover

        pm = pluggy.PluginManager("greenroom")
        pm.add_hookspecs(hookspecs)
        for item in discover().values():
            try:
                from importlib import import_module

                pm.register(import_module(item.target), name=item.id)
            except Exception as exc:  # a broken plugin must not take the whole CLI down
                click.echo(f"greenroom: plugin {item.id!r} could not be loaded for its commands: {exc}", err=True)
        pm.hook.register_commands(cli=self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is None:
            self._load_plugin_commands()
            found = super().get_command(ctx, cmd_name)
        return found


@click.group(cls=PortalGroup)
@click.version_option(__version__, prog_name="greenroom")
def cli() -> None:
    """Greenroom, the developer portal."""


@cli.command()
@CONFIG_OPTION
@click.option("--host", default=None, help="Address to listen on (default: backend.listen.host).")
@click.option("--port", default=None, type=int, help="Port to listen on (default: backend.listen.port).")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Worker processes serving requests (default: backend.workers).")
def serve(config_files: tuple[Path, ...], host: str | None, port: int | None, workers: int | None) -> None:
    """Start the portal."""
    import uvicorn

    from greenroom.app import CONFIG_FILES_VARIABLE
    from greenroom.migrate import MigrationError, upgrade_all
    from greenroom.services.logging import configure_logging

    app = build_app(config_files)
    portal = app.state.portal
    portal.freeze_heap = True
    config = portal.config
    configure_logging(config.backend.logging.level, config.backend.logging.format)
    count = workers or config.backend.workers
    # uvicorn re-raises the signal it stopped for once shutdown is done; exiting 0 there tells process
    # managers that a requested stop went cleanly.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    options: dict[str, Any] = {
        "host": host or config.backend.listen.host, "port": port or config.backend.listen.port,
        "log_config": None, "proxy_headers": True, "server_header": False,
        "timeout_graceful_shutdown": int(config.backend.shutdownTimeoutSeconds),
    }
    if count == 1:
        uvicorn.run(app, **options)
        return
    # Several processes: migrate once here, so workers starting together never race to create tables, then
    # let each worker build the same app from the same files.
    try:
        upgrade_all(portal.core.database, portal.migrations)
    except MigrationError as exc:
        fail(str(exc))
    portal.core.database.dispose()
    os.environ[CONFIG_FILES_VARIABLE] = os.pathsep.join(portal.loaded.files)
    uvicorn.run("greenroom.app:app_from_environment", factory=True, workers=count, **options)


@cli.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("check")
@CONFIG_OPTION
def config_check(config_files: tuple[Path, ...]) -> None:
    """Validate the merged config and print it with secrets masked."""
    from greenroom.config import masked

    app = build_app(config_files)
    portal = app.state.portal
    out: dict[str, Any] = masked(portal.config)
    for ctx in portal.contexts.values():
        if ctx.config is not None:
            out[ctx.plugin.id] = masked(ctx.config)
    sources = [*portal.loaded.files, *sorted({o for o in portal.loaded.origins.values() if o.startswith("$")})]
    click.echo(f"# config is valid; read from: {', '.join(sources) or 'defaults only'}")
    click.echo(yaml.safe_dump(out, sort_keys=False, allow_unicode=True), nl=False)


@cli.group()
def db() -> None:
    """Manage the database."""


@db.command("upgrade")
@CONFIG_OPTION
def db_upgrade(config_files: tuple[Path, ...]) -> None:
    """Apply the core's and every enabled plugin's migrations."""
    from greenroom.migrate import MigrationError, upgrade_all

    portal = build_app(config_files).state.portal
    try:
        upgrade_all(portal.core.database, portal.migrations)
    except MigrationError as exc:
        fail(str(exc))
    click.echo(f"database is up to date ({1 + len(portal.migrations)} migration sets)")


@cli.group("plugins")
def plugins_group() -> None:
    """Installed plugins."""


@plugins_group.command("list")
@CONFIG_OPTION
def plugins_list(config_files: tuple[Path, ...]) -> None:
    """List installed plugins and whether the config enables them."""
    from greenroom.registry import discover

    portal = build_app(config_files).state.portal
    running = {p.id: p for p in portal.plugins}
    for item in sorted(discover().values(), key=lambda i: i.id):
        state = f"running {running[item.id].manifest.version}" if item.id in running else "off"
        origin = "built in" if item.builtin else (item.distribution or item.target)
        click.echo(f"{item.id:20} {state:16} {origin}")


@cli.command("new-plugin")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=Path("."),
              help="Where to create the plugin's folder.")
def new_plugin(name: str, directory: Path) -> None:
    """Create a working plugin package NAME with a page, an API route and a passing test."""
    from greenroom.scaffold import ScaffoldError, create_plugin

    try:
        target = create_plugin(name, directory)
    except ScaffoldError as exc:
        fail(str(exc))
    click.echo(f"created {target}\nnext: pip install -e {target} && pytest {target}")


def main() -> None:
    """Console-script entry point."""
    cli()


if __name__ == "__main__":
    main()
