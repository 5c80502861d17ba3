"""Reads that a keyboard or kernel interrupt can stop.

A read runs on a worker thread that owns its connection from checkout to
return; the calling thread only waits on an :class:`threading.Event`, which a
signal interrupts. So the interpreter lock is free while the network is slow,
other threads keep running, and a ``KeyboardInterrupt`` reaches the caller at
once, however the driver waits. On an interrupt the server-side query is
cancelled (PostgreSQL's cancel request with a timeout, SQLite's
``interrupt()``), the worker gets up to :data:`GRACE` seconds to hand its
connection back, and ``KeyboardInterrupt`` is raised. A worker stuck on a
frozen server cleans up after itself when the server answers again; the
workspace meanwhile takes another connection from the pool.

A read that runs longer than :data:`PROGRESS_AFTER` seconds shows the rows
received so far (``tqdm.auto``: a widget in notebooks, a line in terminals),
unless progress is turned off (``AZORA_PROGRESS=0``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

log = logging.getLogger("azora_nb")

T = TypeVar("T")

GRACE = 0.8
"""Seconds an interrupted worker has to return its connection before the caller
raises anyway (the whole interrupt stays under one second)."""

PROGRESS_AFTER = 2.0
"""Seconds before a read shows its progress."""

_TICK = 0.1


class ReadHandle:
    """What the worker shares with the waiting thread: how to cancel, rows so far."""

    def __init__(self) -> None:
        self.rows = 0
        self.interrupted = threading.Event()
        self._cancel: Callable[[], None] | None = None
        self._lock = threading.Lock()

    def on_cancel(self, cancel: Callable[[], None] | None) -> None:
        """Register how to cancel the statement in flight (``None``: nothing to cancel)."""
        with self._lock:
            self._cancel = cancel
            fire = cancel is not None and self.interrupted.is_set()
        if fire:
            self.cancel()

    def cancel(self) -> None:
        """Ask the server to stop; never waits longer than :data:`GRACE` for it."""
        self.interrupted.set()
        with self._lock:
            cancel = self._cancel
        if cancel is None:
            return
        # The cancel request opens a connection of its own, which a frozen server
        # never answers: send it from a daemon thread and do not wait for it.
        threading.Thread(target=_quietly, args=(cancel,), daemon=True).start()


def _quietly(cancel: Callable[[], None]) -> None:
    try:
        cancel()
    except Exception as exc:  # the server may be gone: the read fails on its own
        log.debug("cancel request failed: %s", exc)


def cancel_function(dbapi_conn: Any) -> Callable[[], None] | None:
    """How to cancel what ``dbapi_conn`` runs: PostgreSQL's cancel request (bounded by
    a timeout), or SQLite's ``interrupt()``."""
    if hasattr(dbapi_conn, "cancel_safe"):
        return lambda: dbapi_conn.cancel_safe(timeout=2.0)
    if hasattr(dbapi_conn, "interrupt"):
        return dbapi_conn.interrupt
    return None


def run(work: Callable[[ReadHandle], T], *, progress: bool = True, label: str = "rows") -> T:
    """Run ``work(handle)`` on a worker thread and wait for it interruptibly.

    ``work`` opens and closes its own connection, registers a cancel function
    with ``handle.on_cancel`` and may count rows in ``handle.rows``.
    """
    handle = ReadHandle()
    done = threading.Event()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = work(handle)
        except BaseException as exc:
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="azora-nb-read", daemon=True).start()
    _wait(done, handle, progress, label)
    if "error" in box:
        error = box.pop("error")
        try:
            raise error
        finally:
            del error
    return box["value"]


def _wait(done: threading.Event, handle: ReadHandle, progress: bool, label: str) -> None:
    start = time.monotonic()
    bar = None
    try:
        while not done.wait(_TICK):
            if progress and bar is None and time.monotonic() - start > PROGRESS_AFTER:
                bar = _progress_bar(label)
            if bar is not None:
                bar.update(handle.rows - bar.n)
    except KeyboardInterrupt:
        handle.cancel()
        done.wait(GRACE)
        raise
    finally:
        if bar is not None:
            bar.update(handle.rows - bar.n)
            bar.close()


def _progress_bar(label: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(desc="reading", unit=f" {label}", leave=False, dynamic_ncols=True)


_END = object()


def stream(
    produce: Callable[[ReadHandle], Iterator[T]], *, progress: bool = True, label: str = "rows"
) -> Iterator[T]:
    """Like :func:`run` for a generator: ``produce(handle)`` runs on a worker thread and
    hands its items over one at a time (so at most two are in memory). Closing the
    returned generator, or interrupting the thread that iterates it, cancels the read."""
    handle = ReadHandle()
    items: queue.Queue[Any] = queue.Queue(maxsize=1)
    done = threading.Event()

    def put(item: Any) -> bool:
        while not handle.interrupted.is_set():
            try:
                items.put(item, timeout=_TICK)
                return True
            except queue.Full:
                continue
        return False

    def target() -> None:
        try:
            for item in produce(handle):
                if not put(item):
                    return
            put(_END)
        except BaseException as exc:
            put(_Failure(exc))
        finally:
            done.set()

    threading.Thread(target=target, name="azora-nb-stream", daemon=True).start()
    try:
        while True:
            item = _next_item(items, handle, done, progress, label)
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    except (KeyboardInterrupt, GeneratorExit):
        handle.cancel()
        done.wait(GRACE)
        raise
    finally:
        handle.interrupted.set()


def _next_item(
    items: queue.Queue[Any], handle: ReadHandle, done: threading.Event, progress: bool, label: str
) -> Any:
    start = time.monotonic()
    bar = None
    try:
        while True:
            try:
                return items.get(timeout=_TICK)
            except queue.Empty:
                pass
            if progress and bar is None and time.monotonic() - start > PROGRESS_AFTER:
                bar = _progress_bar(label)
            if bar is not None:
                bar.update(handle.rows - bar.n)
    finally:
        if bar is not None:
            bar.close()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error
