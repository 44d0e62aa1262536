"""`O` on the Search pane: saved searches and the recent history; load, rename, delete."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.services.filter_builder import SearchSpec
from tui.services.saved_searches import SearchStore, StoreError
from tui.ui.screens.base import Modal, css
from tui.ui.widgets.plain import Plain, cell


def summary(spec: SearchSpec) -> str:
    where = spec.alias_id or spec.fleet_id or "?"
    text = spec.filter_expression or "(no filter)"
    if spec.sort_expression:
        text += f" · {spec.sort_expression}"
    return f"{text}  @ {where[-14:]}{' ' + spec.location if spec.location else ''}"


class SavedSearchesScreen(Modal[SearchSpec | None]):
    CSS_PATH = css("lists")
    BINDINGS = [
        Binding("escape", "dismiss_none", "Close"),
        Binding("n", "rename", "Rename"),
        Binding("d", "delete", "Delete"),
    ]

    def __init__(self, store: SearchStore) -> None:
        super().__init__()
        self.store = store
        self.saved: dict[str, SearchSpec] = {}
        self.history: list[SearchSpec] = []

    def heading(self) -> str:
        return "Saved searches and history"

    def compose_body(self) -> ComposeResult:
        yield OptionList(id="saved-list")
        yield Plain("enter load · n rename · d delete (saved only) · esc close",
                    classes="hint")
        yield Plain("", id="saved-problem")

    def on_mount(self) -> None:
        self.reload()
        self.query_one(OptionList).focus()

    def reload(self) -> None:
        problem = ""
        try:
            self.saved = self.store.saved()
        except StoreError as err:
            self.saved, problem = {}, f"⚠ {err}"
        self.history = self.store.history()
        options = self.query_one(OptionList)
        was = options.highlighted or 0
        options.clear_options()
        options.add_option(Option("── saved ──", disabled=True))
        for name, spec in self.saved.items():
            # Names and filters come from searches.toml, a file anyone may have edited.
            options.add_option(Option(cell(f"★ {name}: {summary(spec)}"), id=f"saved:{name}"))
        if not self.saved:
            options.add_option(Option("  (none yet: S on the Search pane saves one)",
                                      disabled=True))
        options.add_option(Option("── recent ──", disabled=True))
        for index, spec in enumerate(self.history):
            options.add_option(Option(cell(f"  {summary(spec)}"), id=f"history:{index}"))
        # The cursor starts on (or stays near) an entry: on a header, enter/n/d did nothing.
        enabled = [i for i in range(options.option_count)
                   if not options.get_option_at_index(i).disabled]
        if enabled:
            options.highlighted = next((i for i in enabled if i >= was), enabled[-1])
        self.query_one("#saved-problem", Static).update(problem)

    def _chosen(self) -> tuple[str, str] | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        option_id = options.get_option_at_index(options.highlighted).id or ""
        kind, _, rest = option_id.partition(":")
        return (kind, rest) if kind else None

    @on(OptionList.OptionSelected)
    def _selected(self) -> None:
        chosen = self._chosen()
        if chosen is None:
            return
        kind, rest = chosen
        self.dismiss(self.saved[rest] if kind == "saved" else self.history[int(rest)])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    def action_rename(self) -> None:
        from tui.ui.screens.search_forms import NameForm

        chosen = self._chosen()
        if chosen is None or chosen[0] != "saved":
            return
        old = chosen[1]

        def named(new: object) -> None:
            if isinstance(new, str):
                try:
                    self.store.rename(old, new)
                except (StoreError, OSError) as err:
                    self.notify(str(err), severity="error")
                self.reload()

        self.app.push_screen(NameForm(f"Rename '{old}'", old), named)

    def action_delete(self) -> None:
        chosen = self._chosen()
        if chosen is None or chosen[0] != "saved":
            return
        try:
            self.store.delete(chosen[1])
            self.notify(f"Deleted saved search '{chosen[1]}'.")
        except (StoreError, OSError) as err:
            self.notify(str(err), severity="error")
        self.reload()
