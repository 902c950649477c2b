"""A small in-process cache of rendered page parts, bounded, least recently used out first.

Each worker process has its own. Keys must name everything the cached part depends on; for
the round page that is the round's `revision` (moved by database triggers on every change
the page shows, see migration 0007), the round's phase, and who is looking (id, role,
organisation, group), their language and timezone, and the page's own parameters. A stale
entry is never served: a change moves the revision and the old key is not asked for again;
it ages out.

A second cache holds rendered comments, keyed on every value they show: after a change, the
page is rendered again but its unchanged comments are not.

A third holds the round page's pieces per visibility class (`rounds/sections.py`): each
clause's section keyed on that section's own revision, so a new comment renders one section
again, once per class.

`PAGE_CACHE_ENTRIES` (default 512) bounds the pages per process, `COMMENT_CACHE_ENTRIES`
(default 4,096) the comments, `SECTION_CACHE_ENTRIES` (default 8,192) the pieces; 0 turns any
of them off.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask, current_app


class PageCache:
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        if self.max_entries <= 0:
            return make()
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
        value = make()
        with self._lock:
            self.misses += 1
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def get(self, key: Hashable) -> Any:
        """The entry under `key`, or None (counted as a hit or a miss)."""
        if self.max_entries <= 0:
            return None
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
            self.misses += 1
        return None

    def put(self, key: Hashable, value: Any) -> None:
        if self.max_entries <= 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def init_app(app: Flask) -> None:
    app.extensions["consult.pagecache"] = PageCache(int(app.config.get("PAGE_CACHE_ENTRIES", 512)))
    # Rendered comments (comments/display.py: comment_html), a few kilobytes each.
    app.extensions["consult.fragmentcache"] = PageCache(int(app.config.get("COMMENT_CACHE_ENTRIES", 4096)))
    # The round page's pieces per visibility class (rounds/sections.py): the frame, the filter
    # form, and each section at its revision, a few kilobytes each.
    app.extensions["consult.sectioncache"] = PageCache(int(app.config.get("SECTION_CACHE_ENTRIES", 8192)))


def page_cache() -> PageCache:
    return current_app.extensions["consult.pagecache"]


def section_cache() -> PageCache:
    return current_app.extensions["consult.sectioncache"]


def fragment_cache() -> PageCache:
    return current_app.extensions["consult.fragmentcache"]
