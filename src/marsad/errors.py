"""The error catalogue: every failure a user can cause has a code, a message and a hint.

Codes are stable: scripts match on them. Add new codes at the end of a group; never reuse one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

ERROR_SCHEMA_ID = "marsad.error/1"

# code -> (short title, what the user can do about it)
CATALOGUE: dict[str, tuple[str, str]] = {
    # E1xx: reading input
    "E101": ("input not found", "check the path; directories are read recursively"),
    "E102": ("empty input", "the file or text holds no characters to analyse"),
    "E103": ("binary input", "marsad reads text, HTML, JSONL, feeds and WARC; this looks like none of them"),
    "E104": ("undecodable text", "save the file as UTF-8 (UTF-16 with a BOM and cp1256 are also read)"),
    "E105": ("truncated or corrupt compressed file", "the gzip stream ends early; download or copy it again"),
    "E106": ("malformed JSONL line", "each line must be one JSON object with a 'text' or 'content' field"),
    "E107": ("no article body", "the page holds no article text that could be extracted"),
    "E108": ("unreachable feed", "check the URL and the network; a local copy of the feed also works"),
    "E109": ("input too large", "split the file, or raise the limit with --max-bytes"),
    "E110": (
        "unsupported input",
        "give a .txt, .html, .jsonl, .xml/.rss/.atom, .warc or .gz file, or a directory",
    ),
    "E111": ("malformed feed", "the feed could not be parsed as RSS or Atom"),
    "E112": ("malformed WARC", "the WARC file could not be parsed"),
    # E2xx: building and running pipelines
    "E201": ("unknown component", "run 'marsad steps' to list what is registered"),
    "E202": ("unmet requirement", "add the steps that provide the missing layers, earlier in the pipeline"),
    "E203": ("step failed", "this is a bug in marsad or a plugin; please report it with the input"),
    "E204": ("model not found", "reinstall marsad, or run 'marsad train NAME' to rebuild the model"),
    # E3xx: usage
    "E301": ("bad option", "see 'marsad COMMAND --help'"),
    "E302": ("bad data file", "see 'marsad eval --help' for the formats read"),
    # E6xx: the HTTP API ('marsad serve'); each code keeps one HTTP status
    "E601": ("not found", "check the path and the id; GET /api/openapi.json lists every route"),
    "E602": ("method not allowed", "GET /api/openapi.json lists the methods each route accepts"),
    "E603": ("invalid request", "the 'detail' field lists each parameter or body field that was refused"),
    "E604": ("request body too large", "post at most 2 MB; split a long document into articles"),
    "E605": ("token required", "send 'Authorization: Bearer TOKEN' with the server's MARSAD_API_TOKEN"),
    "E606": ("wrong token", "send the token the server was started with (MARSAD_API_TOKEN)"),
    "E607": ("internal server error", "this is a bug in marsad; please report it with the request"),
}

# code -> title, for warnings that are aggregated per run rather than printed per article
WARNINGS: dict[str, str] = {
    "W101": "text is not Arabic; analysed with language 'other'",
    "W102": "HTML extraction fell back to the plain-text extractor",
    "W103": "feed entry had no text; its summary was used",
}


class MarsadError(Exception):
    """An error a user can cause and act on, with a catalogue code."""

    def __init__(self, code: str, message: str, *, input: str | None = None) -> None:
        if code not in CATALOGUE:
            raise KeyError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.input = input

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process boundaries (worker processes); keep the code and the input.
        return (_rebuild_error, (self.code, self.message, self.input))

    @property
    def hint(self) -> str:
        return CATALOGUE[self.code][1]

    def __str__(self) -> str:
        where = f"{self.input}: " if self.input else ""
        return f"{where}{self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"schema": ERROR_SCHEMA_ID, "code": self.code, "message": self.message, "input": self.input}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False)


def _rebuild_error(code: str, message: str, input: str | None) -> MarsadError:
    return MarsadError(code, message, input=input)


@dataclass(frozen=True, slots=True)
class Failure:
    """An input that could not be turned into an article; readers yield these and go on."""

    error: MarsadError

    @property
    def code(self) -> str:
        return self.error.code


def error(code: str, message: str, *, input: str | None = None) -> MarsadError:
    """Build a coded error (a small helper so call sites read as one line)."""
    return MarsadError(code, message, input=input)
