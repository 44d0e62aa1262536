"""Confirmation modals: say exactly what will happen to what; Cancel has the focus."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, RadioButton, RadioSet, Static

from tui.aws.records import GameSession
from tui.ui.widgets.plain import Plain, SafeInput

REFUSED_STATUSES = ("ERROR", "TERMINATING", "TERMINATED")
MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 90%; max-width: 100; height: auto; max-height: 90%;
    border: thick $error; background: $surface; padding: 0 1;
}}
{name} .title {{ text-style: bold; }}
{name} .cli {{ color: $text-muted; margin-top: 1; }}
{name} Horizontal {{ height: auto; margin-top: 1; }}
{name} Button {{ margin-right: 2; }}
"""


def describe_sessions(sessions: list[GameSession], limit: int = 8) -> str:
    lines = [f"  {s.short_id[-12:]}  {s.name or '-':<16} {s.status:<11} "
             f"{s.current_player_session_count}/{s.maximum_player_session_count} players"
             f"{'  protected' if s.protection_policy == 'FullProtection' else ''}"
             for s in sessions[:limit]]
    if len(sessions) > limit:
        lines.append(f"  … and {len(sessions) - limit} more")
    return "\n".join(lines)


class ConfirmModal(ModalScreen[bool]):
    DEFAULT_CSS = MODAL_CSS.format(name="ConfirmModal")
    BINDINGS = [Binding("escape,n", "cancel", "Cancel"), Binding("y", "confirm", "Confirm")]

    def __init__(self, title: str, body: str, cli: str, confirm_label: str = "Confirm") -> None:
        super().__init__()
        self.title_text, self.body, self.cli, self.confirm_label = title, body, cli, confirm_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain(self.title_text, classes="title")
            yield Plain(self.body)
            yield Plain(f"as AWS CLI: {self.cli}", classes="cli")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button(self.confirm_label, id="confirm", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)


@dataclass(frozen=True, slots=True)
class TerminateChoice:
    mode: str  # TerminationMode
    drain: bool  # lock to new players first, terminate when the last player has left


class TerminateModal(ModalScreen[TerminateChoice | None]):
    """Guided termination: what matters first, graceful by default, force must be typed."""

    DEFAULT_CSS = MODAL_CSS.format(name="TerminateModal") + """
    TerminateModal RadioSet { height: auto; width: 100%; }
    TerminateModal #typed { display: none; }
    TerminateModal #typed.shown { display: block; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, sessions: list[GameSession], compute: str) -> None:
        super().__init__()
        self.sessions = [s for s in sessions if s.status not in REFUSED_STATUSES]
        self.skipped = [s for s in sessions if s.status in REFUSED_STATUSES]
        self.compute = compute
        self.expected = (self.sessions[0].short_id[-4:] if len(self.sessions) == 1
                         else str(len(self.sessions)))

    def compose(self) -> ComposeResult:
        players = sum(s.current_player_session_count for s in self.sessions)
        with Vertical():
            yield Plain(f"Terminate {len(self.sessions)} game session(s) "
                         f"with {players} player(s) connected", classes="title")
            yield Plain(describe_sessions(self.sessions) or "  (nothing that can be terminated)")
            if self.skipped:
                yield Plain(f"Skipped {len(self.skipped)}: the API refuses sessions that are "
                             "ERROR, TERMINATING or TERMINATED.")
            if any(s.protection_policy == "FullProtection" for s in self.sessions):
                yield Plain("Protected sessions are terminated too: protection only guards "
                             "against scale-down.")
            yield Plain(f"Fleet compute: {self.compute}")
            with RadioSet(id="mode"):
                yield RadioButton("graceful: TRIGGER_ON_PROCESS_TERMINATE (the server "
                                  "ends it)", value=True, id="graceful")
                yield RadioButton("force: FORCE_TERMINATE (stops the process now)", id="force")
            yield SafeInput(placeholder=f"type {self.expected} to allow a forced termination",
                        id="typed", compact=True)
            yield Checkbox("drain first: deny new players, terminate when empty", id="drain")
            yield Plain(self.cli_text(), classes="cli", id="cli")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Terminate", id="confirm", variant="error",
                             disabled=not self.sessions)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

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
        self.query_one("#cli", Static).update(self.cli_text(self.mode, self.drain))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#confirm")
    def confirm(self) -> None:
        if self.mode == "FORCE_TERMINATE" and \
                self.query_one("#typed", Input).value.strip() != self.expected:
            self.notify(f"Type {self.expected} to confirm a forced termination.",
                        severity="warning")
            return
        self.dismiss(TerminateChoice(self.mode, self.drain))
