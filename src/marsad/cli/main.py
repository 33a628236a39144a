"""The ``marsad`` command line.

Exit codes scripts can rely on: 0 every input analysed, 1 some inputs failed, 2 usage error.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer

from marsad import __version__
from marsad.document import Article
from marsad.errors import WARNINGS, Failure, MarsadError

app = typer.Typer(
    name="marsad",
    help="Read Arabic news and show what an article does: actors, claims, sources, persuasion, copies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    html = "html"


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"marsad {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """marsad: an observatory for Arabic news."""


def report_error(err: MarsadError) -> None:
    """Print a coded error the way every command does: one line on standard error."""
    where = f"{err.input}: " if err.input else ""
    typer.echo(f"marsad: error[{err.code}]: {where}{err.message}", err=True)


def usage_error(message: str) -> typer.Exit:
    typer.echo(f"marsad: error[E301]: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


@app.command()
def analyze(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Files, directories, feed URLs, or - for standard input.", show_default=False),
    ] = None,
    text: Annotated[str | None, typer.Option("--text", help="Analyse this text instead of files.")] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.text,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of standard output.")
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes for batches.")] = 1,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", min=1, help="Refuse single-article inputs larger than this.")
    ] = 20_000_000,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Progress bar on standard error.")
    ] = None,
) -> None:
    """Analyse articles and print a report, JSON, JSONL or a standalone HTML page."""
    from marsad.executor.local import LocalExecutor
    from marsad.ingest import read_inputs
    from marsad.pipeline.runner import default_pipeline

    if not paths and text is None:
        raise usage_error("give at least one PATH (or - for standard input), or --text")
    try:
        pipeline = default_pipeline()
    except MarsadError as err:
        report_error(err)
        raise typer.Exit(EXIT_SOME_FAILED) from None

    items: Iterable[Article | Failure]
    if text is not None:
        items = (
            [Article(text=text)]
            if text.strip()
            else [Failure(MarsadError("E102", "the text is empty", input="--text"))]
        )
    else:
        items = read_inputs(paths or [], max_bytes=max_bytes)
    results = LocalExecutor(jobs=jobs).run(pipeline, items)
    show_progress = sys.stderr.isatty() if progress is None else progress
    if show_progress:
        results = _with_progress(results)

    stream: TextIO = sys.stdout if output is None else output.open("w", encoding="utf-8")
    try:
        counts = _write_results(results, stream=stream, output_format=output_format)
    finally:
        if output is not None:
            stream.close()
    for code, number in sorted(counts["warnings"].items()):
        typer.echo(f"marsad: warning[{code}]: {number} article(s): {WARNINGS.get(code, code)}", err=True)
    if counts["failed"]:
        raise typer.Exit(EXIT_SOME_FAILED)


def _with_progress(results: Iterator[Article | Failure]) -> Iterator[Article | Failure]:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.completed} articles"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("analyse", total=None)
        for item in results:
            bar.advance(task)
            yield item


def _write_results(
    results: Iterator[Article | Failure], *, stream: TextIO, output_format: OutputFormat
) -> dict[str, Counter[str]]:
    from marsad.report.html import render_html
    from marsad.report.text import render_text

    counts: dict[str, Counter[str]] = {"warnings": Counter(), "failed": Counter()}
    written = 0
    pending_json: str | None = None  # a lone json object is printed bare; several become an array

    for item in results:
        if isinstance(item, Failure):
            report_error(item.error)
            counts["failed"][item.code] += 1
            payload = item.error.dumps()
        else:
            counts["warnings"].update(item.meta.extra.get("warnings", []))
            if output_format is OutputFormat.text:
                stream.write(("\n" if written else "") + render_text(item))
                written += 1
                continue
            if output_format is OutputFormat.html:
                if written:
                    raise usage_error(
                        "--format html writes one article; use --format json or jsonl for several"
                    )
                stream.write(render_html(item) + "\n")
                written += 1
                continue
            payload = item.dumps(indent=2 if output_format is OutputFormat.json else None)
        if output_format is OutputFormat.jsonl:
            stream.write(payload + "\n")
        elif output_format is OutputFormat.json:
            if pending_json is None and written == 0:
                pending_json = payload
            else:
                if pending_json is not None:
                    stream.write("[\n" + pending_json)
                    pending_json = None
                stream.write(",\n" + payload)
        written += 1
    if output_format is OutputFormat.json:
        if pending_json is not None:
            stream.write(pending_json + "\n")
        elif written > 1:
            stream.write("\n]\n")
        elif written == 0:
            stream.write("[]\n")
    stream.flush()
    return counts


@app.command()
def schema(
    name: Annotated[str, typer.Argument(help="article or error")] = "article",
) -> None:
    """Print the JSON Schema of the output contract (marsad.article/1, or marsad.error/1)."""
    from marsad.schema import load_schema

    if name not in ("article", "error"):
        raise usage_error(f"unknown schema {name!r}; expected article or error")
    typer.echo(json.dumps(load_schema(name), ensure_ascii=False, indent=2))


@app.command()
def steps() -> None:
    """List the registered readers and steps, and the default pipeline."""
    from marsad import registry
    from marsad.pipeline.runner import DEFAULT_STEPS

    for kind in ("reader", "step"):
        for name in registry.names(kind):
            component = registry.get(kind, name)
            extra = ""
            if kind == "step":
                extra = f"  requires: {', '.join(component.requires) or '-'}  provides: {', '.join(component.provides)}"
            else:
                extra = f"  suffixes: {' '.join(component.suffixes) or '-'}"
            typer.echo(f"{kind:<7} {name:<14}{extra}")
    typer.echo(f"default pipeline: {' -> '.join(DEFAULT_STEPS)}")


def main() -> None:
    """Entry point of the ``marsad`` script."""
    try:
        app()
    except MarsadError as err:  # a coded error that escaped a command: still no traceback
        report_error(err)
        sys.exit(EXIT_SOME_FAILED)
    except KeyboardInterrupt:
        typer.echo("marsad: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(EXIT_OK)


if __name__ == "__main__":
    main()
