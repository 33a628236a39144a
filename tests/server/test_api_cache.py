"""The server's result cache: one computation per key and corpus state, however many ask at once."""

from __future__ import annotations

import functools
import threading
import time

import pytest

from marsad.errors import MarsadError
from marsad.server.app import ResultCache


def test_concurrent_requests_for_a_cold_key_compute_it_once() -> None:
    cache = ResultCache()
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        time.sleep(0.05)
        return "profile"

    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get("outlet", (1,), slow))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["profile"] * 8 and len(calls) == 1


def test_a_new_corpus_state_recomputes() -> None:
    cache = ResultCache()
    assert cache.get("size", (1,), lambda: 30) == 30
    assert cache.get("size", (1,), lambda: 99) == 30
    assert cache.get("size", (2,), lambda: 31) == 31


def test_a_failing_computation_is_not_cached_and_leaves_nothing_behind() -> None:
    cache = ResultCache()

    def bad() -> str:
        raise MarsadError("E301", "bad search query")

    for _ in range(3):
        with pytest.raises(MarsadError):
            cache.get(("search", '"x'), (1,), bad)
    assert cache.get(("search", '"x'), (1,), lambda: "fixed") == "fixed"
    assert len(cache._locks) == 1  # only the key that now holds a value


def test_the_oldest_entries_are_dropped_past_the_size() -> None:
    cache = ResultCache(size=3)
    computed: list[int] = []

    def value_of(key: int) -> int:
        computed.append(key)
        return key

    for key in range(5):
        cache.get(key, (1,), functools.partial(value_of, key))
    computed.clear()
    cache.get(0, (1,), lambda: value_of(0))
    cache.get(4, (1,), lambda: value_of(4))
    assert computed == [0]


def test_a_heavy_view_may_lag_a_changing_corpus_for_a_while() -> None:
    cache = ResultCache()
    assert cache.get("profile", (1,), lambda: "old", stale_for=60) == "old"
    # The corpus changed a moment ago: the old profile is still served, nobody waits.
    assert cache.get("profile", (2,), lambda: "new", stale_for=60) == "old"
    # Past the window, the next request recomputes.
    assert cache.get("profile", (2,), lambda: "new", stale_for=0) == "new"
    assert cache.get("profile", (2,), lambda: "newer", stale_for=60) == "new"


def test_while_one_request_refreshes_a_stale_view_the_others_get_the_old_one() -> None:
    cache = ResultCache()
    cache.get("network", (1,), lambda: "old")
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "new"

    refresher = threading.Thread(target=lambda: cache.get("network", (2,), slow, stale_for=0))
    refresher.start()
    assert started.wait(5)
    assert cache.get("network", (2,), lambda: "other", stale_for=0) == "old"
    release.set()
    refresher.join()
    assert cache.get("network", (2,), lambda: "other") == "new"
