"""How result objects show themselves: a short text (``repr``, the REPL, logs)
and a compact HTML block in Jupyter, both from the object's ``summary()``."""

from __future__ import annotations

import html


class Shown:
    """Mixin for result dataclasses (declared with ``repr=False``) that have ``summary()``."""

    def summary(self) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        first, *rest = self.summary().splitlines() or [type(self).__name__]
        items = "".join(f"<li>{html.escape(line.strip())}</li>" for line in rest if line.strip())
        return (f'<div class="activity-analytics-result"><b>{html.escape(first)}</b>'
                + (f'<ul style="margin:0.2em 0">{items}</ul>' if items else "") + "</div>")
