"""`e`: edit max players, name and game properties of one session, validated before sending."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui.aws.records import GameSession
from tui.ui.widgets.plain import Plain, SafeInput

MAX_PROPERTIES = 16


def parse_properties(text: str) -> list[tuple[str, str]]:
    """`key=value, key2=value2` → pairs; raises ValueError with a sentence a user can act on."""
    pairs: list[tuple[str, str]] = []
    for chunk in (c.strip() for c in text.split(",")):
        if not chunk:
            continue
        key, sep, value = chunk.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise ValueError(f"'{chunk}' is not key=value")
        if len(key) > 32 or len(value) > 96:
            raise ValueError(f"'{key[:40]}': keys may have 32 and values 96 characters at most")
        pairs.append((key, value))
    return pairs


MAX_WHOLE_NUMBER = 2**31 - 1  # the API's WholeNumber is a 32-bit integer


def parse_max_players(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError("max players must be a whole number") from None
    if value < 0:
        raise ValueError("max players cannot be negative")
    if value > MAX_WHOLE_NUMBER:
        raise ValueError(f"max players can be at most {MAX_WHOLE_NUMBER:,}")
    return value


def check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 1024:
        raise ValueError("name must be 1 to 1024 characters")
    return name


def validate_changes(session: GameSession, max_text: str, name: str,
                     props_text: str) -> tuple[dict[str, Any], list[str]]:
    """The UpdateGameSession arguments that differ from the session, and warnings."""
    changes: dict[str, Any] = {}
    warnings: list[str] = []
    if max_text.strip() != str(session.maximum_player_session_count):
        value = parse_max_players(max_text)
        if value < session.current_player_session_count:
            warnings.append(f"{session.current_player_session_count} players are connected; "
                            "nobody is kicked, but no one new can join until it drops below.")
        changes["MaximumPlayerSessionCount"] = value
    if name.strip() != (session.name or ""):
        changes["Name"] = check_name(name)
    pairs = parse_properties(props_text)
    current = dict(session.game_properties)
    updates = [(k, v) for k, v in pairs if current.get(k) != v]
    if updates:
        if len(current | dict(updates)) > MAX_PROPERTIES:
            raise ValueError(f"a session can have at most {MAX_PROPERTIES} game properties")
        dotted = [k for k, _ in updates if "." in k]
        if dotted:
            warnings.append(f"search cannot see keys containing '.': {', '.join(dotted)}")
        changes["GameProperties"] = updates
    missing = [k for k in current if k not in dict(pairs)]
    if missing and pairs:
        warnings.append("the API cannot delete properties; left as they are: "
                        + ", ".join(missing))
    return changes, warnings


class FormModal(ModalScreen[dict[str, Any] | None]):
    """A small form: fields, a problem line, Cancel and a submit button with id `save`."""

    DEFAULT_CSS = """
    FormModal { align: center middle; }
    FormModal > Vertical {
        width: 90%; max-width: 100; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    FormModal #problem { color: $error; }
    FormModal Horizontal { height: auto; }
    FormModal Input { margin-bottom: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)


class EditSessionModal(FormModal):

    def __init__(self, session: GameSession) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        s = self.session
        props = ", ".join(f"{k}={v}" for k, v in s.game_properties)
        with Vertical():
            yield Plain(f"Edit {s.short_id}  ({s.current_player_session_count} players)")
            yield Label("Max players")
            yield SafeInput(str(s.maximum_player_session_count), id="max", compact=True,
                            type="integer")
            yield Label("Name")
            yield SafeInput(s.name or "", id="name", compact=True)
            yield Label("Game properties (key=value, …): add or change; the API cannot delete")
            yield SafeInput(props, id="props", compact=True)
            yield Plain("", id="problem")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def save(self) -> None:
        problem = self.query_one("#problem", Static)
        try:
            changes, warnings = validate_changes(
                self.session, self.query_one("#max", Input).value,
                self.query_one("#name", Input).value, self.query_one("#props", Input).value)
        except ValueError as err:
            problem.update(f"⚠ {err}; nothing was sent")
            return
        if not changes:
            problem.update("nothing changed")
            return
        for warning in warnings:
            self.notify(warning, severity="warning")
        self.dismiss(changes)


class CreateSessionModal(FormModal):
    """`n`: a new game session on the selected fleet, in one of its locations.

    The idempotency token is made once, when the form opens, so a repeated submit or a retried
    request can never start a second session.
    """


    def __init__(self, fleet_name: str, locations: tuple[str, ...], token: str) -> None:
        super().__init__()
        self.fleet_name = fleet_name
        self.locations = locations or ("",)
        self.token = token

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain(f"New game session on {self.fleet_name}  (token …{self.token[-8:]})")
            yield Label(f"Location (one of: {', '.join(self.locations)})")
            yield SafeInput(self.locations[0], id="location", compact=True)
            yield Label("Max players")
            yield SafeInput("10", id="max", compact=True, type="integer")
            yield Label("Name")
            yield SafeInput("", id="name", compact=True, placeholder="optional")
            yield Label("Game properties (key=value, …)")
            yield SafeInput("", id="props", compact=True)
            yield Plain("", id="problem")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Create", id="save", variant="primary")

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def save(self) -> None:
        problem = self.query_one("#problem", Static)
        location = self.query_one("#location", Input).value.strip()
        try:
            if location not in self.locations:
                raise ValueError(f"location must be one of {', '.join(self.locations)}")
            maximum = parse_max_players(self.query_one("#max", Input).value)
            typed_name = self.query_one("#name", Input).value
            name = check_name(typed_name) if typed_name.strip() else None
            props = parse_properties(self.query_one("#props", Input).value)
            if len(dict(props)) > MAX_PROPERTIES:
                raise ValueError(f"a session can have at most {MAX_PROPERTIES} game properties")
        except ValueError as err:
            problem.update(f"⚠ {err}; nothing was sent")
            return
        self.dismiss({"location": location, "maximum_player_session_count": maximum,
                      "name": name, "game_properties": props, "idempotency_token": self.token})
