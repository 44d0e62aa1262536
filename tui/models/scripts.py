"""The Scripts pane's model: the scripts and who runs them, the filter, the marks, the status
line, and the change workflow (archive what is about to be replaced, then UpdateScript or
CreateScript, then archive the uploaded zip).

No Textual here: the widget (``tui/ui/panes/scripts.py``) draws what this holds and runs
``load_world`` and ``apply_change`` through its one worker recipe.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from tui.aws.errors import Failure
from tui.aws.records import Script
from tui.services import scripts as script_service
from tui.services.script_archive import ArchiveEntry, ScriptArchive
from tui.services.scripts import FleetUse, ScriptWorld
from tui.services.zipcheck import ZipCheck

if TYPE_CHECKING:
    from tui.aws.session import AwsContext

GROUP_PREFIX = "group:"
Cells = tuple[str, str, str, str, str, str, str]


class ChangeRequest(Protocol):
    """What the update/new-version form asks for (``ScriptChange``); None: leave as it is."""

    @property
    def name(self) -> str | None: ...
    @property
    def version(self) -> str | None: ...
    @property
    def zip(self) -> ZipCheck | None: ...
    @property
    def storage(self) -> dict[str, str] | None: ...
    @property
    def node_js_version(self) -> str | None: ...
    @property
    def source(self) -> str: ...
    @property
    def has_content(self) -> bool: ...


@dataclass(frozen=True)
class ChangeResult:
    """How a change ended, as the status line and the toast say it. ``script_id``: the row to
    put the cursor on after the reload (None when nothing changed)."""

    summary: str
    failed: bool
    script_id: str | None


def archive_target(aws: AwsContext) -> str:
    """Archive entries are kept per target: a real account's zips never mix with the demo's."""
    return f"{'demo' if aws.target.demo else 'aws'}:{aws.region}"


def version_cells(script: Script, fleets: Sequence[FleetUse], marked: bool) -> Cells:
    used = f"● {len(fleets)}" if fleets else "○ unused"
    size = f"{script.size_on_disk:,}" if script.size_on_disk is not None else "?"
    created = script.creation_time.strftime("%Y-%m-%d") if script.creation_time else "-"
    return (("  ✓ " if marked else "    ") + (script.version or "(no version)"), used, size,
            created, script.node_js_version or "-", script_service.storage_text(script),
            script.script_id)


def load_world(aws: AwsContext) -> ScriptWorld:
    """ListScripts (all pages) and the fleets that run them (run in a worker)."""
    return script_service.load_world(aws)


def apply_change(aws: AwsContext, archive: ScriptArchive, script: Script | None,
                 change: ChangeRequest) -> ChangeResult:
    """Update ``script`` (None: create a new one) as ``change`` asks, in a worker.

    Before new content replaces S3 content, that content is archived when the user's own
    credentials can read it; the uploaded zip is archived after the service took it. A lost
    answer is read back, never sent again (that made a second version). The service's own
    refusal or failure is an answer (``failed``); an exception means nothing was changed."""
    target = archive_target(aws)
    notes: list[str] = []
    customer = script_service.customer_storage(script) if script is not None else None
    if script is not None and change.has_content and customer is not None:
        try:
            before = script_service.read_s3_zip(aws, customer)
            archive.add(before, script_id=script.script_id, name=script.name,
                        version=script.version, source="s3-before-update", target=target)
            notes.append("previous S3 content archived")
        except Exception as err:  # no read access, or no such object: say so, go on
            notes.append(f"previous content not archived ({aws.classify(err).text})")
    data = change.zip.data if change.zip is not None else None
    if script is None:
        outcome = script_service.create_script_outcome(
            aws, name=change.name or "", version=change.version or "",
            node_js_version=change.node_js_version or "", zip_file=data, storage=change.storage)
        verb = "Created"
    else:
        outcome = script_service.update_script_outcome(
            aws, script.script_id, zip_file=data, storage=change.storage, name=change.name,
            version=change.version)
        verb = "Rolled back" if change.source == "rollback" else "Updated"
    if outcome.error is not None and aws.classify(outcome.error).kind == "read_only":
        return ChangeResult(f"Refused: {outcome.error}; nothing was sent", True, None)
    if outcome.state != "applied" or outcome.value is None:
        text = outcome.describe(lambda err: aws.classify(err).text)
        head = "Outcome unknown" if outcome.state == "unknown" else "Failed, nothing changed"
        return ChangeResult(f"{head}: {text}", True, None)
    result = outcome.value
    if outcome.answer_lost:
        notes.append(outcome.detail)
    if change.zip is not None:
        try:
            archive.add(change.zip.data, script_id=result.script_id, name=result.name,
                        version=result.version, source=change.source, target=target)
            notes.append(f"zip archived (SHA-256 {change.zip.sha256[:12]}…)")
        except OSError as err:
            notes.append(f"⚠ zip not archived: {err}")
    size = f"{result.size_on_disk:,} bytes" if result.size_on_disk is not None else "size ?"
    summary = f"{verb} {result.name} {result.version} ({size})"
    if notes:
        summary += " — " + "; ".join(notes)
    return ChangeResult(summary, False, result.script_id)


class ScriptsModel:
    """What the Scripts pane shows. ``clock``: monotonic seconds (for "updated Ns ago")."""

    def __init__(self, archive: ScriptArchive | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.archive = archive or ScriptArchive()
        self.clock = clock
        self.world: ScriptWorld | None = None
        self.filter_text = ""
        self.marked: list[str] = []  # at most two ScriptIds, oldest mark first
        self.busy = False
        self.updated_at: float | None = None
        self.error: str | None = None  # the last load's failure: the rows shown are stale
        self.last_result = ""  # the last change's outcome (or failure) for the status line

    # --- loading ---------------------------------------------------------------------------

    def loading(self) -> None:
        self.busy = True

    def loaded(self, world: ScriptWorld) -> None:
        self.world = world
        known = {s.script_id for s in world.scripts()}
        self.marked = [k for k in self.marked if k in known]
        self.busy = False
        self.error = None
        self.updated_at = self.clock()

    def load_failed(self, text: str) -> None:
        self.busy = False
        self.error = text

    def changed(self, result: ChangeResult) -> None:
        self.last_result = ("⚠ " if result.failed else "✓ ") + result.summary

    # --- what the table shows --------------------------------------------------------------

    def fleets_of(self, script_id: str) -> list[FleetUse]:
        return self.world.fleets.get(script_id, []) if self.world else []

    def matches(self, script: Script) -> bool:
        if not self.filter_text:
            return True
        needle = self.filter_text.casefold()
        haystack = [script.name, script.version, script.script_id,
                    script_service.storage_text(script), script.node_js_version or ""]
        haystack += [f.name for f in self.fleets_of(script.script_id)]
        return any(needle in text.casefold() for text in haystack)

    def rows(self) -> list[tuple[str, Cells]]:
        """(row key, cells): each group with a match, then its matching versions."""
        if self.world is None:
            return []
        rows: list[tuple[str, Cells]] = []
        for group in self.world.groups:
            versions = [s for s in group.versions if self.matches(s)]
            if not versions:
                continue
            used = sum(1 for s in group.versions if self.fleets_of(s.script_id))
            rows.append((GROUP_PREFIX + group.name,
                         (f"▾ {group.name or '(no name)'}", f"{used}/{len(group.versions)} used",
                          "", "", "", "", "")))
            for script in versions:
                rows.append((script.script_id, version_cells(
                    script, self.fleets_of(script.script_id), script.script_id in self.marked)))
        return rows

    def find(self, key: str | None) -> Script | None:
        return self.world.find(key) if self.world is not None and key else None

    def group_of(self, key: str | None) -> list[Script]:
        """The versions of the group the row ``key`` belongs to (newest first)."""
        if self.world is None or key is None:
            return []
        if key.startswith(GROUP_PREFIX):
            name: str | None = key[len(GROUP_PREFIX):]
        else:
            script = self.world.find(key)
            name = script.name if script else None
        return next((g.versions for g in self.world.groups if g.name == name), [])

    def script_at(self, key: str | None) -> Script | None:
        """The version of the row ``key``; on a group row, its newest version."""
        if key is not None and key.startswith(GROUP_PREFIX):
            group = self.group_of(key)
            return group[0] if group else None
        return self.find(key)

    def fleet_lines(self, key: str | None) -> list[str]:
        """The box under the table: who runs the row's version (each group's versions)."""
        if self.world is None or key is None:
            return []
        if key.startswith(GROUP_PREFIX):
            return [f"{s.version}: " + (", ".join(f.describe() for f in self.fleets_of(
                s.script_id)) or "○ no fleet") for s in self.group_of(key)]
        script = self.world.find(key)
        if script is None:
            return []
        fleets = self.fleets_of(key)
        head = f"{script.name} {script.version} · {script.script_id}"
        if fleets:
            return [head, "run by: " + "; ".join(f.describe() for f in fleets)]
        return [head, "○ no fleet uses this version"]

    def status_parts(self) -> list[str]:
        parts = []
        if self.world is not None:
            scripts = self.world.scripts()
            parts.append(f"{len(self.world.groups)} scripts, {len(scripts)} versions")
            if self.filter_text:
                shown = sum(1 for s in scripts if self.matches(s))
                parts.append(f"filter '{self.filter_text}' {shown} shown")
        if self.marked:
            parts.append(f"{len(self.marked)} marked")
        if self.busy:
            parts.append("⟳ loading")
        if self.updated_at is not None:
            parts.append(f"updated {int(self.clock() - self.updated_at)}s ago")
        if self.error:
            parts.append(f"⚠ STALE: {self.error}")
        elif self.last_result:
            parts.append(self.last_result)
        return parts

    # --- marks and compare -----------------------------------------------------------------

    def toggle_mark(self, key: str | None) -> bool:
        """Mark or unmark a version (the two latest marks are kept); False: not a version."""
        if key is None or key.startswith(GROUP_PREFIX) or self.find(key) is None:
            return False
        if key in self.marked:
            self.marked.remove(key)
        else:
            self.marked = (self.marked + [key])[-2:]
        return True

    def compare_pair(self, cursor: str | None) -> tuple[Script, Script] | None:
        """(older, newer) to compare: the two marked; one marked and the cursor's; on a group
        row (or its newest version) with nothing marked, its two newest versions."""
        keys = list(self.marked)
        is_version = cursor is not None and not cursor.startswith(GROUP_PREFIX)
        if len(keys) == 1 and is_version and cursor not in keys:
            keys.append(cursor or "")
        if not keys and cursor:
            group = self.group_of(cursor)
            if len(group) >= 2 and (not is_version or cursor == group[0].script_id):
                keys = [group[1].script_id, group[0].script_id]  # the two newest
        if len(keys) != 2:
            return None
        found = [s for s in (self.find(k) for k in keys) if s is not None]
        if len(found) != 2:
            return None
        older, newer = sorted(found, key=lambda s: s.creation_time.timestamp()
                              if s.creation_time else 0.0)
        return older, newer

    # --- archive and export ----------------------------------------------------------------

    def archived(self, target: str, **query: str) -> list[ArchiveEntry]:
        """Archive entries of ``target`` (raises OSError: an unreadable index)."""
        return self.archive.entries(target=target, **query)

    def export_rows(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        """The versions of the rows ``keys`` (in table order) as records; group rows left out."""
        from tui.services.export import record_row

        if self.world is None:
            return []
        scripts: Mapping[str, Script] = {s.script_id: s for s in self.world.scripts()}
        rows = []
        for key in keys:
            script = scripts.get(key)
            if script is None:  # a group line
                continue
            fleets = self.fleets_of(script.script_id)
            rows.append(record_row(script, {"fleet_ids": [f.fleet_id for f in fleets],
                                            "fleet_names": [f.name for f in fleets]}))
        return rows

    def export_title(self) -> str:
        title = "Realtime scripts"
        if self.filter_text:
            title += f" · filter '{self.filter_text}'"
        return title


def failure_text(failure: Failure) -> str:
    """A change whose call raised: nothing was changed (the service never took it)."""
    return f"Failed, nothing changed: {failure.text}"
