"""A virtual table for tens of thousands of game sessions.

Textual's DataTable pays for every row it holds (about 1 s of first paint per 10k rows, O(N)
row removal, a y-offset cache rebuilt after each cell update). This one keeps the rows as
plain tuples in the app's own order and renders only the lines on screen (the Line API, as in
toolong's log view). It speaks the part of DataTable's interface the session panes use, so the
panes and their tests read the same.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.trust import visible
from tui.ui.textual_private import scroll_update

FLUSH_HZ = 10
TEXT_CACHE_ROWS = 4000  # line texts kept (a few screens' worth many times over)


class RowKey(str):
    """A row's key: a str (so ``"id" in grid.rows`` works) with DataTable's ``.value``."""

    __slots__ = ()

    @property
    def value(self) -> str:
        return str(self)


@dataclass(frozen=True, slots=True)
class CellKey:
    row_key: RowKey
    column_key: str


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int
    priority: int = 1  # when the grid is too narrow, the highest numbers go first


class SessionGrid(ScrollView, can_focus=True):
    """Rows of short text cells under a fixed header, with a row cursor."""

    DEFAULT_CSS = """
    SessionGrid { background: $surface; overflow-y: scroll; }
    SessionGrid > .session-grid--header { text-style: bold; background: $panel; }
    SessionGrid > .session-grid--even { background: $surface-lighten-1; }
    SessionGrid > .session-grid--cursor { background: $secondary 40%; text-style: bold; }
    SessionGrid:focus > .session-grid--cursor { background: $accent; color: $text; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "session-grid--header", "session-grid--even", "session-grid--cursor"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first", "Top", show=False),
        Binding("end,ctrl+end", "last", "Bottom", show=False),
        Binding("left", "scroll_left", "Left", show=False),
        Binding("right", "scroll_right", "Right", show=False),
    ]

    class RowSelected(Message):
        """Enter on a row (DataTable's message shape: ``row_key.value``, ``data_table``)."""

        def __init__(self, grid: SessionGrid, row_key: RowKey) -> None:
            super().__init__()
            self.data_table = grid
            self.row_key = row_key

        @property
        def control(self) -> SessionGrid:
            return self.data_table

    def __init__(self, *, id: str | None = None, zebra_stripes: bool = True) -> None:  # noqa: A002
        super().__init__(id=id)
        self.columns: list[Column] = []
        # (width, scrollbar shown) or None before mounting, and the columns chosen for it.
        self._shown: tuple[tuple[int, bool] | None, list[tuple[int, Column]]] | None = None
        self._column_index: dict[str, int] = {}
        self._cells: dict[RowKey, list[str]] = {}
        self._order: list[RowKey] = []
        self._positions: dict[str, int] | None = {}
        self.cursor_row = 0
        self.zebra_stripes = zebra_stripes
        self._flush_pending = False
        self._dirty_from = sys.maxsize
        self._line_styles: tuple[Style, Style, Style, Style] | None = None
        # A row's line text, kept while its cells and the shown columns stay: scrolling by one
        # line redraws every line on screen, and all but one show the same rows as before.
        self._texts: dict[RowKey, str] = {}

    # --- DataTable-like interface ----------------------------------------------------------

    def add_column(self, label: str, *, key: str, width: int, priority: int = 1) -> None:
        self._column_index[key] = len(self.columns)
        self.columns.append(Column(key, label, width, priority))
        self._shown = None
        self._resize()

    def shown_columns(self) -> list[tuple[int, Column]]:
        """The columns that fit the grid's width, keeping the most important ones; in their
        own order. When even the first ones do not fit, the grid scrolls sideways."""
        # Asked for every line drawn: recompute only when the width or the scrollbar changes
        # (scrollable_size itself costs more than drawing the line).
        shape = (self.size.width, self.show_vertical_scrollbar) if self.is_mounted else None
        if self._shown is None or self._shown[0] != shape:
            width = self.scrollable_size.width if self.is_mounted else 0  # minus scrollbars
            chosen: set[int] = set()
            used = 0
            by_priority = sorted(range(len(self.columns)),
                                 key=lambda i: (self.columns[i].priority, i))
            for index in by_priority:
                need = self.columns[index].width + 2
                if width and used + need > width and self.columns[index].priority > 1:
                    continue
                chosen.add(index)
                used += need
            self._shown = (shape, [(i, c) for i, c in enumerate(self.columns) if i in chosen])
            self._texts.clear()
        return self._shown[1]

    def on_resize(self) -> None:
        self._shown = None
        self._resize()
        self.refresh()

    @property
    def rows(self) -> dict[RowKey, list[str]]:
        return self._cells

    @property
    def ordered_keys(self) -> list[RowKey]:
        return self._order

    @property
    def row_count(self) -> int:
        return len(self._order)

    def add_row(self, *cells: str, key: str) -> RowKey:
        row_key = RowKey(key)
        if row_key in self._cells:
            raise KeyError(f"duplicate row key {key!r}")
        self._cells[row_key] = list(cells)
        self._texts.pop(row_key, None)
        if self._positions is not None:
            self._positions[row_key] = len(self._order)
        self._order.append(row_key)
        self._changed(len(self._order) - 1)
        return row_key

    def update_cell(self, row_key: str, column_key: str, value: str) -> None:
        self._cells[RowKey(row_key)][self._column_index[column_key]] = value
        self._texts.pop(RowKey(row_key), None)
        self._refresh_row(row_key)

    def update_row(self, row_key: str, cells: tuple[str, ...] | list[str]) -> None:
        self._cells[RowKey(row_key)] = list(cells)
        self._texts.pop(RowKey(row_key), None)
        self._refresh_row(row_key)

    def get_cell(self, row_key: str, column_key: str) -> str:
        return self._cells[RowKey(row_key)][self._column_index[column_key]]

    def remove_row(self, row_key: str) -> None:
        self.remove_rows([row_key])

    def remove_rows(self, keys: list[str]) -> None:
        """Remove many rows in one pass (DataTable removes one row in O(N))."""
        gone = {k for k in keys if k in self._cells}
        if not gone:
            return
        cursor_key = self._key_at(self.cursor_row)
        for key in gone:
            del self._cells[RowKey(key)]
            self._texts.pop(RowKey(key), None)
        self._order = [k for k in self._order if k not in gone]
        self._positions = None
        # Keep the cursor on its row, or on the row that took its place.
        if cursor_key is not None and cursor_key not in gone:
            self.cursor_row = self.get_row_index(cursor_key)
        self._clamp_cursor()
        self._changed()

    def _clamp_cursor(self) -> None:
        # At once, not at the next flush: a key typed before it (the next letter of a filter)
        # asks for the row under the cursor.
        if self.cursor_row >= len(self._order):
            self.cursor_row = max(0, len(self._order) - 1)

    def clear(self) -> None:
        self._cells.clear()
        self._texts.clear()
        self._order = []
        self._positions = {}
        self.cursor_row = 0
        self._changed()

    def set_rows(self, rows: list[tuple[str, tuple[str, ...]]]) -> None:
        """Replace every row at once (a new sort or filter)."""
        self._cells = {RowKey(k): list(cells) for k, cells in rows}
        self._texts.clear()
        self._order = list(self._cells)
        self._positions = None
        self._clamp_cursor()
        self._changed()

    def get_row_index(self, row_key: str) -> int:
        if self._positions is None:
            self._positions = {k: i for i, k in enumerate(self._order)}
        return self._positions[row_key]

    @property
    def cursor_coordinate(self) -> Coordinate:
        return Coordinate(self.cursor_row, 0)

    def coordinate_to_cell_key(self, coordinate: Coordinate) -> CellKey:
        key = self._key_at(coordinate.row)
        if key is None:
            raise IndexError(f"no row {coordinate.row}")
        return CellKey(key, self.columns[coordinate.column].key if self.columns else "")

    def move_cursor(self, *, row: int | None = None, column: int | None = None,
                    animate: bool = False, scroll: bool = True) -> None:
        if row is None or not self._order:
            return
        old = self.cursor_row
        self.cursor_row = max(0, min(row, len(self._order) - 1))
        # Virtual line 0 is the header, so row i is virtual line i + 1.
        self.refresh_lines(old + 1)
        self.refresh_lines(self.cursor_row + 1)
        if scroll:
            self._scroll_cursor_into_view()

    # --- internals -------------------------------------------------------------------------

    def _key_at(self, index: int) -> RowKey | None:
        return self._order[index] if 0 <= index < len(self._order) else None

    def _refresh_row(self, row_key: str) -> None:
        if not self.is_mounted:
            return
        index = self.get_row_index(row_key)
        top = int(self.scroll_y)
        if top <= index < top + self.size.height:
            self.refresh_lines(index + 1)

    def _changed(self, first_row: int = 0) -> None:
        # Pages arrive many times a second; size and repaint at most FLUSH_HZ times a second,
        # and repaint only when the change reaches the lines on screen.
        self._dirty_from = min(self._dirty_from, first_row)
        if not self._flush_pending and self.is_mounted:
            self._flush_pending = True
            self.set_timer(1 / FLUSH_HZ, self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        if self._order:
            self.cursor_row = min(self.cursor_row, len(self._order) - 1)
        else:
            self.cursor_row = 0
        self._resize()
        if self._dirty_from <= int(self.scroll_y) + self.size.height:
            self.refresh()
        self._dirty_from = sys.maxsize

    def on_mount(self) -> None:
        self._flush()

    def _resize(self) -> None:
        width = sum(c.width + 2 for _, c in self.shown_columns())
        size, old = Size(width, len(self._order) + 1), self.virtual_size
        if size == old:
            return
        # Our CSS shows the scrollbar always, so it never appears mid-load and moves the columns.
        always_shown = self.styles.overflow_y == "scroll"
        grown_past = old.height < size.height and old.height > self.container_size.height
        if size.width == old.width and self.show_vertical_scrollbar and (
                always_shown or grown_past):
            # More or fewer rows, same columns, the scrollbar shown before and after: only the
            # scrollbar's thumb changes (and the scroll offset, clamped by _scroll_update).
            # Setting virtual_size would lay out the whole screen again (a reactive with
            # layout=True), ten times a second while pages stream in.
            self.set_reactive(SessionGrid.virtual_size, size)
            scroll_update(self, size)
            return
        self.virtual_size = size

    def _scroll_cursor_into_view(self) -> None:
        visible = max(1, self.size.height - 1)  # the header takes a line
        top = int(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    def _line_text(self, cells: list[str]) -> str:
        # Cells hold service text (player-chosen session names): the trust rule shows its
        # control characters, and widths are counted in terminal cells (a CJK name or an emoji
        # takes two), so no line can push the columns after it.
        parts = []
        for index, column in self.shown_columns():
            cell = visible(cells[index]) if index < len(cells) else ""
            if cell.isascii():
                text = (cell if len(cell) <= column.width
                        else cell[: column.width - 1] + "…").ljust(column.width)
            elif cell_len(cell) <= column.width:
                text = set_cell_size(cell, column.width)
            else:
                text = set_cell_size(cell, column.width - 1) + "…"
            parts.append(" " + text + " ")
        return "".join(parts)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._line_styles = None

    def _styles(self) -> tuple[Style, Style, Style, Style]:
        # Looking styles up costs more than drawing a line; they change only with the theme.
        if self._line_styles is None:
            base = self.rich_style
            self._line_styles = (
                base,
                Style.combine([base, self.get_component_rich_style("session-grid--header")]),
                Style.combine([base, self.get_component_rich_style("session-grid--even")]),
                Style.combine([base, self.get_component_rich_style("session-grid--cursor")]),
            )
        return self._line_styles

    def on_focus(self) -> None:
        self._line_styles = None
        self.refresh()

    def on_blur(self) -> None:
        self._line_styles = None
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x = int(self.scroll_x)
        base, header, even, cursor = self._styles()
        if y == 0:
            text = self._line_text([c.label for c in self.columns])
            style = header
        else:
            index = int(self.scroll_y) + y - 1
            key = self._key_at(index)
            if key is None:
                return Strip.blank(width, base)
            cached = self._texts.get(key)
            if cached is None:
                if len(self._texts) > TEXT_CACHE_ROWS:
                    self._texts.clear()
                cached = self._texts[key] = self._line_text(self._cells[key])
            text = cached
            if index == self.cursor_row:
                style = cursor
            elif self.zebra_stripes and index % 2:
                style = even
            else:
                style = base
        text = text[scroll_x: scroll_x + width].ljust(width)
        return Strip([Segment(text, style)], width)

    # --- keys and mouse --------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - max(1, self.size.height - 2))

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + max(1, self.size.height - 2))

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self._order) - 1)

    def action_select_cursor(self) -> None:
        key = self._key_at(self.cursor_row)
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_cursor(row=int(self.scroll_y) + event.y - 1)
            if event.chain == 2:
                self.action_select_cursor()
