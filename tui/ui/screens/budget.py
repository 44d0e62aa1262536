"""`B`: the API budget — each operation this console called in the last five minutes, its rate
against the documented limit and the share this console allows itself, throttles and waits.

Redrawn every second while open, from ``ApiBudget.usage`` (tui/aws/budget.py).
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding

from tui.aws.budget import WINDOW, ApiBudget, OperationUse
from tui.ui.screens.base import Modal, css
from tui.ui.widgets.plain import Plain


def _rate(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}/s" if value < 10 else f"{value:.0f}/s"


def _share(row: OperationUse) -> Text:
    share = row.share
    if share is None:
        return Text("-")
    text = Text(f"{100 * share:.0f}%")
    if row.budget and row.limit and share > row.budget / row.limit + 1e-9:
        text.stylize("bold")  # over the budget (a burst, or user actions)
    return text


def usage_table(budget: ApiBudget) -> Table:
    # One cell between columns, so that at 80 columns the operation names still fit.
    table = Table(box=None, expand=True, padding=(0, 0, 0, 1), header_style="bold")
    table.add_column("operation", ratio=1, min_width=26, no_wrap=True, overflow="ellipsis")
    for name in ("calls", "rate", "limit", "budget", "share", "throttled", "wait"):
        table.add_column(name, justify="right", no_wrap=True)
    for row in budget.usage():
        throttled = Text(str(row.throttled), style="bold red" if row.throttled else "")
        # Text cells: a str cell of a Rich table is parsed as markup.
        table.add_row(*(Text(cell) for cell in (row.operation, str(row.calls), _rate(row.rate),
                                               _rate(row.limit), _rate(row.budget))),
                      _share(row), throttled, Text(f"{row.waited:.0f}s"))
    return table


class BudgetScreen(Modal[None]):
    CSS_PATH = css("lists")
    SCROLLS = True
    BINDINGS = [Binding("escape,q,B", "dismiss", "Close")]

    def __init__(self, budget: ApiBudget) -> None:
        super().__init__()
        self.budget = budget

    def heading(self) -> str:
        return (f"API budget: {100 * self.budget.share:.0f}% of each documented limit · "
                f"last {WINDOW / 60:.0f} min")

    def compose_body(self) -> ComposeResult:
        yield Plain(self._body(), id="budget-table")
        yield Plain(Text(
            "GameLift's limits are per account: the game's backend shares them. Background "
            "calls (paging, refreshes, polling) wait for the budget; your own actions go first. "
            "A throttle halves that operation's budget until it has been quiet for 30 s. "
            "Set the share with api_budget in the config. Esc closes."), classes="note")

    def _body(self) -> Table | Text:
        if not self.budget.usage():
            return Text("No calls in the last five minutes.")
        return usage_table(self.budget)

    def on_mount(self) -> None:
        self.set_interval(1.0, self._redraw)

    def _redraw(self) -> None:
        self.query_one("#budget-table", Plain).update(self._body())
