"""App-wide commands that are not a pane's own: exports, the activity view, and the like.

Each command has a key (in ``BINDINGS``, action ``extra('<name>')``) and a palette entry; the
app dispatches both to ``run``.

- ``E`` export: the rows of the focused table (sessions, fleets, search results, scripts, a
  stage's deployments, a game's snapshots or stages, the games, the activity view) to CSV or
  JSON in the downloads folder. The records come from the pane's own data (the aws layer's
  dataclasses) in the table's current order and filter, not from the display strings.
- ``L`` activity: the audit log of this profile, newest first (``screens/activity.py``).

The panes have no export interface of their own yet; ``table_rows`` reads their public state
(duck typing) and says so when a pane does not have what it looks for.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import SystemCommand
from textual.binding import Binding

from tui.ui.panes.base import NothingToExport

BINDINGS: list[Binding] = [
    Binding("E", "extra('export')", "Export rows", show=False, id="app.export"),
    Binding("L", "extra('activity')", "Activity log", show=False, id="app.activity"),
]


def system_commands(app: Any) -> Iterable[SystemCommand]:
    yield SystemCommand("Export table rows",
                        "Write the focused table's rows to CSV or JSON in the downloads "
                        "folder (key E)", lambda: run(app, "export"))
    yield SystemCommand("Activity log",
                        "What you did with this profile, newest first, with outcome and "
                        "error (key L)", lambda: run(app, "activity"))


def run(app: Any, name: str) -> None:
    if name == "export":
        export(app)
    elif name == "activity":
        activity(app)
    else:
        app.notify(f"unknown command {name!r}", severity="error")


# --- the activity view -----------------------------------------------------------------------


def activity(app: Any) -> None:
    from tui.ui.screens.activity import ActivityScreen

    if isinstance(app.screen, ActivityScreen):
        return
    aws = app.aws
    path = getattr(getattr(aws, "audit", None), "path", None)
    if path is None:
        from tui import locations

        path = locations.audit_log()
    app.push_screen(ActivityScreen(path, getattr(aws, "profile_name", None)))


# --- export ----------------------------------------------------------------------------------




def export(app: Any) -> None:
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


def write_in_background(app: Any, table: Any, fmt: str, folder: Any) -> None:
    """Serialise and write in a thread: tens of thousands of sessions take a moment."""
    from tui.services.export import write_export

    aws = app.aws
    header = {"profile": getattr(aws, "profile_name", None),
              "region": getattr(aws, "region", None)}
    # The credential strings in use, to be sure none reaches the file (AwsContext keeps them
    # for the audit log's redaction under a private name).
    secret_values = getattr(aws, "_secret_values", None)

    def work() -> None:
        try:
            path = write_export(table, fmt, folder, header=header, secret_values=secret_values)
        except (OSError, ValueError) as err:
            reason = getattr(err, "strerror", None) or str(err)
            app.call_from_thread(app.notify, f"Export failed: cannot write into {folder}: "
                                 f"{reason}", title="Export", severity="error", timeout=15)
            return
        app.call_from_thread(app.notify, f"{len(table.rows)} {table.kind} → {path}",
                             title="Exported", timeout=20)
        app.call_from_thread(setattr, app, "last_export", path)

    app.run_worker(work, thread=True, group="export", exit_on_error=False,
                   description=f"export {table.kind} as {fmt}")


def table_rows(app: Any) -> Any:
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


def _need(pane: Any, *names: str) -> None:
    missing = [n for n in names if not hasattr(pane, n)]
    if missing:
        raise NothingToExport(f"This pane does not expose {', '.join(missing)} yet: nothing "
                              "to export.")


def _session_rows(pane: Any, pane_id: str) -> Any:
    from tui.services.export import ExportTable, record_row

    _need(pane, "table", "sessions")
    grid = pane.table
    sessions = pane.sessions
    rows = [record_row(sessions[key]) for key in grid.ordered_keys if key in sessions]
    head = list(pane.status_head()) if hasattr(pane, "status_head") else []
    title = " · ".join(head) or pane_id
    if getattr(pane, "filter_text", ""):
        title += f" · filter '{pane.filter_text}'"
    hidden = getattr(pane, "statuses", None)
    if hidden is not None:
        from tui.ui.panes.session_table import ALL_STATUSES

        missing = sorted(ALL_STATUSES - set(hidden))
        if missing:
            title += f" · hiding {', '.join(missing)}"
    if pane_id == "search":
        slug = "search"
        spec = getattr(pane, "last_spec", None)
        expression = getattr(spec, "filter_expression", "") if spec is not None else ""
        if expression:
            title = f"search results for {expression} · {title}"
        else:
            title = f"search results · {title}"
    else:
        fleet_id = getattr(pane, "fleet_id", None) or ""
        slug = "all-fleets" if fleet_id == "*" else fleet_id
        title = f"game sessions of {title}"
    return ExportTable("sessions", title, rows, slug)


def _fleet_rows(pane: Any) -> Any:
    from tui.services.export import ExportTable, record_row

    _need(pane, "fleet_rows")
    table = pane.query_one("#fleet-table")
    rows = []
    for row in table.ordered_rows:
        item = pane.fleet_rows.get(row.key.value)
        if item is None:  # the "all fleets" line
            continue
        extra: dict[str, Any] = {}
        for prefix, part in (("utilization", item.utilization), ("capacity", item.capacity)):
            if part is None:
                continue
            for key, value in record_row(part).items():
                if key not in ("fleet_id",):
                    extra[f"{prefix}_{key}"] = value
        rows.append(record_row(item.fleet, extra))
    return ExportTable("fleets", "fleets with utilization and capacity", rows, "")


def _script_rows(pane: Any) -> Any:
    from tui.services.export import ExportTable, record_row

    _need(pane, "world")
    world = pane.world
    if world is None:
        raise NothingToExport("The scripts have not loaded yet.")
    table = pane.query_one("#scripts-table")
    scripts = {s.script_id: s for s in world.scripts()}
    rows = []
    for row in table.ordered_rows:
        script = scripts.get(str(row.key.value))
        if script is None:  # a group line
            continue
        fleets = world.fleets.get(script.script_id, [])
        rows.append(record_row(script, {
            "fleet_ids": [f.fleet_id for f in fleets],
            "fleet_names": [f.name for f in fleets]}))
    title = "Realtime scripts"
    if getattr(pane, "filter_text", ""):
        title += f" · filter '{pane.filter_text}'"
    return ExportTable("scripts", title, rows, "")


def _stage_rows(pane: Any) -> Any:
    """What the cursor is in: a stage's deployments, a game's snapshots or stages, the games."""
    from tui.services import gamesparks
    from tui.services.export import ExportTable, record_row

    _need(pane, "cursor_ref", "games", "stages", "deployments", "snapshots")
    ref = pane.cursor_ref()
    kind = getattr(ref, "kind", "")
    game, stage = getattr(ref, "game", ""), getattr(ref, "stage", "")
    if kind in ("snapshots", "snapshot", "section") and game in pane.snapshots:
        snapshots = pane.snapshots[game]
        return ExportTable("snapshots", f"snapshots of game {game}",
                           [record_row(s) for s in snapshots], game)
    if stage and (game, stage) in pane.deployments:
        deployments = pane.deployments[game, stage]
        serving = gamesparks.serving_deployment(deployments)
        descriptions = {s.id: s.description or "" for s in pane.snapshots.get(game, [])}
        rows = [record_row(d, {"snapshot_description": descriptions.get(d.snapshot_id or "", ""),
                               "serving": d is serving}) for d in deployments]
        return ExportTable("deployments", f"deployments of stage {game}/{stage}, newest first",
                           rows, f"{game}-{stage}")
    if stage:
        raise NothingToExport(f"Expand Deployments under {game}/{stage} first: its history "
                              "is loaded when shown.")
    if game and kind == "game":
        stages = [s for (g, _), s in pane.stages.items() if g == game]
        if stages:
            return ExportTable("stages", f"stages of game {game}",
                               [record_row(s) for s in stages], game)
    return ExportTable("games", "GameSparks games", [record_row(g) for g in pane.games.values()],
                       "")


def _activity_rows(screen: Any) -> Any:
    from tui.services.export import ExportTable

    rows = [dict(record.raw) for record in screen.shown()]
    title = f"activity of profile {screen.profile or '-'}, newest first"
    if screen.filter_text:
        title += f" · filter '{screen.filter_text}'"
    return ExportTable("activity", title, rows, screen.profile or "")
