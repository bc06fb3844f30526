"""How a number or a text is written in a table cell: one way for the report and for each
objective's own report section, so their tables read alike."""

from __future__ import annotations

from typing import Any


def cell(value: Any, pct: bool = False) -> str:
    """``-`` for None, a share as a percentage (``pct``), a float to three places, anything else as is."""
    if value is None:
        return "-"
    if pct:
        return f"{value:.1%}"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def clip(text: Any, limit: int) -> str:
    """``text`` stripped and cut to ``limit`` characters (an ellipsis marks the cut), so one rambling
    answer cannot swamp a page."""
    text = "" if text is None else str(text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
