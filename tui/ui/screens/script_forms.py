"""`u` / `n` on the Scripts pane: the update and new-version forms, and what the confirmation says.

The form checks everything it can before anything is sent: a local zip must exist, be a
readable zip of at most 5,000,000 bytes (its files are listed, a missing root .js is warned
about); an S3 location needs a bucket without dots, a key and a role ARN.

The zip check reads the file and inflates it (bounded, see tui/services/zipcheck.py), so it runs
on a worker thread: after a pause in typing, and again on Review only if the content changed
since the last finished check. The UI thread never waits for it.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.suggester import Suggester
from textual.timer import Timer
from textual.widgets import Button, Input, Label, Static
from textual.worker import get_current_worker

from tui.aws.records import Script
from tui.services import scripts as script_service
from tui.services.scripts import FleetUse
from tui.services.zipcheck import CheckCancelled, ZipCheck, ZipProblem, check_zip_file
from tui.ui.screens.edit_session import FormModal
from tui.ui.widgets.plain import Plain, SafeInput


class PathSuggester(Suggester):
    """Completes local paths: the first entry of the folder that starts with what was typed.

    Folders get a trailing "/", zips come before other files. Accept with → (right arrow)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        # Listing a folder can take a while (a large or network folder): not on the UI thread.
        return await asyncio.to_thread(suggest_path, value)


def suggest_path(value: str) -> str | None:
    if not value or value.startswith("s3://"):
        return None
    expanded = os.path.expanduser(value)
    folder, _, prefix = expanded.rpartition("/")
    base = Path(folder or ".") if "/" in expanded else Path(".")
    if "/" in expanded and not folder:
        base = Path("/")
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return None
    candidates = [n for n in names if n.startswith(prefix) and (prefix.startswith(".")
                                                                 or not n.startswith("."))]
    if not candidates:
        return None

    def rank(name: str) -> tuple[int, str]:
        is_dir = (base / name).is_dir()
        return (0 if name.lower().endswith(".zip") else 1 if is_dir else 2, name)

    best = sorted(candidates, key=rank)[0]
    if best == prefix and not (base / best).is_dir():
        return None
    completed = value[: len(value) - len(prefix)] + best
    if (base / best).is_dir():
        completed += "/"
    return completed if completed != value else None


@dataclass
class ScriptChange:
    """What the user asked for; None means "leave as it is"."""

    name: str | None = None
    version: str | None = None
    zip: ZipCheck | None = None
    storage: dict[str, str] | None = None
    node_js_version: str | None = None
    source: str = "upload"  # upload | create | rollback
    warnings: list[str] = field(default_factory=list)

    @property
    def has_content(self) -> bool:
        return self.zip is not None or self.storage is not None


def content_text(change: ScriptChange) -> str:
    if change.zip is not None:
        return f"zip {change.zip.label} ({change.zip.size:,} bytes, SHA-256 " \
               f"{change.zip.sha256[:12]}…)"
    if change.storage is not None:
        location = change.storage
        text = f"s3://{location['Bucket']}/{location['Key']}"
        if location.get("ObjectVersion"):
            text += f"@{location['ObjectVersion']}"
        return f"{text} via {location['RoleArn']}"
    return "unchanged"


def fleets_text(fleets: list[FleetUse]) -> str:
    if not fleets:
        return "No fleet uses this script: nothing running picks up the change."
    lines = ["New game sessions on these fleets use it once their instances acquire it "
             "(running sessions keep the old content):"]
    lines += [f"  {f.describe()}" for f in fleets[:5]]
    if len(fleets) > 5:
        lines.append(f"  … and {len(fleets) - 5} more fleets")
    return "\n".join(lines)


def update_body(script: Script, change: ScriptChange, fleets: list[FleetUse]) -> str:
    lines = [f"Script {script.script_id}"]
    name = change.name if change.name is not None else script.name
    version = change.version if change.version is not None else script.version
    lines.append(f"  Name     {script.name} → {name}" if name != script.name
                 else f"  Name     {script.name} (unchanged)")
    lines.append(f"  Version  {script.version} → {version}" if version != script.version
                 else f"  Version  {script.version} (unchanged)")
    if change.zip is not None:
        old = f"{script.size_on_disk:,}" if script.size_on_disk is not None else "?"
        lines.append(f"  Size     {old} → {change.zip.size:,} bytes")
    lines.append(f"  Content  {content_text(change)}")
    if change.zip is not None:
        lines += change.zip.file_lines(3)
    lines += [f"⚠ {w}" for w in (change.zip.warnings if change.zip else ())]
    lines += [f"⚠ {w}" for w in change.warnings]
    lines.append(fleets_text(fleets))
    return "\n".join(lines)


