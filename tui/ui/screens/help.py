"""`?`: the live keymap, for the focused pane and the whole app, with each binding's id (the
name to use in the config's [keys] table to rebind it)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding

from tui.ui.read_only import HINT as READ_ONLY_HINT
from tui.ui.screens.base import Modal, css
from tui.ui.widgets.plain import Plain, cells, safe_text

# (keys, action), (keys, action, binding id) or (keys, action, binding id, disabled)
Row = tuple[str, str] | tuple[str, str, str] | tuple[str, str, str, bool]


class HelpScreen(Modal[None]):
    CSS_PATH = css("lists")
    SCROLLS = True
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, sections: list[tuple[str, list[Row]]], *, config_path: str = "",
                 read_only: bool = False) -> None:
        super().__init__()
        self.sections = sections
        self.config_path = config_path
        self.read_only = read_only

    def compose_body(self) -> ComposeResult:
        for title, rows in self.sections:
            table = Table(title=title, title_justify="left", title_style="bold",
                          show_header=False, box=None, expand=True, padding=(0, 1))
            table.add_column("keys", style="bold", width=10, no_wrap=True)
            table.add_column("action", ratio=1)
            table.add_column("id (config [keys])", ratio=1, style="dim", no_wrap=True,
                             overflow="ellipsis")
            for row in rows:
                keys, action = row[0], row[1]
                binding_id = row[2] if len(row) > 2 else ""
                # Keys come from the config's [keys]: a str cell would be markup.
                if len(row) > 3 and row[3]:
                    # Still listed (the user learns the key exists) but visibly off.
                    table.add_row(safe_text(keys, "dim strike"),
                                  safe_text(f"⊘ {action} (disabled: read-only)", "dim"),
                                  safe_text(binding_id))
                else:
                    table.add_row(*cells(keys, action, binding_id))
            yield Plain(table)
        if self.read_only:
            yield Plain(Text(f"⊘ marks keys that would change something: {READ_ONLY_HINT}"
                             " to use them."), classes="note")
        where = f" ({self.config_path})" if self.config_path else ""
        yield Plain(Text(
            "Every action is also in the command palette (ctrl+p), with its key. "
            f"Rebind a key in the config file{where}, table [keys]: "
            'id = "keys", e.g. "app.refresh" = "f5". Esc closes.'), classes="note")
