"""A bounded, thread-safe cache of immutable values, least recently used first out.

For values worked out from rows and keyed by what they depend on (a content hash, a record's
version): a key that changes with every write needs no invalidation, and each app process
keeps its own copy without ever serving another's stale value."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Bounded(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def get_or_make(self, key: K, make: Callable[[], V], *, shared: bool = True) -> V:
        """The cached value, or `make()`'s (outside the lock: two threads may both make it,
        which costs time, never correctness). Not `shared`: `make()`'s value, neither read
        from nor kept in the cache (a transaction that has written sees rows that may never
        be committed)."""
        if not shared:
            return make()
        value = self.get(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
