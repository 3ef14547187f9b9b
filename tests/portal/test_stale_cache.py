"""One caller rebuilds a stale entry while the others are served the previous value."""

import threading
import time

import pytest
from django.core.cache import cache

from portal.status import stale_cache

KEY = "test:stale-cache"


def stale(value):
    cache.set(KEY, stale_cache.Entry(value, time.time() - 1), 60)


def test_a_fresh_entry_is_served_without_building():
    cache.set(KEY, stale_cache.Entry("fresh", time.time() + 60), 60)
    assert stale_cache.get_or_rebuild(KEY, lambda: pytest.fail("built a fresh entry")) == "fresh"


def test_with_nothing_cached_the_caller_builds_and_caches():
    assert stale_cache.get_or_rebuild(KEY, lambda: ("built", time.time() + 60)) == "built"
    assert cache.get(KEY).value == "built"
    assert cache.get(f"{KEY}:rebuilding") is None


def test_a_stale_entry_is_served_while_someone_else_rebuilds():
    stale("old")
    cache.add(f"{KEY}:rebuilding", 1, 60)
    assert stale_cache.get_or_rebuild(KEY, lambda: pytest.fail("rebuilt under another's lock")) == "old"
    cache.delete(f"{KEY}:rebuilding")
    assert stale_cache.get_or_rebuild(KEY, lambda: ("new", time.time() + 60)) == "new"


def test_many_threads_finding_it_stale_rebuild_it_once():
    stale("old")
    builds, answers, start = [], [], threading.Barrier(8)
    answered = threading.Condition()

    def build():
        builds.append(threading.get_ident())
        with answered:  # the build lasts until the seven others have been answered
            assert answered.wait_for(lambda: len(answers) == 7, timeout=10)
        return "new", time.time() + 60

    def ask():
        start.wait()
        answer = stale_cache.get_or_rebuild(KEY, build)
        with answered:
            answers.append(answer)
            answered.notify_all()

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1
    assert sorted(answers) == ["new"] + ["old"] * 7
    assert stale_cache.get_or_rebuild(KEY, lambda: pytest.fail("rebuilt a fresh entry")) == "new"


def test_a_build_that_lost_its_lock_leaves_the_new_holder_s_lock_alone():
    stale("old")
    lock = f"{KEY}:rebuilding"

    def slow_build():
        cache.set(lock, "another caller's token", 60)  # ours expired meanwhile and was taken
        return "new", time.time() + 60

    assert stale_cache.get_or_rebuild(KEY, slow_build) == "new"
    assert cache.get(lock) == "another caller's token"


def test_a_failed_rebuild_releases_the_lock_and_keeps_the_stale_value():
    stale("old")

    def broken():
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        stale_cache.get_or_rebuild(KEY, broken)
    assert cache.get(KEY).value == "old"
    assert stale_cache.get_or_rebuild(KEY, lambda: ("new", time.time() + 60)) == "new"
