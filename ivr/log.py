"""Structured, quiet logging; phone numbers never reach a log line in full.

Callers pass context as keyword fields (``log.info("call ended", extra={"fields": {...}})``
or the helper :func:`event`). A filter masks any run of 8+ digits that slipped into a message,
as a second line of defence behind :func:`ivr.phone.mask`.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from ivr.phone import mask

_LONG_DIGITS = re.compile(r"\+?\d[\d ]{6,}\d")


class MaskNumbersFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _LONG_DIGITS.sub(lambda m: mask(m.group(0).replace(" ", "")), message)
        fields = getattr(record, "fields", None)
        if fields:
            masked += " " + " ".join(
                f"{k}={_LONG_DIGITS.sub(lambda m: mask(m.group(0)), str(v))}"
                for k, v in fields.items()
            )
        record.msg, record.args = masked, None
        return True


def setup(level: str = "INFO", stream: Any = None) -> None:
    """Configure the root logger once: one line per event, numbers masked."""
    root = logging.getLogger()
    if any(isinstance(f, MaskNumbersFilter) for h in root.handlers for f in h.filters):
        root.setLevel(level)
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
    )
    handler.addFilter(MaskNumbersFilter())
    root.addHandler(handler)
    root.setLevel(level)


def event(logger: logging.Logger, level: int, message: str, **fields: Any) -> None:
    """Log ``message`` with key=value fields."""
    logger.log(level, message, extra={"fields": fields})
