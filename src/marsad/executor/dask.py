"""The Dask engine: the same steps as the local executor, on a Dask cluster, resumable.

Inputs are split into **partitions**: one file, or ``shard_size`` consecutive records of one file
(a shard). Each partition runs as one task; the worker writes the partition's results (one JSON
object a line, articles and errors in input order) to the work folder, then a completion record,
each under a temporary name renamed into place, so a record exists only for complete results. A
rerun finds the records and skips those partitions. ``run`` yields the results in input order, so
``analyze`` writes the same JSONL as the local engine; ``ingest`` upserts each partition in the
driver (SQLite has one writer) and records that too, so a killed run neither loses nor doubles.

With a scheduler address, the workers must see the inputs and the work folder at the same paths
as the driver (a shared file system). Without one, a ``LocalCluster`` on 127.0.0.1 is started.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from marsad.document import SCHEMA_ID, Article
from marsad.errors import ERROR_SCHEMA_ID, Failure, MarsadError
from marsad.ingest.common import DEFAULT_MAX_BYTES
from marsad.pipeline.base import Pipeline, Step, check_requirements

__all__ = ["DEFAULT_SHARD_SIZE", "DaskExecutor", "Partition", "default_work_dir", "step_names"]

Item = Article | Failure
# A pipeline, or the names of its steps (workers build it by name either way).
Steps = Pipeline | Sequence[str]

# Records per shard: large enough that task overhead (milliseconds) is noise next to the
# annotators (about 30 ms an article), small enough that a lost worker costs little work.
DEFAULT_SHARD_SIZE = 2000
_RECORD_VERSION = 1


@dataclass(frozen=True, slots=True)
class Partition:
    """One unit of work: records ``[shard * shard_size, (shard + 1) * shard_size)`` of one file."""

    key: str  # stable name: the file's identity, the shard, and the steps that run on it
    input: str  # the file as the user named it (failures report this name)
    path: str  # the same file, absolute (what workers open)
    shard: int
    shard_size: int
    steps: tuple[str, ...]
    max_bytes: int


def default_work_dir(target: str | os.PathLike[str] | None) -> Path:
    """The work folder beside an output file or a database (``marsad-work`` here for stdout or a URL)."""
    if target is None or "://" in os.fspath(target):
        return Path("marsad-work")
    target = Path(target)
    return target.with_name(target.name + ".work")


class DaskExecutor:
    """Run a pipeline over files on a Dask cluster, partitioned by file and shard, resumably.

    Arguments: ``scheduler`` (a ``tcp://HOST:PORT`` address; None starts a ``LocalCluster`` of
    ``jobs`` workers with one thread each), ``work_dir`` (results and completion records),
    ``shard_size`` (records per partition), ``processes`` (False runs local workers as threads
    of this process: quicker to start, for tests), ``max_bytes`` (as the local readers),
    ``client`` (an existing ``distributed.Client`` to use instead), ``connect_timeout`` (seconds).
    Use it as a context manager; the cluster it started stops on exit.

    Raises E301 when the scheduler cannot be reached or dask is not installed.
    """

    def __init__(
        self,
        *,
        work_dir: str | os.PathLike[str],
        scheduler: str | None = None,
        jobs: int = 1,
        shard_size: int = DEFAULT_SHARD_SIZE,
        processes: bool = True,
        max_bytes: int = DEFAULT_MAX_BYTES,
        client: Any = None,
        connect_timeout: float = 10.0,
    ) -> None:
        if jobs < 1:
            raise MarsadError("E301", f"--jobs must be at least 1, got {jobs}")
        if shard_size < 1:
            raise MarsadError("E301", f"the shard size must be at least 1, got {shard_size}")
        self.work_dir = Path(work_dir)
        self.scheduler = scheduler
        self.jobs = jobs
        self.shard_size = shard_size
        self.processes = processes
        self.max_bytes = max_bytes
        self.connect_timeout = connect_timeout
        self._client = client
        self._owns_client = client is None
        self._cluster: Any = None
        # Partitions this executor ran (not skipped): tells tests and the CLI what a resume saved.
        self.computed: list[str] = []

    # -- the cluster ------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Any:
        try:
            from distributed import Client, LocalCluster
        except ImportError as err:
            raise MarsadError(
                "E301", "the dask engine needs dask and distributed: pip install 'marsad[cluster]'"
            ) from err
        if self.scheduler is not None:
            from distributed.comm.addressing import parse_address, parse_host_port

            try:
                # Checked before a Client exists: a half-built one complains again at exit.
                parse_host_port(parse_address(self.scheduler)[1])
            except ValueError as err:
                raise MarsadError("E301", f"not a scheduler address ({err}); give tcp://HOST:PORT") from err
            try:
                return Client(self.scheduler, timeout=self.connect_timeout, set_as_default=False)
            except (OSError, TimeoutError) as err:
                raise MarsadError(
                    "E301", f"cannot reach the Dask scheduler at {self.scheduler}: {err}"
                ) from err
        # Dashboard off and every socket on loopback: nothing listens beyond this machine.
        # Thread workers talk in-process, where a host name does not apply.
        where = {"host": "127.0.0.1"} if self.processes else {}
        self._cluster = LocalCluster(
            n_workers=self.jobs,
            threads_per_worker=1,
            processes=self.processes,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            **where,
        )
        return Client(self._cluster, set_as_default=False)

    def close(self) -> None:
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # -- planning ---------------------------------------------------------------------------

    def plan(self, pipeline: Steps, inputs: Sequence[str | os.PathLike[str]]) -> list[Partition | Failure]:
        """The partitions of ``inputs`` in input order, with a Failure for each missing input.

        Raises E301 for standard input and feed URLs: they cannot be split or re-read; E201 and
        E202 for a list of step names that does not make a valid pipeline.
        """
        steps = step_names(pipeline)
        files: list[Path | Failure] = []
        for raw in inputs:
            name = os.fspath(raw)
            if name == "-" or "://" in name:
                raise MarsadError(
                    "E301", "the dask engine reads files and directories; use --engine local", input=name
                )
            path = Path(name)
            if path.is_dir():
                from marsad.ingest.dispatch import walk

                files.extend(walk(path))
            elif path.exists():
                files.append(path)
            else:
                files.append(Failure(MarsadError("E101", "no such file or directory", input=name)))
        counts = self._count_records([file for file in files if isinstance(file, Path)])
        planned: list[Partition | Failure] = []
        for file in files:
            if isinstance(file, Failure):
                planned.append(file)
                continue
            count = counts[str(file)]
            for shard in range(-(-count // self.shard_size)):
                planned.append(self._partition(file, shard=shard, steps=steps))
        return planned

    def _partition(self, file: Path, *, shard: int, steps: tuple[str, ...]) -> Partition:
        absolute = os.path.abspath(file)
        stat = os.stat(absolute)
        identity = json.dumps(
            [absolute, stat.st_size, stat.st_mtime_ns, shard, self.shard_size, steps, self.max_bytes]
        )
        key = hashlib.blake2b(identity.encode("utf-8"), digest_size=10).hexdigest()
        return Partition(key, str(file), absolute, shard, self.shard_size, steps, self.max_bytes)

    def _count_records(self, files: Sequence[Path]) -> dict[str, int]:
        """Records per file (articles and failures), cached in the work folder by file identity."""
        counts: dict[str, int] = {}
        todo: list[tuple[Path, Path]] = []
        for file in files:
            absolute = os.path.abspath(file)
            stat = os.stat(absolute)
            identity = json.dumps([absolute, stat.st_size, stat.st_mtime_ns, self.max_bytes])
            cache = self.work_dir / "counts" / (_digest(identity.encode("utf-8")) + ".json")
            if cache.exists():
                counts[str(file)] = int(json.loads(cache.read_text(encoding="utf-8"))["count"])
            else:
                todo.append((file, cache))
        if todo:
            futures = [
                self.client.submit(_count_file, os.path.abspath(file), self.max_bytes, pure=False)
                for file, _ in todo
            ]
            for (file, cache), future in zip(todo, futures, strict=True):
                count = int(_result(future, what=f"counting the records of {file}"))
                _write_atomic(cache, json.dumps({"input": str(file), "count": count}).encode("utf-8"))
                counts[str(file)] = count
        return counts

    # -- running ----------------------------------------------------------------------------

    def _submit(self, planned: Sequence[Partition | Failure]) -> dict[str, Any]:
        """Start every partition without a valid completion record; return their futures by key."""
        futures: dict[str, Any] = {}
        for entry in planned:
            if isinstance(entry, Failure) or entry.key in futures:
                continue
            if _completion(self.work_dir, entry) is None:
                futures[entry.key] = self.client.submit(
                    _run_partition, entry, str(self.work_dir.resolve()), key=f"marsad-{entry.key}", pure=False
                )
        return futures

    def _await(self, entry: Partition, futures: dict[str, Any]) -> dict[str, Any]:
        future = futures.pop(entry.key, None)
        if future is None:
            found = _completion(self.work_dir, entry)
            if found is None:  # removed while we ran: a user cleaning the folder, not a bug
                raise MarsadError(
                    "E301", "a completion record vanished from the work folder", input=entry.input
                )
            return found
        record: dict[str, Any] = _result(future, what=f"{entry.input} shard {entry.shard}")
        self.computed.append(entry.key)
        return record

    def run(self, pipeline: Steps, inputs: Sequence[str | os.PathLike[str]]) -> Iterator[Item]:
        """Yield each processed article (or the failure in its place) in input order.

        Plans and submits at once, so a bad option (E301) raises here, not at the first result.
        """
        planned = self.plan(pipeline, inputs)
        return self._results(planned, self._submit(planned))

    def _results(self, planned: Sequence[Partition | Failure], futures: dict[str, Any]) -> Iterator[Item]:
        try:
            for entry in planned:
                if isinstance(entry, Failure):
                    yield entry
                    continue
                self._await(entry, futures)
                yield from _read_partition(self.work_dir, entry)
        finally:
            for future in futures.values():
                future.cancel()

    def ingest(
        self,
        pipeline: Steps,
        inputs: Sequence[str | os.PathLike[str]],
        *,
        db: str | os.PathLike[str],
        advance: Callable[[int], None] | None = None,
        max_failures_kept: int = 1000,
    ) -> Any:
        """Analyse ``inputs`` on the cluster and store them in ``db``, one transaction a partition.

        Partitions are stored in input order (so article rows come in the same order as with the
        local engine); each stored partition gets a record, and a rerun skips it, counting its
        articles as unchanged and reporting its failures again, as a local rerun would.
        Returns an ``IngestSummary``.
        """
        from marsad.corpus.store import IngestSummary, Store

        summary = IngestSummary()
        planned = self.plan(pipeline, inputs)
        futures = self._submit(planned)
        # Records of what is stored are per database: the same work folder may feed several.
        target = os.fspath(db) if "://" in os.fspath(db) else os.path.abspath(db)
        stored_dir = self.work_dir / "stored" / _digest(target.encode("utf-8"))

        def fail(item: Failure) -> None:
            summary.failed += 1
            if len(summary.failures) < max_failures_kept:
                summary.failures.append(item.error)

        try:
            with Store.open(db) as store:
                for entry in planned:
                    if isinstance(entry, Failure):
                        fail(entry)
                        continue
                    record = self._await(entry, futures)
                    articles: list[Article] = []
                    for item in _read_partition(self.work_dir, entry):
                        if isinstance(item, Failure):
                            fail(item)
                        else:
                            articles.append(item)
                    marker = stored_dir / f"{entry.key}.json"
                    if _stored_digest(marker) == record["digest"]:
                        summary.unchanged += len(articles)
                    else:
                        counts = store.upsert_many(articles)
                        summary.new += counts["new"]
                        summary.updated += counts["updated"]
                        summary.unchanged += counts["unchanged"]
                        # Written after the commit: a crash in between only means the rerun
                        # upserts this partition again, and upserts are idempotent.
                        marker_data = {"partition": entry.key, "digest": record["digest"], **counts}
                        _write_atomic(marker, json.dumps(marker_data).encode("utf-8"))
                    if advance is not None:
                        advance(len(articles))
        finally:
            for future in futures.values():
                future.cancel()
        return summary


def step_names(pipeline: Steps) -> tuple[str, ...]:
    """The step names of a pipeline, or of a list of names checked without loading any model."""
    if isinstance(pipeline, Pipeline):
        return tuple(pipeline.names)
    from marsad import registry

    names = tuple(pipeline)
    # Requirements are class attributes: the classes can be checked without building the steps
    # (the driver then loads no model; the workers do).
    check_requirements(cast(list[Step], [registry.get("step", name) for name in names]))
    return names


# -- on the workers ---------------------------------------------------------------------------

_pipelines: dict[tuple[str, ...], tuple[Pipeline, threading.Lock]] = {}
_pipelines_lock = threading.Lock()


def _worker_pipeline(steps: tuple[str, ...]) -> tuple[Pipeline, threading.Lock]:
    # Built once per worker process, so models load once. The lock matters only for workers that
    # are threads of one process (processes=False): steps are not promised to be thread-safe.
    with _pipelines_lock:
        if steps not in _pipelines:
            from marsad.pipeline.runner import DEFAULT_STEPS, build_pipeline, default_pipeline

            # The default pipeline is already cached per process: share its models.
            pipeline = default_pipeline() if steps == DEFAULT_STEPS else build_pipeline(list(steps))
            _pipelines[steps] = (pipeline, threading.Lock())
        return _pipelines[steps]


def _count_file(path: str, max_bytes: int) -> int:
    from marsad.ingest.dispatch import read_one

    return sum(1 for _ in read_one(path, max_bytes=max_bytes))


def _shard_items(partition: Partition) -> Iterator[Item]:
    from marsad.ingest.dispatch import read_one

    start = partition.shard * partition.shard_size
    items = read_one(partition.path, max_bytes=partition.max_bytes)
    for item in itertools.islice(items, start, start + partition.shard_size):
        if isinstance(item, Failure) and item.error.input == partition.path:
            # Workers open the absolute path; report the name the user gave, as the local engine does.
            item.error.input = partition.input
        yield item


def _run_partition(partition: Partition, work_dir: str) -> dict[str, Any]:
    """Run one partition, write its results and then its completion record; return the record."""
    pipeline, lock = _worker_pipeline(partition.steps)
    lines: list[str] = []
    articles = failed = 0
    with lock:
        for item in pipeline.run(_shard_items(partition)):
            if isinstance(item, Failure):
                failed += 1
                lines.append(item.error.dumps())
            else:
                articles += 1
                item.views.clear()
                lines.append(item.dumps())
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    folder = Path(work_dir) / "parts"
    _write_atomic(folder / f"{partition.key}.jsonl", data)
    record = {
        "version": _RECORD_VERSION,
        "partition": partition.key,
        "input": partition.input,
        "path": partition.path,
        "shard": partition.shard,
        "shard_size": partition.shard_size,
        "steps": list(partition.steps),
        "count": articles + failed,
        "articles": articles,
        "failed": failed,
        "bytes": len(data),
        "digest": _digest(data),
    }
    _write_atomic(
        folder / f"{partition.key}.done.json", json.dumps(record, ensure_ascii=False).encode("utf-8")
    )
    return record


# -- the work folder --------------------------------------------------------------------------


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the whole file or none of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with temporary.open("wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


def _completion(work_dir: Path, partition: Partition) -> dict[str, Any] | None:
    """The partition's completion record if it is there and its results match their digest."""
    folder = work_dir / "parts"
    try:
        record: dict[str, Any] = json.loads((folder / f"{partition.key}.done.json").read_text("utf-8"))
        data = (folder / f"{partition.key}.jsonl").read_bytes()
    except (OSError, ValueError):
        return None
    if record.get("version") != _RECORD_VERSION or record.get("digest") != _digest(data):
        return None
    return record


def _stored_digest(marker: Path) -> str | None:
    try:
        digest = json.loads(marker.read_text("utf-8")).get("digest")
    except (OSError, ValueError):
        return None
    return str(digest) if digest else None


def _read_partition(work_dir: Path, partition: Partition) -> Iterator[Item]:
    """The articles and failures of a completed partition, in input order."""
    with (work_dir / "parts" / f"{partition.key}.jsonl").open(encoding="utf-8") as stream:
        for line in stream:
            data = json.loads(line)
            if data.get("schema") == ERROR_SCHEMA_ID:
                yield Failure(MarsadError(data["code"], data["message"], input=data.get("input")))
            elif data.get("schema") == SCHEMA_ID:
                yield Article.from_json(data)


def _result(future: Any, *, what: str) -> Any:
    try:
        return future.result()
    except MarsadError:
        raise
    except Exception as err:  # a lost worker or a bug: name the partition, keep the cause
        raise MarsadError("E203", f"the Dask task for {what} failed: {err!r}") from err
