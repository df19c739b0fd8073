"""Per-device de-duplication: a fixed scanner re-reads a label that sits under it; those
re-reads are one read. A handheld picker scanning one item five times means five, so the
hold-off is per device and 0 turns it off."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class Debouncer:
    """``accept(code)`` is False while the same code was last seen less than ``holdoff``
    seconds ago. The window slides: a label left under the scanner stays one read for as
    long as it keeps being re-read. At most ``max_codes`` codes are remembered."""

    def __init__(
        self,
        holdoff: float,
        *,
        max_codes: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if holdoff < 0:
            raise ValueError("holdoff must be >= 0")
        self.holdoff, self.max_codes, self._clock = holdoff, max_codes, clock
        self._seen: OrderedDict[str, float] = OrderedDict()  # code -> last seen, oldest first
        self.suppressed = 0

    def accept(self, code: str, now: float | None = None) -> bool:
        if self.holdoff == 0:
            return True
        now = self._clock() if now is None else now
        while self._seen:  # forget codes whose window has passed
            oldest, seen = next(iter(self._seen.items()))
            if now - seen < self.holdoff:
                break
            del self._seen[oldest]
        last = self._seen.pop(code, None)
        self._seen[code] = now
        if len(self._seen) > self.max_codes:
            self._seen.popitem(last=False)
        if last is not None and now - last < self.holdoff:
            self.suppressed += 1
            return False
        return True
