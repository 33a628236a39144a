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
from typing import Annotated, Any, TextIO

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


class Engine(StrEnum):
    local = "local"
    dask = "dask"


EngineOption = Annotated[
    Engine, typer.Option("--engine", help="local: worker processes here; dask: a Dask cluster, resumable.")
]
SchedulerOption = Annotated[
    str | None,
    typer.Option("--scheduler", help="Dask scheduler tcp://HOST:PORT (default: a local cluster of --jobs)."),
]
WorkDirOption = Annotated[
    Path | None,
    typer.Option(
        "--work-dir", help="Dask engine: partition results and records (default: beside the output)."
    ),
]
ShardSizeOption = Annotated[
    int, typer.Option("--shard-size", min=1, help="Dask engine: records per partition.")
]


def _dask_executor(
    *, jobs: int, scheduler: str | None, work_dir: Path, shard_size: int, max_bytes: int
) -> Any:
    from marsad.executor.dask import DaskExecutor

    return DaskExecutor(
        work_dir=work_dir, scheduler=scheduler, jobs=jobs, shard_size=shard_size, max_bytes=max_bytes
    )


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
    engine: EngineOption = Engine.local,
    scheduler: SchedulerOption = None,
    work_dir: WorkDirOption = None,
    shard_size: ShardSizeOption = 2000,
) -> None:
    """Analyse articles and print a report, JSON, JSONL or a standalone HTML page."""
    from marsad.executor.local import LocalExecutor
    from marsad.ingest import read_inputs
    from marsad.pipeline.runner import DEFAULT_STEPS, default_pipeline

    if not paths and text is None:
        raise usage_error("give at least one PATH (or - for standard input), or --text")
    try:
        # The dask engine's driver needs only the step names: its workers load the models.
        pipeline = None if engine is Engine.dask else default_pipeline()
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
    if engine is Engine.dask:
        if text is not None:
            raise usage_error("--engine dask reads files and directories; use --engine local for --text")
        executor = _dask_executor(
            jobs=jobs,
            scheduler=scheduler,
            work_dir=work_dir or _default_work_dir(output),
            shard_size=shard_size,
            max_bytes=max_bytes,
        )
        try:
            results = executor.run(pipeline or DEFAULT_STEPS, paths or [])
        except MarsadError as err:
            executor.close()
            raise _fail(err) from None
    else:
        executor = None
        results = LocalExecutor(jobs=jobs).run(pipeline or default_pipeline(), items)
    show_progress = sys.stderr.isatty() if progress is None else progress
    if show_progress:
        results = _with_progress(results)

    stream: TextIO = sys.stdout if output is None else output.open("w", encoding="utf-8")
    try:
        counts = _write_results(results, stream=stream, output_format=output_format)
    except MarsadError as err:  # the dask engine: a lost worker or a vanished work folder
        raise _fail(err) from None
    finally:
        if output is not None:
            stream.close()
        if executor is not None:
            executor.close()
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


class ListFormat(StrEnum):
    text = "text"
    json = "json"


DbOption = Annotated[
    str,
    typer.Option("--db", help="The corpus: a SQLite file, or a PostgreSQL URL (postgresql://USER@HOST/DB)."),
]


def _fail(err: MarsadError) -> typer.Exit:
    report_error(err)
    return typer.Exit(EXIT_USAGE if err.code == "E301" else EXIT_SOME_FAILED)


def _open_store(db: str) -> Any:
    from marsad.corpus.db import is_url
    from marsad.corpus.store import Store

    if not is_url(db) and not Path(db).exists():
        raise _fail(
            MarsadError(
                "E101", "no corpus database here; run 'marsad ingest PATH --db FILE' first", input=str(db)
            )
        )
    return Store.open(db)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_jsonable))