def create_body(change: ScriptChange) -> str:
    lines = [f"New script {change.name} version {change.version} on Node.js "
             f"{change.node_js_version}", f"  Content  {content_text(change)}"]
    if change.zip is not None:
        lines += change.zip.file_lines(5)
        lines += [f"⚠ {w}" for w in change.zip.warnings]
    lines.append("No fleet uses it until a fleet is created with it; the other versions "
                 "stay as they are.")
    return "\n".join(lines)


def change_cli(script: Script | None, change: ScriptChange, region: str | None) -> str:
    zip_path = None
    if change.zip is not None:
        zip_path = str(change.zip.path or change.zip.label)
    if script is None:
        return script_service.create_cli(
            name=change.name or "", version=change.version or "",
            node_js_version=change.node_js_version or "24.x", zip_path=zip_path,
            storage=change.storage, region=region)
    return script_service.update_cli(script.script_id, name=change.name, version=change.version,
                                     zip_path=zip_path, storage=change.storage, region=region)


# Seconds without a keystroke in the content field before the typed path is checked: a check
# per keystroke would read (and inflate) every prefix that happens to name a file.
CHECK_DELAY = 0.3

ZipOutcome = ZipCheck | ZipProblem


class ZipChecked(Message):
    """A zip check finished on its worker thread. ``seq`` is the content field's change count
    it was started for; ``outcome`` None means the path names no file (yet)."""

    def __init__(self, seq: int, text: str, outcome: ZipOutcome | None, review: bool) -> None:
        super().__init__()
        self.seq, self.text, self.outcome, self.review = seq, text, outcome, review


def check_text(outcome: ZipOutcome) -> str:
    """What the form shows under the content field for a finished check."""
    if isinstance(outcome, ZipProblem):
        return f"⚠ {outcome}"
    lines = [f"✓ readable zip, {outcome.size:,} bytes, {len(outcome.files)} files"]
    lines += outcome.file_lines(3)
    lines += [f"⚠ {w}" for w in outcome.warnings]
    return "\n".join(lines)


