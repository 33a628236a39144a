"""The dashboard pages, rendered on the server."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Add the dashboard's routes and static files to ``app``."""