@app.command()
def ingest(
    paths: Annotated[
        list[str], typer.Argument(help="Files, directories, feed URLs, or - for standard input.")
    ],
    db: DbOption = "marsad.db",
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes.")] = 1,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Progress bar on standard error.")
    ] = None,
    output_format: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.text,
    engine: EngineOption = Engine.local,
    scheduler: SchedulerOption = None,
    work_dir: WorkDirOption = None,
    shard_size: ShardSizeOption = 2000,
) -> None:
    """Analyse articles and store them in a corpus; the same article twice is stored once."""
    from marsad.corpus.db import redacted
    from marsad.corpus.store import ingest as ingest_paths

    show_progress = sys.stderr.isatty() if progress is None else progress
    try:
        if engine is Engine.dask:
            summary = _ingest_dask(
                paths, db=db, jobs=jobs, scheduler=scheduler, work_dir=work_dir, shard_size=shard_size
            )
        else:
            summary = ingest_paths(paths, db=db, jobs=jobs, progress=show_progress)
    except MarsadError as err:
        raise _fail(err) from None
    for failure in summary.failures:
        report_error(failure)
    if output_format is ListFormat.json:
        _echo_json(summary.to_json())
    else:
        typer.echo(
            f"ingested into {redacted(db)}: {summary.new} new, {summary.updated} updated, "
            f"{summary.unchanged} unchanged, {summary.failed} failed"
        )
    if summary.failed:
        raise typer.Exit(EXIT_SOME_FAILED)


def _default_work_dir(target: Path | None) -> Path:
    from marsad.executor.dask import default_work_dir

    return default_work_dir(target)


