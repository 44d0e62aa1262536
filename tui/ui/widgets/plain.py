"""Widgets and cells that draw untrusted text by the trust boundary's rule (tui/trust.py).

Textual parses a ``str`` as markup almost everywhere (Static, DataTable cells, Tree labels,
OptionList prompts, Rich Table cells), so text from a service, a file or the user is handed to
widgets as Rich ``Text`` made by :func:`tui.trust.safe_text`, or drawn by :class:`Plain`, a
Static that never parses markup and shows every control character.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from tui.trust import is_clean, safe_text, visible

__all__ = ["Plain", "cell", "cells", "safe_text", "visible"]


def _clean(content: Any) -> Any:
    if isinstance(content, str):
        return Text(visible(content, newlines=True))
    if isinstance(content, Text) and not is_clean(content.plain):
        # A Text built from raw service data by mistake: its styles go, its text is shown safely.
        return Text(visible(content.plain, newlines=True), style=content.style)
    return content


class Plain(Static):
    """A Static for text we did not write: no markup, nothing invisible reaches the terminal.

    ``str`` content may span lines (a ``\\n`` is a line break, as in a multi-line note); every
    other control character is shown as a symbol.
    """

    def __init__(self, content: Any = "", **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        super().__init__(_clean(content), **kwargs)

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        super().update(_clean(content), layout=layout)


def cell(value: object, style: str = "") -> Text:
    """One table cell, tree label or option prompt of untrusted text, on one line."""
    if isinstance(value, Text):
        return value if is_clean(value.plain) else safe_text(value.plain, style or value.style)
    return safe_text("-" if value is None else value, style)


def cells(*values: object) -> list[Text]:
    return [cell(v) for v in values]
