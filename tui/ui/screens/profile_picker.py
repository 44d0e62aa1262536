"""Pick an AWS profile (and, through the same list screen, a region): type to filter, enter picks.

The list screen is shared by the region picker (``region_picker.py``).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from tui.ui.screens.base import Modal, css
from tui.ui.widgets.plain import Plain, SafeInput, cell


class ChoiceScreen(Modal[str | None]):
    """A filterable list of names; the current one is marked. Returns the picked name."""

    CSS_PATH = css("lists")
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(self, title: str, note: str, names: list[str], current: str,
                 *, empty: str = "nothing to pick") -> None:
        super().__init__()
        self.title_text, self.note, self.names, self.current = title, note, names, current
        self.empty = empty

    def heading(self) -> str:
        return self.title_text

    def compose_body(self) -> ComposeResult:
        if self.note:
            yield Plain(self.note, classes="note")
        yield SafeInput(placeholder="type to filter", id="choice-filter", compact=True)
        yield OptionList(id="choice-list")
        yield Plain("enter picks · ↑↓ move · esc cancels", classes="note")

    def on_mount(self) -> None:
        self.fill("")
        self.query_one("#choice-filter", Input).focus()

    def fill(self, text: str) -> None:
        options = self.query_one("#choice-list", OptionList)
        options.clear_options()
        words = text.lower().split()
        shown = [n for n in self.names if all(w in n.lower() for w in words)]
        for name in shown:
            mark = "● " if name == self.current else "  "
            suffix = "  (current)" if name == self.current else ""
            options.add_option(Option(cell(f"{mark}{name}{suffix}"), id=name))
        if not shown:
            options.add_option(Option(self.empty if not self.names else "no match",
                                      disabled=True))
        elif self.current in shown and not words:
            options.highlighted = shown.index(self.current)
        else:
            options.highlighted = 0

    @on(Input.Changed, "#choice-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.fill(event.value)

    @on(Input.Submitted, "#choice-filter")
    def submitted(self) -> None:
        options = self.query_one("#choice-list", OptionList)
        if options.highlighted is not None:
            option = options.get_option_at_index(options.highlighted)
            if option.id is not None and not option.disabled:
                self.dismiss(option.id)

    @on(OptionList.OptionSelected, "#choice-list")
    def picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        options = self.query_one("#choice-list", OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)


class ProfilePicker(ChoiceScreen):
    def __init__(self, profiles: list[str], current: str, *, demo: bool) -> None:
        if demo:
            note = ("Demo: these simulated profiles all talk to the built-in simulator; "
                    "run without --demo to pick from your ~/.aws/config.")
        else:
            note = "From ~/.aws/config and ~/.aws/credentials. Every pane reloads."
        super().__init__("Switch AWS profile", note, profiles, current,
                         empty="no profiles found: run `aws configure --profile NAME`")