def _ingest_dask(
    paths: list[str], *, db: str, jobs: int, scheduler: str | None, work_dir: Path | None, shard_size: int
) -> Any:
    from marsad.corpus.db import is_url
    from marsad.ingest.common import DEFAULT_MAX_BYTES
    from marsad.pipeline.runner import DEFAULT_STEPS

    executor = _dask_executor(
        jobs=jobs,
        scheduler=scheduler,
        work_dir=work_dir or _default_work_dir(None if is_url(db) else Path(db)),
        shard_size=shard_size,
        max_bytes=DEFAULT_MAX_BYTES,
    )
    with executor:
        return executor.ingest(DEFAULT_STEPS, paths, db=db)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Arabic-aware: "phrases", AND, OR, NOT in capitals.')],
    db: DbOption = "marsad.db",
    outlet: Annotated[str | None, typer.Option(help="Only this outlet.")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after (ISO date).")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before (ISO date).")] = None,
    actor: Annotated[str | None, typer.Option(help="Only articles naming this actor id.")] = None,
    technique: Annotated[str | None, typer.Option(help="Only articles with this technique.")] = None,
    min_propaganda: Annotated[float | None, typer.Option(help="Propaganda score at least this.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    output_format: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.text,
) -> None:
    """Search a corpus, ranked by BM25, with highlighted snippets."""
    from marsad.corpus.search import search as run_search
    from marsad.report.text import isolate

    with _open_store(db) as store:
        try:
            results = run_search(
                store,
                query,
                outlet=outlet,
                since=since,
                until=until,
                actor=actor,
                technique=technique,
                min_propaganda=min_propaganda,
                limit=limit,
                offset=offset,
            )
        except MarsadError as err:
            raise _fail(err) from None
    if output_format is ListFormat.json:
        _echo_json(results.to_json())
        return
    at_least = "at least " if getattr(results, "total_capped", False) else ""
    typer.echo(f"{at_least}{results.total} articles match; showing {len(results.hits)} from {offset + 1}")
    for hit in results.hits:
        score = f"{hit.score:.2f}" if hit.score is not None else "-"
        typer.echo(f"\n{hit.id}  {hit.published or ''}  {isolate(hit.outlet or '')}  score {score}")
        if hit.title:
            typer.echo(f"  {isolate(hit.title)}")
        typer.echo(f"  {isolate(' '.join(hit.snippet.split()))}")


@app.command()
def copies(
    article_id: Annotated[str, typer.Argument(help="An article id from the corpus.")],
    db: DbOption = "marsad.db",
    output_format: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.text,
) -> None:
    """Where else an article's text ran: its copy cluster and passages reused both ways."""
    from marsad.corpus.syndication import copies as find_copies

    with _open_store(db) as store:
        try:
            data = find_copies(store, article_id)
        except MarsadError as err:
            raise _fail(err) from None
    if output_format is ListFormat.json:
        _echo_json(data)
        return
    from marsad.report.text import isolate

    cluster = data.get("cluster") or {}
    first = cluster.get("first") or {}
    typer.echo(f"article {article_id}")
    if first:
        typer.echo(
            f"first appearance: {first.get('id')}  {first.get('published') or ''}  {isolate(first.get('outlet') or '')}"
        )
    for copy in cluster.get("copies", []):
        changed = copy.get("changes") or {}
        notes = ", ".join(
            f"{key} {value}" for key, value in changed.items() if isinstance(value, int | float) and value
        )
        typer.echo(
            f"  copy {copy.get('id')}  {isolate(copy.get('outlet') or '')}  similarity {copy.get('similarity', 0):.2f}"
            f"  delay {copy.get('delay_hours')} h  {notes}"
        )
    for direction in ("reuses", "reused_by"):
        for reuse in data.get(direction, []):
            typer.echo(
                f"  {direction.replace('_', ' ')} {reuse.get('id') or reuse.get('other')}  {json.dumps(reuse.get('share'), default=str)}"
            )
    if not cluster.get("copies") and not data.get("reuses") and not data.get("reused_by"):
        typer.echo("  no copies or reused passages found")


@app.command()
def syndication(
    db: DbOption = "marsad.db",
    since: Annotated[str | None, typer.Option(help="First appearance on or after (ISO date).")] = None,
    until: Annotated[str | None, typer.Option(help="First appearance on or before (ISO date).")] = None,
    output_format: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.text,
) -> None:
    """The copy clusters and the outlet-to-outlet copy network."""
    from marsad.corpus.syndication import syndication as network
    from marsad.report.text import isolate

    with _open_store(db) as store:
        try:
            data = network(store, since=since, until=until)
        except MarsadError as err:
            raise _fail(err) from None
    if output_format is ListFormat.json:
        _echo_json(data)
        return
    typer.echo(f"{len(data.get('clusters', []))} copy clusters")
    for edge in data.get("network", []):
        typer.echo(
            f"  {isolate(str(edge.get('source')))} -> {isolate(str(edge.get('target')))}: "
            f"{edge.get('copies', 0)} copies, {edge.get('reuses', 0)} reuses, "
            f"median delay {edge.get('median_delay_hours')} h"
        )


@app.command()
def serve(
    db: DbOption = "marsad.db",
    host: Annotated[
        str, typer.Option(help="Address to listen on; the default keeps the server on this machine.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int | None, typer.Option(min=1, help="Server processes (default: one).")] = None,
) -> None:
    """Serve the JSON API (/api) and the dashboard (/) over a corpus.

    When MARSAD_API_TOKEN is set, writing endpoints need 'Authorization: Bearer TOKEN'.
    """
    import os

    from marsad.server.app import run_server

    if host not in {"127.0.0.1", "localhost", "::1"} and not os.environ.get("MARSAD_API_TOKEN"):
        typer.echo(
            f"marsad: warning: serving on {host} without MARSAD_API_TOKEN: anyone who can reach it may post",
            err=True,
        )
    try:
        run_server(db=db, host=host, port=port, workers=workers)
    except MarsadError as err:
        raise _fail(err) from None


profile_app = typer.Typer(help="Profiles of outlets and actors in a corpus.", no_args_is_help=True)
app.add_typer(profile_app, name="profile")


@profile_app.command("outlet")
def profile_outlet(
    name: Annotated[str, typer.Argument(help="The outlet's name as stored.")],
    db: DbOption = "marsad.db",
    output_format: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.text,
) -> None:
    """An outlet's techniques, sourcing, actors and copies."""
    _profile("outlet", name, db=db, output_format=output_format)


@profile_app.command("actor")
def profile_actor(
    actor_id: Annotated[str, typer.Argument(help="An actor id, e.g. RUS, nato, vladimir-putin.")],
    db: DbOption = "marsad.db",
    output_format: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.text,
) -> None:
    """An actor's mentions and tone over time, and who is named with it."""
    _profile("actor", actor_id, db=db, output_format=output_format)


def _profile(kind: str, key: str, *, db: str, output_format: ListFormat) -> None:
    import importlib

    try:
        profiles = importlib.import_module("marsad.corpus.profiles")
    except ImportError:
        raise usage_error("profiles are not available in this installation") from None
    with _open_store(db) as store:
        try:
            data = getattr(profiles, f"{kind}_profile")(store, key)
        except MarsadError as err:
            raise _fail(err) from None
    if output_format is ListFormat.json:
        _echo_json(data)
    else:
        typer.echo(getattr(profiles, f"format_{kind}_profile")(data))


# name -> (training "module:function", evaluation "module:function", report formatter module).
MODELS: dict[str, tuple[str, str, str]] = {
    "ner": ("marsad.models.ner:train_ner", "marsad.evaluate:evaluate_ner", "marsad.evaluate.conll"),
    "persuasion": (
        "marsad.models.persuasion:train_persuasion",
        "marsad.evaluate.persuasion:evaluate_persuasion",
        "marsad.evaluate.persuasion",
    ),
    "checkworthy": (
        "marsad.models.checkworthy:train_checkworthy",
        "marsad.models.checkworthy:evaluate_checkworthy",
        "marsad.models.checkworthy",
    ),
}


def _model_function(name: str, which: int) -> Any:
    import importlib

    if name not in MODELS:
        raise usage_error(f"unknown model {name!r}; expected one of {', '.join(MODELS)}")
    module_name, _, function = MODELS[name][which].partition(":")
    try:
        return getattr(importlib.import_module(module_name), function)
    except (ImportError, AttributeError):
        raise usage_error(f"model {name!r} is not available in this installation") from None


@app.command()
def train(
    name: Annotated[str, typer.Argument(help="ner, persuasion or checkworthy")],
    data: Annotated[
        Path | None, typer.Option("--data", help="The shared data folder (default: ../shared/data).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the model here (default: the package's own models).")
    ] = None,
) -> None:
    """Retrain a shipped model from the data it was trained on (or your own, in the same format)."""
    import importlib.resources

    from marsad.paths import shared_data

    function = _model_function(name, 0)
    data_dir = data or shared_data()
    if data_dir is None or not data_dir.is_dir():
        raise usage_error("no data folder: give --data (the shared data folder, e.g. ../shared/data)")
    out_dir = out or Path(str(importlib.resources.files("marsad.models") / "data"))
    out_dir.mkdir(parents=True, exist_ok=True)
    if name == "ner":
        ner_dir = data_dir / "ner" / "anercorp"
        corpora = sorted((data_dir / "corpora").glob("*/*.jsonl.gz"))
        report = function(
            train_path=ner_dir / "ANERCorp_CamelLabRecipe_train.txt", out_dir=out_dir, corpora=corpora
        )
    else:
        report = function(data_dir=data_dir, out_dir=out_dir)
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))


@app.command("eval")
def evaluate(
    name: Annotated[str, typer.Argument(help="ner, persuasion or checkworthy")],
    data: Annotated[Path, typer.Option("--data", help="A file in the dataset's native format.")],
    task: Annotated[
        str | None, typer.Option("--task", help="persuasion: binary, multilabel, coarse or span")
    ] = None,
    model: Annotated[Path | None, typer.Option("--model", help="A model folder (default: shipped).")] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text or json")
    ] = OutputFormat.text,
) -> None:
    """Measure a model on a labelled file and print the standard metrics."""
    import importlib

    function = _model_function(name, 1)
    if not data.is_file():
        report_error(MarsadError("E101", "no such data file", input=str(data)))
        raise typer.Exit(EXIT_USAGE)
    kwargs: dict[str, Any] = {"data_path": data, "model_dir": model}
    if name == "persuasion":
        if task not in ("binary", "multilabel", "coarse", "span"):
            raise usage_error("--task must be binary, multilabel, coarse or span")
        kwargs["task"] = task
    report = function(**kwargs)
    module = importlib.import_module(MODELS[name][2])
    if output_format is OutputFormat.json:
        payload = report.to_json() if hasattr(report, "to_json") else report
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=_jsonable))
    else:
        formatter = getattr(module, "format_report", None)
        typer.echo(
            formatter(report)
            if formatter
            else json.dumps(report, ensure_ascii=False, indent=2, default=_jsonable)
        )


def _jsonable(value: Any) -> Any:
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


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
