"""A bounded, thread-safe least-recently-used cache, for what one index version derives
(postings, decoded documents, analysed texts, spelling corrections)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _one(_value: object) -> int:
    return 1


class LRU(Generic[K, V]):
    """Holds values up to ``capacity``, counted by ``size`` (1 each unless told); the
    least recently used go first. A value is computed outside the lock, so two threads
    may compute the same one: the first stored is kept and returned to both."""

    def __init__(self, capacity: int, size: Callable[[V], int] = _one) -> None:
        self.capacity = capacity
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The value for ``key``, computed by ``compute()`` and kept if it is not held."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            if key in self._items:
                return self._items[key]
            self._items[key] = value
            self._held += self._size(value)
            while self._held > self.capacity and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self._held -= self._size(dropped)
        return value
