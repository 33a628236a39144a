"""Browser fixtures: the real server (uvicorn on a free port) and Debian's chromium via Playwright.

No browser is ever downloaded: the tests drive ``/usr/bin/chromium`` and skip, saying so, where it
is absent. Screenshots go to ``test-output/browser/`` at the repository root (or to
``$MARSAD_TEST_OUTPUT``), which git ignores.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from marsad.corpus.store import ingest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
HOSTILE = Path(__file__).resolve().parent / "hostile.jsonl"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def shot_dir() -> Path:
    """Where screenshots are saved for a person to look at."""
    path = Path(os.environ.get("MARSAD_TEST_OUTPUT") or REPO / "test-output") / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def browser_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example corpus plus two articles full of script payloads."""
    path = tmp_path_factory.mktemp("browser") / "corpus.db"
    summary = ingest([REPO / "examples" / "articles.jsonl", HOSTILE], db=path)
    if summary.failed or summary.new != 32:
        raise RuntimeError(f"the browser corpus did not ingest cleanly: {summary.to_json()}")
    return path


@pytest.fixture(scope="session")
def server_url(browser_db: Path) -> Iterator[str]:
    """The base URL of a real uvicorn server over the browser corpus, on 127.0.0.1."""
    import uvicorn

    from marsad.server.app import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(db=browser_db), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="marsad-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: browser tests skipped (install Debian's chromium to run them)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: browser tests skipped"
    )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


class Watch:
    """What a page did that it must not: dialogs opened, script errors, console messages."""

    def __init__(self) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []

    def attach(self, page: Any) -> None:
        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))


@pytest.fixture()
def watch() -> Watch:
    return Watch()


@pytest.fixture()
def page(browser: Any, watch: Watch) -> Iterator[Any]:
    """A fresh tab, 1280 pixels wide, watched for dialogs and script errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ar")
    tab = context.new_page()
    watch.attach(tab)
    yield tab
    context.close()
