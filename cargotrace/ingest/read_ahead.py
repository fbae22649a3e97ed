"""Decode the next chunks in a worker thread while DuckDB stores the current one.

Why a thread and not a process: the decoders spend their time in pyarrow, numpy, DuckDB or
pyais, and the store's inserts spend theirs inside DuckDB, which releases the GIL while a query
runs; a thread then gets the second core for decoding without pickling chunks between
processes. Why a bounded queue: a reader faster than the store would otherwise queue the whole
file in memory, which is what this module exists to prevent. At most `depth` chunks wait, plus
the one being decoded and the one being stored.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

_POLL_S = 0.1  # how often a blocked worker checks whether the consumer has gone


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_END = object()


class _Worker:
    """The thread that runs `items` and hands each item over through a bounded queue."""

    def __init__(self, items: Iterator[T], depth: int) -> None:
        self.items = items
        self.waiting: queue.Queue[object] = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._work, name="cargotrace-read-ahead",
                                       daemon=True)
        self.thread.start()

    def _hand_over(self, item: object) -> bool:
        """Queue `item`, waiting while the queue is full; False once the consumer has gone."""
        while not self.stop.is_set():
            try:
                self.waiting.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _work(self) -> None:
        try:
            for item in self.items:
                if not self._hand_over(item):
                    return
            self._hand_over(_END)
        except BaseException as exc:  # re-raised in the consumer
            self._hand_over(_Failed(exc))
        finally:
            close = getattr(self.items, "close", None)
            if close is not None:
                close()

    def finish(self) -> None:
        """Stop the thread (freeing it if blocked on a full queue) and wait for it."""
        self.stop.set()
        while self.thread.is_alive():
            try:
                self.waiting.get(timeout=_POLL_S)
            except queue.Empty:
                pass
        self.thread.join()


class ReadAhead(Iterator[T]):
    """What `items` yields, computed up to `depth` items ahead in a worker thread that starts
    at once (so that it can decode while the caller does something else first, e.g. hash the
    file).

    An exception in `items` is raised here, in the consumer, with its own traceback (so an
    unreadable file is the same one-line error as without the thread). `close()` (also when
    the consumer stops early: an error while storing, Ctrl-C, an already ingested file) stops
    the worker at its next item and closes `items` (its file) before it returns.
    """

    def __init__(self, items: Iterator[T], depth: int) -> None:
        self._worker = _Worker(items, depth)
        self._done = False

    def __iter__(self) -> ReadAhead[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        try:
            got = self._worker.waiting.get()
        except BaseException:  # Ctrl-C while waiting
            self.close()
            raise
        if got is _END:
            self.close()
            raise StopIteration
        if isinstance(got, _Failed):
            self.close()
            raise got.error
        return got  # type: ignore[return-value]

    def close(self) -> None:
        """Stop the worker and wait for it (idempotent)."""
        self._done = True
        self._worker.finish()


def read_ahead(items: Iterator[T], depth: int) -> ReadAhead[T]:
    """`items` computed up to `depth` items ahead in a worker thread (`ReadAhead`)."""
    return ReadAhead(items, depth)
