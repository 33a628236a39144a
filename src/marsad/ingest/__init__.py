"""Readers: turn files, directories, feeds, crawls and standard input into articles.

``read_inputs`` is the one entry point the CLI and the Python API call.
"""

from __future__ import annotations

from marsad.ingest.dispatch import read_inputs

__all__ = ["read_inputs"]
