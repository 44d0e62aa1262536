"""Widgets and cells that draw untrusted text by the trust boundary's rule (tui/trust.py).

Textual parses a ``str`` as markup almost everywhere (Static, DataTable cells, Tree labels,
OptionList prompts, Rich Table cells), so text from a service, a file or the user is handed to
widgets as Rich ``Text`` made by :func:`tui.trust.safe_text`, or drawn by :class:`Plain`, a
Static that never parses markup and shows every control character.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.markup import escape
from textual.widgets import Input, Static

from tui.trust import is_clean, safe_text, visible

__all__ = ["Plain", "SafeInput", "cell", "cells", "markup_literal", "safe_text", "visible"]


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


def markup_literal(value: object) -> str:
    """For the few places Textual insists on markup (the command palette): the text shown
    literally, under the rule."""
    return escape(visible(value))


def cell(value: object, style: str = "") -> Text:
    """One table cell, tree label or option prompt of untrusted text, on one line."""
    if isinstance(value, Text):
        return value if is_clean(value.plain) else safe_text(value.plain,
                                                             style or str(value.style))
    return safe_text("-" if value is None else value, style)


def cells(*values: object) -> list[Text]:
    return [cell(v) for v in values]


def _one_for_one(ch: str) -> str:
    shown = visible(ch)
    return shown if len(shown) == 1 else "\u2370"  # ⍰: C1, bidi and format characters


class _ShowControls:
    """An Input highlighter that draws each control character as one visible symbol, so the
    cursor stays where it is in the value (which keeps the real characters)."""

    def __call__(self, text: str | Text) -> Text:
        plain = text.plain if isinstance(text, Text) else text
        if is_clean(plain):
            return text if isinstance(text, Text) else Text(text)
        shown = Text(no_wrap=True, overflow="ignore", end="")
        for ch in plain:
            if visible(ch) == ch:
                shown.append(ch)
            else:
                shown.append(_one_for_one(ch), style="reverse")
        return shown


class SafeInput(Input):
    """An Input that never sends a pasted or pre-filled control character to the terminal."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("highlighter", _ShowControls())
        super().__init__(*args, **kwargs)
