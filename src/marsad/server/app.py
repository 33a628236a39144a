"""The FastAPI application: one factory, one store per thread, security headers on every response."""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi import FastAPI, Request

from marsad.corpus.store import Store


class StorePool:
    """One read connection to the corpus per server thread (SQLite connections are not shared)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def get(self) -> Store:
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = Store.open(self.path)
            self._local.store = store
        return store


def store_of(request: Request) -> Store:
    """The calling thread's store (use as a FastAPI dependency or call directly in a route)."""
    pool: StorePool = request.app.state.stores
    return pool.get()


def create_app(*, db: str | Path, token: str | None = None) -> FastAPI:
    """The whole server: JSON API under ``/api``, dashboard pages at ``/``."""
    from marsad.server import dashboard

    app = FastAPI(title="marsad", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.stores = StorePool(Path(db))
    app.state.token = token
    dashboard.install(app)
    return app
