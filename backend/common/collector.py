"""The garbage collector of a service process, settled once the service has started.

Everything a service builds while it starts (modules, classes, Pydantic and Beanie schemas,
clients, routes) lives as long as the process. Python's collector would still walk all of
it on every full collection: in the orders worker, two full collections of 80 and 98 ms
landed in a flash-sale run of three races of about half a second each, and the young
generations were collected 313 times (270 ms), nearly all of it for nothing (no cycle
found). So, once per process, when the first service in it has started: one full
collection, then what is left is frozen (``gc.freeze``: never walked again), and the
youngest generation is collected after 100,000 new objects instead of 2,000.

Measured on the same run (`uv run python -m bench.flash_sale --rounds 3`, the orders
worker's collections by ``gc.callbacks``): 0.45 s of collection in all before, 0.14 s
after (0.10 s of it the one collection at start); orders CPU per attempt 0.40 to 0.51 ms
before, 0.31 to 0.35 ms after.

The threshold was 20,000 until a race's own requests were seen to reach it: 500 requests
in flight hold tens of thousands of live objects, so each young collection walked them
all (about 3 ms) and moved them on, and the middle generation followed. Measured in the
orders worker (``gc.callbacks``, a scratch hook) over three 1,000-buyer races: 17 to
27 ms of collection per race at 20,000, none at 100,000 (the races allocate less than
that between collections). Orders CPU per attempt 0.29 to 0.41 ms before, 0.24 to
0.30 ms after in 10 of 13 races (``bench.flash_sale``); the worker's peak memory in the
10,000-buyer race 105.6 MB either way (``VmHWM``).
"""

from __future__ import annotations

import functools
import gc

YOUNG_THRESHOLD = 100_000  # allocations between collections of the youngest generation


@functools.cache  # once per process
def settle_after_start() -> None:
    """Collect, freeze what the start built, and space out young collections."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
