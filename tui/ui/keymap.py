"""The live keymap: the config's [keys] overrides, the rows of the ? screen, and the key bound to
an action right now (messages name it, so they stay true after a rebinding)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.dom import DOMNode

from tui.ui.read_only import refused_here
from tui.ui.textual_private import own_bindings

if TYPE_CHECKING:
    from tui.ui.contract import GameApp

KeyRow = tuple[str, str, str, bool]  # keys, action, binding id, disabled (read-only)


def known_binding_ids() -> set[str]:
    """Every binding id declared by a loaded widget, screen or app class."""
    ids: set[str] = set()
    stack: list[type] = [DOMNode]
    seen: set[type] = set()
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        stack.extend(cls.__subclasses__())
        for binding in cls.__dict__.get("BINDINGS", []):
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return ids


def overrides(app: GameApp) -> dict[str, str]:
    """The [keys] table of the config (binding id → keys) for ``App.set_keymap``. Unknown ids
    are named in a notification, not fatal."""
    settings = app.settings
    known = known_binding_ids()
    keymap: dict[str, str] = {}
    for binding_id, keys in settings.keys.items():
        if binding_id in known:
            keymap[binding_id] = keys
        else:
            app.notify(f"{settings.where(('keys', binding_id))}: no key binding has "
                       "this id (the ? screen lists them); ignored",
                       title="config", severity="warning", timeout=20)
    return keymap


def keymap_rows(app: GameApp) -> list[tuple[str, list[KeyRow]]]:
    """The live keymap: what the focused widgets bind, then what the app binds, as
    (keys, action, binding id, disabled) rows; disabled: read-only mode refuses it."""
    local: list[KeyRow] = []
    moving: list[KeyRow] = []  # cursor and scroll keys of the focused widget
    global_: list[KeyRow] = []
    seen: set[tuple[str, str]] = set()
    for key, active in app.screen.active_bindings.items():
        binding = active.binding
        label = binding.description or binding.action
        if (key, label) in seen:
            continue
        seen.add((key, label))
        disabled = not active.enabled and refused_here(active.node, binding.action)
        row = (app.get_key_display(binding), label, binding.id or "", disabled)
        if active.node is app:
            global_.append(row)
        elif not binding.show and not binding.id:
            moving.append(row)
        else:
            local.append(row)
    sections: list[tuple[str, list[KeyRow]]] = []
    pane = app.current_pane()
    if local:
        sections.append((f"This pane ({pane.title})" if pane else "Here", local))
    if not any(row[1].lower() in ("palette", "command palette") for row in global_):
        global_.append(("ctrl+p", "Command palette", "", False))
    sections.append(("Everywhere", global_))
    if moving:
        sections.append(("Moving around", moving))
    return sections


def key_for(app: GameApp, action: str) -> str:
    """The key currently bound to an app action (after keymap overrides), for messages."""
    for screen in (app.screen, *reversed(app.screen_stack)):
        for active in screen.active_bindings.values():
            if active.node is app and active.binding.action == action:
                return str(app.get_key_display(active.binding))
    for bindings in own_bindings(app).key_to_bindings.values():
        for binding in bindings:
            if binding.action != action:
                continue
            if binding.id and binding.id in app.keymap_overrides:
                binding = binding.with_key(app.keymap_overrides[binding.id].split(",")[0])
            return str(app.get_key_display(binding))
    return action
