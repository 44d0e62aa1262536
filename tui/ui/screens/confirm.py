"""Confirmation modals: say exactly what will happen to what; Cancel has the focus.

They are :class:`OnceConfirm` screens: they answer once, and no key typed before they were
drawn answers them. Bodies are Rich ``Text`` in which every service or user string has passed
the trust rule (tui/trust.py), so a session name can neither add markup nor fake a line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Checkbox, Input, RadioButton, RadioSet

from tui.aws.records import GameSession
from tui.services.session_edit import FieldChange
from tui.trust import visible
from tui.ui.screens.base import Confirm, css
from tui.ui.widgets.plain import Plain, SafeInput

REFUSED_STATUSES = ("ERROR", "TERMINATING", "TERMINATED")


def protection_word(policy: str | None) -> str:
    """How a session's protection reads in a confirmation: Search results may not know it."""
    if policy == "FullProtection":
        return "protected"
    if policy == "NoProtection":
        return ""
    return "protection ?"


def describe_sessions(sessions: Sequence[GameSession], limit: int = 8) -> Text:
    text = Text()
    for index, s in enumerate(sessions[:limit]):
        if index:
            text.append("\n")
        name = visible(s.name or "-")
        text.append(f"  {visible(s.short_id[-12:])}  {name:<16} {visible(s.status):<11} "
                    f"{s.current_player_session_count}/{s.maximum_player_session_count} players")
        word = protection_word(s.protection_policy)
        if word:
            text.append(f"  {word}", style="bold" if word == "protected" else "")
    if len(sessions) > limit:
        text.append(f"\n  … and {len(sessions) - limit} more")
    return text


def _shown(value: str | None) -> str:
    if value is None:
        return "(not set)"
    if value.isascii() and value.isdigit():
        return value
    return f'"{visible(value)}"'  # quoted, so spaces at either end can be seen


def changes_text(changes: Sequence[FieldChange], warnings: Sequence[str] = ()) -> Text:
    """``label: old → new``, one change a line, then the warnings."""
    text = Text()
    for index, change in enumerate(changes):
        if index:
            text.append("\n")
        text.append(f"  {visible(change.label)}: ", style="bold")
        text.append(_shown(change.old), style="red")
        text.append(" → ")
        text.append(_shown(change.new), style="green")
    for warning in warnings:
        text.append(f"\n⚠ {visible(warning)}", style="yellow")
    return text


def toggle_text(field: str, value: str, sessions: Sequence[GameSession],
                current: Callable[[GameSession], str | None], limit: int = 8) -> Text:
    """A protection or lock toggle: each session's ``old → new`` value of ``field``."""
    text = Text(f"Set {field} = {value} on:")
    for s in sessions[:limit]:
        old = current(s)
        text.append(f"\n  {visible(s.short_id[-12:])}  {visible(s.name or '-'):<16} ")
        text.append(visible(old) if old else "?", style="red")
        text.append(" → ")
        text.append(value, style="green")
        if old == value:
            text.append("  (already)", style="dim")
    if len(sessions) > limit:
        text.append(f"\n  … and {len(sessions) - limit} more")
    return text


class ConfirmModal(Confirm[bool]):
    CSS_PATH = css("confirm")
    BINDINGS = [Binding("escape,n", "cancel", "Cancel"), Binding("y", "confirm", "Confirm")]
    FOCUS = "#cancel"

    def __init__(self, title: str, body: str | Text, cli: str,
                 confirm_label: str = "Confirm") -> None:
        super().__init__()
        self.title_text, self.body, self.cli, self.confirm_label = title, body, cli, confirm_label

    def heading(self) -> str:
        return self.title_text

    def compose_body(self) -> ComposeResult:
        yield Plain(self.body, id="confirm-body")
        yield Plain(f"as AWS CLI: {self.cli}", classes="cli", id="confirm-cli")

    def buttons(self) -> list[Button]:
        return [Button("Cancel", id="cancel"),
                Button(self.confirm_label, id="confirm", variant="error")]

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        if self.may_confirm():
            self.dismiss(True)


@dataclass(frozen=True, slots=True)
class TerminateChoice:
    mode: str  # TerminationMode
    drain: bool  # lock to new players first, terminate when the last player has left


