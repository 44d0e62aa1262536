"""App-wide commands that are not a pane's own: exports, the activity view, and the like.

Each command has a key (in ``BINDINGS``, action ``extra('<name>')``) and a palette entry; the
app dispatches both to ``run``.

- ``E`` export: the rows of the focused table (sessions, fleets, search results, scripts, a
  stage's deployments, a game's snapshots or stages, the games, the activity view) to CSV or
  JSON in the downloads folder. The records come from the pane's own data (the aws layer's
  dataclasses) in the table's current order and filter, not from the display strings.
- ``L`` activity: the audit log of this profile, newest first (``screens/activity.py``).
- ``B`` API budget: this console's calls against GameLift's documented limits
  (``screens/budget.py``, ``tui/aws/budget.py``).

Each pane says what its table holds (``Pane.export_table``); the activity view is the one
table that is not a pane's.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.binding import Binding

from tui.ui.panes.base import NothingToExport

if TYPE_CHECKING:
    from tui.services.export import ExportTable
    from tui.ui.contract import GameApp
    from tui.ui.screens.activity import ActivityScreen

BINDINGS: list[Binding] = [
    Binding("E", "extra('export')", "Export rows", show=False, id="app.export"),
    Binding("L", "extra('activity')", "Activity log", show=False, id="app.activity"),
    Binding("B", "extra('budget')", "API budget", show=False, id="app.budget"),
]


def system_commands(app: GameApp) -> Iterable[SystemCommand]:
    yield SystemCommand("Export table rows",
                        "Write the focused table's rows to CSV or JSON in the downloads "
                        "folder (key E)", lambda: run(app, "export"))
    yield SystemCommand("Activity log",
                        "What you did with this profile, newest first, with outcome and "
                        "error (key L)", lambda: run(app, "activity"))
    yield SystemCommand("API budget",
                        "Each GameLift operation's calls, rate, documented limit, this "
                        "console's share and throttles, last 5 minutes (key B)",
                        lambda: run(app, "budget"))


def run(app: GameApp, name: str) -> None:
    if name == "export":
        export(app)
    elif name == "activity":
        activity(app)
    elif name == "budget":
        from tui.ui.screens.budget import BudgetScreen

        app.push_screen(BudgetScreen(app.aws.budget))
    else:
        app.notify(f"unknown command {name!r}", severity="error")


# --- the activity view -----------------------------------------------------------------------


def activity(app: GameApp) -> None:
    from tui.ui.screens.activity import ActivityScreen

    if isinstance(app.screen, ActivityScreen):
        return
    aws = app.aws
    app.push_screen(ActivityScreen(aws.audit.path, aws.profile_name))


# --- export ----------------------------------------------------------------------------------


def export(app: GameApp) -> None:
    from tui import locations
    from tui.ui.screens.export_dialog import ExportModal

    try:
        table = table_rows(app)
    except NothingToExport as err:
        app.notify(str(err), title="Export", severity="warning")
        return
    if not table.rows:
        app.notify(f"Nothing to export: {table.title} shows no rows.", title="Export",
                   severity="warning")
        return
    try:
        folder = locations.downloads_dir()
    except OSError as err:  # UnusableFolder says which folder and what is in the way
        app.notify(f"Export: {err}. Nothing was written; set downloads_dir in the config file "
                   "(gameops-tui --print-config-paths shows where it is).", title="Export",
                   severity="error", timeout=20)
        return

    def chosen(fmt: str | None) -> None:
        if fmt:
            write_in_background(app, table, fmt, folder)

    app.push_screen(ExportModal(table.title, len(table.rows), table.kind, str(folder)), chosen)


def write_in_background(app: GameApp, table: ExportTable, fmt: str, folder: Path) -> None:
    """Serialise and write in a thread: tens of thousands of sessions take a moment."""
    from tui.services.export import write_export

    aws = app.aws
    header = {"profile": aws.profile_name, "region": aws.region}
    # The credential strings in use, to be sure none reaches the file (AwsContext keeps them
    # for the audit log's redaction under a private name).
    secret_values = aws._secret_values

    def work() -> None:
        try:
            path = write_export(table, fmt, folder, header=header, secret_values=secret_values)
        except (OSError, ValueError) as err:
            reason = (err.strerror if isinstance(err, OSError) else None) or str(err)
            app.call_from_thread(app.notify, f"Export failed: cannot write into {folder}: "
                                 f"{reason}", title="Export", severity="error", timeout=15)
            return
        app.call_from_thread(app.notify, f"{len(table.rows)} {table.kind} → {path}",
                             title="Exported", timeout=20)
        app.call_from_thread(app.exported, path)

    app.run_worker(work, thread=True, group="export", exit_on_error=False,
                   description=f"export {table.kind} as {fmt}")


def table_rows(app: GameApp) -> ExportTable:
    """The rows of the focused table as an ``ExportTable``; raises NothingToExport."""
    from tui.ui.screens.activity import ActivityScreen

    screen = app.screen
    if isinstance(screen, ActivityScreen):
        return _activity_rows(screen)
    if screen is not app.screen_stack[0]:
        raise NothingToExport("Export works on the pane tables and the activity view: close "
                              "this screen first (escape).")
    pane = app.current_pane()
    if pane is None:
        raise NothingToExport("No pane is shown: nothing to export.")
    return pane.export_table()


def _activity_rows(screen: ActivityScreen) -> ExportTable:
    from tui.services.export import ExportTable

    rows = [dict(record.raw) for record in screen.shown()]
    title = f"activity of profile {screen.profile or '-'}, newest first"
    if screen.filter_text:
        title += f" · filter '{screen.filter_text}'"
    return ExportTable("activity", title, rows, screen.profile or "")
