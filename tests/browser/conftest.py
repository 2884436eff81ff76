"""A real portal server in a subprocess and Debian's Chromium driven by Playwright.

The server runs `greenroom serve` exactly as an operator would, on SQLite in a temporary folder (or on a fresh
PostgreSQL database when `GREENROOM_BROWSER_DATABASE=postgresql`), with the `hello` fixture plugin enabled so
the sidebar has more than the built-in items. It is stopped with SIGTERM and must exit 0 promptly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
HOST = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass
class Server:
    """The running portal: where it listens and where it logs."""

    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def greenroom_command() -> list[str]:
    """The installed console script beside this interpreter (what `make demo` runs)."""
    script = Path(sys.executable).with_name("greenroom")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from greenroom.cli import main; main()"]


def clean_env() -> dict[str, str]:
    """The environment without config overrides that would make the server differ from its config file."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GREENROOM_CONFIG_")}


def wait_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"greenroom serve exited with {process.returncode} before it was healthy:\n"
                        f"{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url + "/healthcheck", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    pytest.fail(f"greenroom serve was not healthy after {START_TIMEOUT}s:\n{log_path.read_text(errors='replace')}")


@pytest.fixture(scope="package")
def browser_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("GREENROOM_BROWSER_DATABASE", "sqlite") == "postgresql":
        from greenroom.testing import create_postgres_database

        url, drop = create_postgres_database()
        yield url
        drop()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'greenroom.db'}"


def start_server(folder: Path, database_url: str) -> Server:
    """Write a config into `folder` and start `greenroom serve` with it on a free port; wait until healthy."""
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    config = folder / "app-config.yaml"
    config.write_text(
        "app:\n"
        f"  baseUrl: {base_url}\n"
        "organization:\n  name: Browser Test Org\n"
        "backend:\n"
        f"  baseUrl: {base_url}\n"
        f"  database:\n    url: '{database_url}'\n"
        "  shutdownTimeoutSeconds: 5\n"
        "plugins:\n  enable: [hello]\n",
        encoding="utf-8",
    )
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*greenroom_command(), "serve", "--config", str(config), "--host", HOST, "--port", str(port)],
            cwd=folder, env=clean_env(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )
    running = Server(base_url, process, log_path)
    try:
        wait_healthy(base_url, process, log_path)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return running


def stop_server(running: Server) -> None:
    """Send SIGTERM and check the shutdown was graceful: prompt, clean log, exit status 0."""
    process = running.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    try:
        code = process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"greenroom serve did not stop within {STOP_TIMEOUT}s of SIGTERM:\n{running.log()}")
    took = time.monotonic() - started
    log_text = running.log()
    assert "Application shutdown complete" in log_text, log_text
    assert "Traceback" not in log_text, log_text
    assert code == 0, (f"greenroom serve exited with {code} after SIGTERM (took {took:.1f}s); a graceful "
                       f"shutdown exits 0. Log tail:\n{log_text[-1500:]}")
    assert took < STOP_TIMEOUT


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory, browser_database_url: str) -> Iterator[Server]:
    """`greenroom serve` on a free port; stopped with SIGTERM, which must shut it down gracefully (exit 0)."""
    running = start_server(tmp_path_factory.mktemp("server"), browser_database_url)
    try:
        yield running
    finally:
        stop_server(running)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (scripts/ensure-system.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@dataclass
class Traffic:
    """Everything a browser context asked for, and what went wrong on its pages."""

    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def foreign(self) -> list[str]:
        """Requested URLs whose host is not the loopback address the server listens on."""
        return [url for url in self.requests if urlsplit(url).hostname != HOST]


@pytest.fixture
def new_context(browser: Any, server: Server) -> Iterator[Callable[..., tuple[Any, Traffic]]]:
    """Open a fresh browser context (own cookies) with `base_url` set; every request it makes is recorded,
    and at the end of the test none may have left 127.0.0.1."""
    opened: list[tuple[Any, Traffic]] = []

    def make(**options: Any) -> tuple[Any, Traffic]:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        options.setdefault("color_scheme", "light")
        context = browser.new_context(base_url=server.base_url, **options)
        context.set_default_timeout(10_000)
        traffic = Traffic()

        def on_page(page: Any) -> None:
            page.on("request", lambda request: traffic.requests.append(request.url))
            page.on("requestfailed", lambda request: traffic.failed.append(f"{request.url} {request.failure}"))
            page.on("console", lambda msg: traffic.console_errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: traffic.page_errors.append(str(exc)))

        context.on("page", on_page)
        opened.append((context, traffic))
        return context, traffic

    yield make
    for context, _ in opened:
        context.close()
    for _, traffic in opened:
        assert traffic.requests, "the test made no request through its browser context"
        assert traffic.foreign() == [], f"requests left {HOST}: {traffic.foreign()}"


@pytest.fixture
def page(new_context: Callable[..., tuple[Any, Traffic]]) -> Any:
    """A page in a fresh light-scheme, desktop-sized context."""
    context, _ = new_context()
    return context.new_page()


@dataclass
class ServerControl:
    """Start and stop extra servers in a test (the shared `server` fixture covers most tests)."""

    start: Callable[[Path, str], Server] = start_server
    stop: Callable[[Server], None] = stop_server


@pytest.fixture
def server_control() -> ServerControl:
    return ServerControl()


@contextmanager
def strict_page(browser: Any, base_url: str, **options: Any) -> Iterator[Any]:
    """A page of a new context on `base_url` that fails the test on any script error or dialog (an alert()
    from hostile text would be one)."""
    context = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(10_000)
    errors: list[str] = []
    opened = context.new_page()
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
    yield opened
    context.close()
    assert errors == [], errors