class TerminateModal(Confirm[TerminateChoice | None]):
    """Guided termination: what matters first, graceful by default, force must be typed."""

    CSS_PATH = css("confirm")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    FOCUS = "#cancel"

    def __init__(self, sessions: list[GameSession], compute: str) -> None:
        super().__init__()
        self.sessions = [s for s in sessions if s.status not in REFUSED_STATUSES]
        self.skipped = [s for s in sessions if s.status in REFUSED_STATUSES]
        self.compute = compute
        self.expected = (self.sessions[0].short_id[-4:] if len(self.sessions) == 1
                         else str(len(self.sessions)))

    def heading(self) -> str:
        players = sum(s.current_player_session_count for s in self.sessions)
        return (f"Terminate {len(self.sessions)} game session(s) "
                f"with {players} player(s) connected")

    def compose_body(self) -> ComposeResult:
        yield Plain(describe_sessions(self.sessions) or "  (nothing that can be terminated)")
        if self.skipped:
            yield Plain(f"Skipped {len(self.skipped)}: the API refuses sessions that are "
                        "ERROR, TERMINATING or TERMINATED.")
        warning = self.protection_warning()
        if warning:
            yield Plain(warning, id="protection-warning", classes="title")
        yield Plain(f"Fleet compute: {self.compute}")
        with RadioSet(id="mode"):
            yield RadioButton("graceful: TRIGGER_ON_PROCESS_TERMINATE (the server "
                              "ends it)", value=True, id="graceful")
            yield RadioButton("force: FORCE_TERMINATE (stops the process now)", id="force")
        yield SafeInput(placeholder=f"type {self.expected} to allow a forced termination",
                        id="typed", compact=True)
        yield Checkbox("drain first: deny new players, terminate when empty", id="drain")
        yield Plain(self.cli_text(), classes="cli", id="cli")

    def buttons(self) -> list[Button]:
        return [Button("Cancel", id="cancel"),
                Button("Terminate", id="confirm", variant="error", disabled=not self.sessions)]

    def protection_warning(self) -> str:
        """Said whenever a session may be protected: Search results may not know
        ProtectionPolicy (None), and unknown must not read as unprotected."""
        protected = sum(s.protection_policy == "FullProtection" for s in self.sessions)
        unknown = sum(s.protection_policy not in ("FullProtection", "NoProtection")
                      for s in self.sessions)
        if not protected and not unknown:
            return ""
        parts = []
        if protected:
            parts.append(f"{protected} protected")
        if unknown:
            parts.append(f"{unknown} whose protection is unknown (?)")
        return (f"⚠ {' and '.join(parts)}: protected sessions are terminated too "
                "(protection only guards against scale-down).")

    @property
    def mode(self) -> str:
        force = self.query_one("#force", RadioButton).value
        return "FORCE_TERMINATE" if force else "TRIGGER_ON_PROCESS_TERMINATE"

    def cli_text(self, mode: str = "TRIGGER_ON_PROCESS_TERMINATE", drain: bool = False) -> str:
        terminate = ("aws gamelift terminate-game-session --game-session-id <ARN> "
                     f"--termination-mode {mode}")
        if drain:
            return ("as AWS CLI: aws gamelift update-game-session --game-session-id <ARN> "
                    f"--player-session-creation-policy DENY_ALL; when empty: {terminate}")
        return f"as AWS CLI: {terminate}"

    @property
    def drain(self) -> bool:
        return self.query_one("#drain", Checkbox).value

    @on(RadioSet.Changed)
    @on(Checkbox.Changed)
    def mode_changed(self) -> None:
        typed = self.query_one("#typed", Input)
        typed.set_class(self.mode == "FORCE_TERMINATE", "shown")
        self.query_one("#cli", Plain).update(self.cli_text(self.mode, self.drain))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#confirm")
    def confirm(self) -> None:
        if not self.may_confirm():
            return
        if self.mode == "FORCE_TERMINATE" and \
                self.query_one("#typed", Input).value.strip() != self.expected:
            self.notify(f"Type {self.expected} to confirm a forced termination.",
                        severity="warning")
            return
        self.dismiss(TerminateChoice(self.mode, self.drain))
