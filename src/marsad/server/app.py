"""The FastAPI application: one factory, one store per thread, security headers on every response.

Every error a client can meet, whether raised by marsad, by FastAPI (404, 405, 422) or by a bug,
leaves the server as one JSON envelope::

    {"error": {"code": "E601", "message": "...", "hint": "...", "status": 404, "detail": null}}
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marsad.corpus.store import Store
from marsad.errors import CATALOGUE, MarsadError

__all__ = [
    "MAX_BODY_BYTES",
    "SECURITY_HEADERS",
    "ApiError",
    "ResultCache",
    "StorePool",
    "create_app",
    "error_response",
    "require_token",
    "run_server",
    "serve_app",
    "store_of",
]

log = logging.getLogger("marsad.server")

# A posted article is text or HTML; 2 MB holds a very long page and stops a memory attack.
MAX_BODY_BYTES = 2 * 1024 * 1024

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_RAW_SECURITY_HEADERS = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]

# HTTP status -> the code of the envelope, for errors raised by FastAPI and Starlette themselves.
_CODE_OF_STATUS = {404: "E601", 405: "E602", 413: "E604", 401: "E605", 403: "E606", 422: "E603", 400: "E603"}
# marsad codes raised by the corpus functions -> HTTP status; codes not listed here are input
# problems (400); E6xx codes carry their own status.
_STATUS_OF_CODE = {
    "E601": 404,
    "E602": 405,
    "E603": 422,
    "E604": 413,
    "E605": 401,
    "E606": 403,
    "E607": 500,
    "E102": 422,
    "E103": 422,
    "E104": 422,
    "E107": 422,
    "E109": 413,
}


class ApiError(MarsadError):
    """A coded error with the HTTP status it is answered with and optional structured detail."""

    def __init__(self, code: str, message: str, *, status: int | None = None, detail: Any = None) -> None:
        super().__init__(code, message)
        self.status = status if status is not None else _STATUS_OF_CODE.get(code, 400)
        self.detail = detail


def error_response(
    code: str, message: str, *, status: int, detail: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The one error envelope of the API."""
    body = {
        "error": {
            "code": code,
            "message": message,
            "hint": CATALOGUE[code][1] if code in CATALOGUE else None,
            "status": status,
            "detail": detail,
        }
    }
    return JSONResponse(body, status_code=status, headers=headers)


# -- the corpus, per thread ---------------------------------------------------------------------


def _is_url(location: str | Path) -> bool:
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


# A PostgreSQL corpus has no file to watch: its cached views expire after this many seconds.
SERVER_CACHE_SECONDS = 30


