"""Per-thread settings changed for the length of a ``with`` block.

>>> import threading
>>> local = threading.local()
>>> with thread_setting(local, "mode", "fast"):
...     local.mode
'fast'
>>> print(local.mode)
None
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["thread_setting"]


@contextlib.contextmanager
def thread_setting(local: threading.local, name: str, value: Any) -> Iterator[None]:
    """Set ``local.<name>`` to ``value`` in this thread inside the block, then restore it
    (to None when it was unset)."""
    old = getattr(local, name, None)
    setattr(local, name, value)
    try:
        yield
    finally:
        setattr(local, name, old)