class ScriptFormModal(FormModal):
    """One form for both: update (`script` given) and new version (`script` None)."""

    BINDINGS = [Binding("down", "app.focus_next", "Next field", show=False),
                Binding("up", "app.focus_previous", "Previous field", show=False)]

    def __init__(self, *, script: Script | None = None, title: str | None = None,
                 name: str = "", version: str = "", content: str = "",
                 node_js_version: str = "24.x", source: str | None = None) -> None:
        super().__init__()
        self.script = script
        self.title_text = title or (f"Update script {script.name} {script.version}" if script
                                    else "New script version (CreateScript)")
        self.initial = {"name": name if script is None else script.name,
                        "version": version if script is None or version else script.version,
                        "content": content, "node": node_js_version}
        self.source = source or ("upload" if script else "create")
        self._seq = 0  # changes of the content field so far: a check is for one of them
        self._checked: ZipChecked | None = None  # the last finished check that found a file
        self._timer: Timer | None = None
        self._reviewing = False  # Review pressed; waiting for the check of the content
        self._submitted = False

    def heading(self) -> str:
        return self.title_text

    def compose_body(self) -> ComposeResult:
        for field_id, label, value, hint in (
                ("script-name", "Name", self.initial["name"], "script name"),
                ("script-version", "Version", self.initial["version"], "version string"),
                ("script-content", "Zip or S3", self.initial["content"],
                 "local path to a .zip (→ completes) or s3://bucket/key"
                 + ("; empty keeps the content" if self.script else "")),
                ("script-role", "S3 role ARN", "", "only for s3://: role GameLift uses"),
                ("script-objver", "S3 obj ver", "", "optional S3 object version")):
            with Horizontal(classes="script-row"):
                yield Label(label)
                yield SafeInput(value, id=field_id, placeholder=hint, compact=True,
                                suggester=PathSuggester() if field_id == "script-content"
                                else None)
        if self.script is None:
            with Horizontal(classes="script-row"):
                yield Label("Node.js")
                yield SafeInput(self.initial["node"], id="script-node", compact=True,
                                placeholder="10.x or 24.x")
        yield Plain("", id="script-check")
        yield Plain("", id="problem")

    def buttons(self) -> list[Button]:
        return [Button("Cancel", id="cancel"), Button("Review…", id="save", variant="primary")]

    def on_mount(self) -> None:
        target = "#script-content" if self.script is not None else "#script-name"
        self.query_one(target, Input).focus()
        self._content_is(self.initial["content"], delay=0)

    def value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value.strip()

    @on(Input.Changed, "#script-content")
    def content_changed(self, event: Input.Changed) -> None:
        self._content_is(event.value, delay=CHECK_DELAY)

    @on(Input.Changed)
    def any_changed(self, event: Input.Changed) -> None:
        # A refusal was about what the form held then; once a field changes it no longer holds.
        if not self._reviewing:
            self.query_one("#problem", Static).update("")

    def _content_is(self, text: str, *, delay: float) -> None:
        self._seq += 1
        self._reviewing = False  # Review was for the content before this change
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        box = self.query_one("#script-check", Static)
        text = text.strip()
        if not text:
            box.update("content: unchanged" if self.script else "")
            return
        if text.startswith("s3://"):
            box.update("S3 location: give the role ARN GameLift may use to read it")
            return
        # What was said about the previous path does not hold for this one.
        box.update("")
        seq = self._seq
        if delay:
            self._timer = self.set_timer(delay, lambda: self._check(seq, text, review=False))
        else:
            self._check(seq, text, review=False)

    @work(thread=True, exclusive=True, group="zip-check", exit_on_error=False,
          description="check the script zip")
    def _check(self, seq: int, text: str, review: bool) -> None:
        worker = get_current_worker()
        outcome: ZipOutcome | None
        try:
            if not review and not os.path.isfile(os.path.expanduser(text)):
                outcome = None  # still being typed, most likely: nothing to say yet
            else:
                outcome = check_zip_file(text, cancelled=lambda: worker.is_cancelled)
        except CheckCancelled:
            return  # a newer check replaced this one
        except ZipProblem as err:
            outcome = err
        except (ValueError, OSError) as err:  # os.stat's own for a NUL; odd file systems
            outcome = ZipProblem(f"{text}: {err}")
        self.post_message(ZipChecked(seq, text, outcome, review))

    def on_zip_checked(self, message: ZipChecked) -> None:
        message.stop()
        if message.seq != self._seq:
            return  # the content changed since: a newer check is coming
        if message.outcome is not None:
            self._checked = message
        box = self.query_one("#script-check", Static)
        box.update(check_text(message.outcome) if message.outcome is not None else "")
        if message.review and self._reviewing:
            self._reviewing = False
            self._finish_save(message.outcome)

    def build_change(self, checked: ZipOutcome | None = None) -> ScriptChange:
        """The change the form describes, with ``checked`` the finished check of a local zip
        in the content field; raises ValueError (or ZipProblem) to refuse it."""
        name, version = self.value("script-name"), self.value("script-version")
        content = self.value("script-content")
        for label, text in (("name", name), ("version", version)):
            if len(text) > 1024:
                raise ValueError(f"{label} may have at most 1024 characters")
        change = ScriptChange(source=self.source)
        if self.script is None:
            if not name:
                raise ValueError("a name is required")
            if not version:
                raise ValueError("a version string is required")
            node = self.value("script-node")
            if node not in script_service.NODE_VERSIONS:
                raise ValueError("Node.js version must be 10.x or 24.x")
            change.name, change.version, change.node_js_version = name, version, node
        else:
            if not name:
                raise ValueError("the name cannot be empty")
            if not version:
                raise ValueError("the version string cannot be empty")
            change.name = name if name != self.script.name else None
            change.version = version if version != self.script.version else None
        if content.startswith("s3://"):
            bucket, key = script_service.parse_s3_url(content)
            change.storage = script_service.storage_location(
                bucket, key, self.value("script-role"), self.value("script-objver"))
        elif content:
            if isinstance(checked, ZipProblem):
                raise checked
            if checked is None:
                raise ZipProblem(f"{content}: not checked yet; press Review again")
            change.zip = checked
        elif self.script is None:
            raise ValueError("a new script needs content: a local zip or s3://bucket/key")
        if self.script is not None and not change.has_content and change.name is None \
                and change.version is None:
            raise ValueError("nothing changed")
        if self.script is not None and change.has_content and change.version is None:
            change.warnings.append("the version string stays the same while the content "
                                   "changes; a new version string makes the change traceable")
        return change

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def save(self) -> None:
        if self._submitted or self._reviewing:
            return  # once: a second Enter while the first is handled does nothing
        content = self.value("script-content")
        if not content or content.startswith("s3://"):
            self._finish_save(None)
            return
        done = self._checked
        if done is not None and done.seq == self._seq and done.text == content:
            self._finish_save(done.outcome)
            return
        # Not checked yet (typed a moment ago, or a check still running): check now, off the
        # UI thread, and carry on from on_zip_checked.
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._reviewing = True
        self.query_one("#problem", Static).update("")
        self.query_one("#script-check", Static).update("checking the zip…")
        self._check(self._seq, content, review=True)

    def _finish_save(self, checked: ZipOutcome | None) -> None:
        problem = self.query_one("#problem", Static)
        try:
            change = self.build_change(checked)
        except ValueError as err:  # ZipProblem is a ValueError
            if isinstance(err, ZipProblem):
                self.query_one("#script-check", Static).update("")  # said once, below
            problem.update(f"⚠ {err}; nothing was sent")
            return
        self._submitted = True
        self.dismiss(change)