class StorePool:
    """One read connection to the corpus per server thread (SQLite connections are not shared)."""

    def __init__(self, path: Path | str) -> None:
        # A SQLite file, or a PostgreSQL URL.
        self.path = path
        self._local = threading.local()

    def get(self) -> Store:
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = Store.open(self.path)
            self._local.store = store
        return store

    def version(self) -> tuple[int, ...]:
        """Changes whenever the corpus does: the size and time of the file and of its write-ahead log."""
        if not isinstance(self.path, Path):
            return (int(time.monotonic() // SERVER_CACHE_SECONDS),)
        stamp: list[int] = []
        for path in (self.path, self.path.with_name(self.path.name + "-wal")):
            try:
                status = path.stat()
            except OSError:
                stamp.extend((0, 0))
                continue
            stamp.extend((status.st_mtime_ns, status.st_size))
        return tuple(stamp)


def store_of(request: Request) -> Store:
    """The calling thread's store (use as a FastAPI dependency or call directly in a route)."""
    pool: StorePool = request.app.state.stores
    return pool.get()


Result = TypeVar("Result")


class ResultCache:
    """Results of heavy corpus computations, kept until the corpus changes.

    One lock per key: twenty clients asking for the same cold profile wait for one computation
    instead of running twenty. A key asked with ``stale_for`` may be answered from the previous
    corpus state for that many seconds, and while one request recomputes it: a corpus that an
    ingest changes every few seconds must not make every visitor wait for a profile.
    """

    def __init__(self, *, size: int = 256) -> None:
        self.size = size
        # key -> (corpus version, monotonic time computed, value)
        self._items: OrderedDict[Hashable, tuple[tuple[int, ...], float, Any]] = OrderedDict()
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(
        self,
        key: Hashable,
        version: tuple[int, ...],
        compute: Callable[[], Result],
        *,
        stale_for: float | None = None,
    ) -> Result:
        with self._guard:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                if found[0] == version:
                    return found[2]
                if stale_for is not None and time.monotonic() - found[1] < stale_for:
                    return found[2]
            lock = self._locks.setdefault(key, threading.Lock())
        if found is not None and stale_for is not None:
            if not lock.acquire(blocking=False):
                return found[2]  # another request is refreshing it
        else:
            lock.acquire()
        try:
            with self._guard:
                again = self._items.get(key)
                if again is not None and again[0] == version:
                    return again[2]
            try:
                value = compute()
            except BaseException:
                # A failing key (a malformed query) must not leave its lock behind for ever.
                with self._guard:
                    if key not in self._items:
                        self._locks.pop(key, None)
                raise
            with self._guard:
                self._items[key] = (version, time.monotonic(), value)
                self._items.move_to_end(key)
                while len(self._items) > self.size:
                    old, _ = self._items.popitem(last=False)
                    self._locks.pop(old, None)
            return value
        finally:
            lock.release()


# Heavy views (profiles, the copy network, timelines) may lag a changing corpus by this much.
STALE_SECONDS = 60.0


def cached(app: FastAPI, key: Hashable, compute: Callable[[], Result], *, heavy: bool = False) -> Result:
    """``compute()``, or its result from an earlier request while the corpus is unchanged.

    ``heavy`` results may be served up to ``STALE_SECONDS`` old while the corpus changes.
    """
    cache: ResultCache = app.state.cache
    pool: StorePool = app.state.stores
    return cache.get(key, pool.version(), compute, stale_for=STALE_SECONDS if heavy else None)


# -- the token ------------------------------------------------------------------------------------


def require_token(request: Request) -> None:
    """Refuse a writing request without the server's bearer token (when it was started with one)."""
    token: str | None = request.app.state.token
    if not token:
        return
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiError(
            "E605", "this endpoint writes or computes on the server and needs 'Authorization: Bearer TOKEN'"
        )
    # Constant time: the comparison must not tell an attacker how much of a guess was right.
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise ApiError("E606", "the bearer token is not the one this server was started with")


# -- middleware and error handlers --------------------------------------------------------------


class _Guard:
    """Outermost layer: security headers on every response, the body limit, and the last-resort 500.

    A plain ASGI middleware (not ``BaseHTTPMiddleware``) so that it costs almost nothing per request
    and also wraps the responses built for unhandled exceptions.
    """

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in _RAW_SECURITY_HEADERS if name not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        length = _content_length(scope)
        if length is not None and length > self.max_body:
            await self._too_large()(scope, receive, send_with_headers)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    # Raised inside FastAPI's body reading, which passes HTTP exceptions through.
                    raise StarletteHTTPException(413, self._too_large_message())
            return message

        try:
            await self.app(scope, counted_receive, send_with_headers)
        except Exception:
            log.exception("unhandled error serving %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = error_response("E607", "the server failed to answer this request", status=500)
            await response(scope, receive, send_with_headers)

    def _too_large_message(self) -> str:
        return f"the request body is larger than the limit of {self.max_body} bytes"

    def _too_large(self) -> JSONResponse:
        return error_response("E604", self._too_large_message(), status=413)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _jsonable_errors(errors: Any) -> list[dict[str, Any]]:
    """Validation problems as plain JSON: where, what, and the kind (inputs are left out: untrusted)."""
    return [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg")),
            "type": error.get("type"),
        }
        for error in errors
    ]


def _install_error_handlers(app: FastAPI) -> None:
    async def on_marsad_error(request: Request, exc: Exception) -> Response:
        err = cast(MarsadError, exc)  # registered for MarsadError only
        status = err.status if isinstance(err, ApiError) else _STATUS_OF_CODE.get(err.code, 400)
        detail = err.detail if isinstance(err, ApiError) else None
        if detail is None and err.input:
            detail = {"input": err.input}
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return error_response(err.code, err.message, status=status, detail=detail, headers=headers)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        err = cast(StarletteHTTPException, exc)  # registered for HTTP exceptions only
        status = err.status_code
        code = _CODE_OF_STATUS.get(status, "E607" if status >= 500 else "E603")
        message = err.detail if isinstance(err.detail, str) else CATALOGUE[code][0]
        if status == 404 and err.detail == "Not Found":
            message = f"no route {request.url.path!r}"
        elif status == 405:
            message = f"{request.method} is not allowed on {request.url.path!r}"
        headers = dict(err.headers or {})
        # The dashboard may render its own error page for the paths outside the API.
        page_error: Callable[[Request, int, str], Response] | None = getattr(
            request.app.state, "page_error", None
        )
        if page_error is not None and not request.url.path.startswith("/api/"):
            return page_error(request, status, message)
        return error_response(code, message, status=status, headers=headers or None)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        err = cast(RequestValidationError, exc)  # registered for validation errors only
        problems = _jsonable_errors(err.errors())
        where = ", ".join(".".join(problem["loc"]) for problem in problems[:5])
        return error_response("E603", f"invalid request: {where}", status=422, detail=problems)

    app.add_exception_handler(MarsadError, on_marsad_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)


# -- the factory ----------------------------------------------------------------------------------


def create_app(*, db: str | Path, token: str | None = None, warm: bool = False) -> FastAPI:
    """The whole server: JSON API under ``/api``, dashboard pages at ``/``.

    ``token`` (else the environment variable ``MARSAD_API_TOKEN``) protects the writing
    endpoints; ``warm`` computes the heavy views in the background at start-up. Raises E101
    when ``db`` does not exist: the server never creates a corpus.
    """
    from marsad.server import api, dashboard

    location = db if _is_url(db) else Path(db)
    if isinstance(location, Path) and not location.is_file():
        raise MarsadError(
            "E101", "no corpus database here; run 'marsad ingest PATH --db FILE' first", input=str(location)
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.warming = warm
        if warm:
            threading.Thread(target=api.warm, args=(app,), name="marsad-warm", daemon=True).start()
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="marsad",
        summary="Arabic news analysis over a corpus: articles, search, copies, profiles, timelines.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.stores = StorePool(location)
    app.state.token = token if token is not None else (os.environ.get("MARSAD_API_TOKEN") or None)
    app.state.cache = ResultCache()
    _install_error_handlers(app)
    app.add_middleware(_Guard, max_body=MAX_BODY_BYTES)
    app.include_router(api.router)
    dashboard.install(app)
    return app


def serve_app() -> FastAPI:
    """The app for ``uvicorn --factory`` (used by ``marsad serve``): the corpus path comes from
    ``MARSAD_SERVE_DB``, so that each worker process builds its own app."""
    return create_app(
        db=os.environ.get("MARSAD_SERVE_DB", "marsad.db"),
        warm=os.environ.get("MARSAD_SERVE_WARM", "1") == "1",
    )


def run_server(
    *, db: str | Path, host: str = "127.0.0.1", port: int = 8000, workers: int | None = None
) -> None:
    """Check the corpus, then serve it with uvicorn until interrupted.

    Raises E101 for a missing corpus and E301 for a file that is not one.
    """
    import uvicorn

    location = db if _is_url(db) else Path(db)
    if isinstance(location, Path) and not location.is_file():
        raise MarsadError(
            "E101", "no corpus database here; run 'marsad ingest PATH --db FILE' first", input=str(location)
        )
    Store.open(location).close()  # a file that is not a corpus fails here, with its code, not in a worker
    # Each worker process builds its own app from the environment (uvicorn needs an import string).
    os.environ["MARSAD_SERVE_DB"] = str(location.resolve() if isinstance(location, Path) else location)
    uvicorn.run(
        "marsad.server.app:serve_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        server_header=False,
    )
