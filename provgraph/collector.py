"""Pausing Python's cyclic garbage collector around work that allocates many small objects.

Ingesting a batch or building a large lineage answer allocates hundreds of thousands of small
objects that hold no reference cycles (they are freed by reference counting). The cyclic
collector would still run again and again while they are allocated, and each of its full
passes walks every object the process holds — including, for a bulk import, the caller's own
input. It waits instead until the work is done; anything cyclic is collected then.

>>> import gc
>>> with collector_paused():
...     gc.isenabled()
False
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic garbage collector inside the block (re-enabled after it, if it was
    enabled before; nested blocks leave it to the outermost)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
