"""What an edit or a create of a game session will send, worked out before anything is sent.

The edit form used to pre-fill one ``k=v, …`` box and split it on commas, trimming every piece:
a value with a comma in it, a value with spaces around it and a padded name were rewritten when
the user changed only Max players. Here nothing typed is trimmed or split: the form hands over
the fields and the property rows as they are, and an edit sends only what differs from the
session, field by field and property by property (UpdateGameSession adds and changes game
properties; it cannot delete one).

Each plan carries its changes as ``old → new`` lines and the exact AWS CLI command, so the
confirmation shows what will be sent before it is.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tui.aws.records import GameSession

MAX_PROPERTIES = 16
MAX_KEY_LENGTH = 32
MAX_VALUE_LENGTH = 96
MAX_NAME_LENGTH = 1024
MAX_WHOLE_NUMBER = 2**31 - 1  # the API's WholeNumber is a 32-bit integer
_WHOLE = re.compile(r"-?[0-9]{1,12}")


class EditError(ValueError):
    """A field the service would refuse, in a sentence the user can act on."""


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One line of a confirmation: ``label: old → new`` (old is None when nothing was set)."""

    label: str
    old: str | None
    new: str


@dataclass(frozen=True, slots=True)
class SessionUpdate:
    """UpdateGameSession arguments that differ from the session, and what they change."""

    game_session_id: str
    params: dict[str, Any] = field(default_factory=dict)  # AWS names, GameSessionId excluded
    changes: tuple[FieldChange, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.params

    def cli(self) -> str:
        return cli_update(self.game_session_id, self.params)


@dataclass(frozen=True, slots=True)
class SessionCreate:
    """CreateGameSession arguments (with the form's idempotency token) and what they set."""

    fleet_id: str
    maximum_player_session_count: int
    idempotency_token: str
    location: str | None = None
    name: str | None = None
    game_properties: tuple[tuple[str, str], ...] = ()
    changes: tuple[FieldChange, ...] = ()
    warnings: tuple[str, ...] = ()
    creator_id: str | None = None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``services.gamelift.create_game_session`` after fleet and max."""
        return {"location": self.location, "name": self.name,
                "game_properties": list(self.game_properties) or None,
                "idempotency_token": self.idempotency_token, "creator_id": self.creator_id}

    def cli(self) -> str:
        parts = ["aws", "gamelift", "create-game-session", "--fleet-id", self.fleet_id,
                 "--maximum-player-session-count", str(self.maximum_player_session_count)]
        if self.location:
            parts += ["--location", self.location]
        if self.name is not None:
            parts += ["--name", self.name]
        if self.game_properties:
            parts += ["--game-properties", _properties_json(self.game_properties)]
        if self.creator_id is not None:
            parts += ["--creator-id", self.creator_id]
        parts += ["--idempotency-token", self.idempotency_token]
        return shlex.join(parts)


# --- fields ----------------------------------------------------------------------------------


def parse_max_players(text: str) -> int:
    """A whole number; spaces around the digits are not part of a number, so they may go."""
    digits = text.strip()
    if not _WHOLE.fullmatch(digits):
        raise EditError("max players must be a whole number")
    value = int(digits)
    if value < 0:
        raise EditError("max players cannot be negative")
    if value > MAX_WHOLE_NUMBER:
        raise EditError(f"max players can be at most {MAX_WHOLE_NUMBER:,}")
    return value


def check_name(name: str) -> str:
    """The name exactly as typed (never trimmed): 1 to 1024 characters."""
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise EditError(f"name must be 1 to {MAX_NAME_LENGTH} characters")
    return name


def property_rows(rows: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The form's key/value rows as pairs, exactly as typed. A row with neither key nor value
    is an unused row and is left out; a key appears once."""
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for key, value in rows:
        if key == "" and value == "":
            continue
        if key == "":
            raise EditError(f"the value {_short(value)} has no key")
        if len(key) > MAX_KEY_LENGTH or len(value) > MAX_VALUE_LENGTH:
            raise EditError(f"{_short(key)}: keys may have {MAX_KEY_LENGTH} and values "
                            f"{MAX_VALUE_LENGTH} characters at most")
        if key in seen:
            raise EditError(f"the key {_short(key)} appears twice")
        seen.add(key)
        pairs.append((key, value))
    return pairs


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _dotted_warning(keys: Sequence[str]) -> list[str]:
    dotted = [k for k in keys if "." in k]
    return [f"search cannot see keys containing '.': {', '.join(dotted)}"] if dotted else []


# --- edit ------------------------------------------------------------------------------------


def plan_update(session: GameSession, max_text: str, name: str,
                rows: Sequence[tuple[str, str]]) -> SessionUpdate:
    """What UpdateGameSession must send to turn ``session`` into the form's values.

    A field is sent only when it differs from the session; a property only when its key is new
    or its value differs. Properties of the session missing from ``rows`` stay as they are (the
    API cannot delete them), which is said in a warning.
    """
    params: dict[str, Any] = {}
    changes: list[FieldChange] = []
    warnings: list[str] = []

    maximum = parse_max_players(max_text)
    if maximum != session.maximum_player_session_count:
        params["MaximumPlayerSessionCount"] = maximum
        changes.append(FieldChange("Max players", str(session.maximum_player_session_count),
                                   str(maximum)))
        if maximum < session.current_player_session_count:
            warnings.append(f"{session.current_player_session_count} players are connected; "
                            "nobody is kicked, but no one new can join until it drops below.")

    if name != (session.name or ""):
        params["Name"] = check_name(name)
        changes.append(FieldChange("Name", session.name or None, name))

    pairs = property_rows(rows)
    current = dict(session.game_properties)
    updates = [(k, v) for k, v in pairs if current.get(k) != v]
    if updates:
        if len(current.keys() | {k for k, _ in updates}) > MAX_PROPERTIES:
            raise EditError(f"a session can have at most {MAX_PROPERTIES} game properties")
        params["GameProperties"] = [{"Key": k, "Value": v} for k, v in updates]
        changes += [FieldChange(f"property {k}", current.get(k), v) for k, v in updates]
        warnings += _dotted_warning([k for k, _ in updates])
    kept = [k for k in current if k not in dict(pairs)]
    if kept:
        warnings.append("the API cannot delete properties; left as they are: " + ", ".join(kept))
    return SessionUpdate(session.game_session_id, params, tuple(changes), tuple(warnings))


def cli_update(game_session_id: str, params: dict[str, Any]) -> str:
    """The AWS CLI command that sends these UpdateGameSession arguments."""
    parts = ["aws", "gamelift", "update-game-session", "--game-session-id", game_session_id]
    flags = (("MaximumPlayerSessionCount", "--maximum-player-session-count"),
             ("Name", "--name"),
             ("PlayerSessionCreationPolicy", "--player-session-creation-policy"),
             ("ProtectionPolicy", "--protection-policy"))
    for member, flag in flags:
        if member in params:
            parts += [flag, str(params[member])]
    if params.get("GameProperties"):
        pairs = [(p["Key"], p["Value"]) for p in params["GameProperties"]]
        parts += ["--game-properties", _properties_json(pairs)]
    return shlex.join(parts)


def _properties_json(pairs: Sequence[tuple[str, str]]) -> str:
    # JSON, not the CLI's Key=…,Value=… shorthand: a value may hold commas and equals signs.
    return json.dumps([{"Key": k, "Value": v} for k, v in pairs], ensure_ascii=False,
                      separators=(",", ":"))


# --- create ----------------------------------------------------------------------------------


def plan_create(fleet_id: str, locations: Sequence[str], location: str, max_text: str,
                name: str, rows: Sequence[tuple[str, str]], token: str, creator: str = "",
                creation_limit: tuple[int, int] | None = None) -> SessionCreate:
    """CreateGameSession for the form's values, or EditError. An empty name sends no name, an
    empty creator id none; a fleet with a resource creation limit policy requires one."""
    if locations and location not in locations:
        raise EditError(f"location must be one of {', '.join(locations)}")
    maximum = parse_max_players(max_text)
    chosen_name = check_name(name) if name != "" else None
    if creator == "" and creation_limit is not None:
        raise EditError(f"this fleet limits each creator to {creation_limit[0]} new sessions "
                        f"in {creation_limit[1]} minutes, so the service requires a creator id")
    if creator != "" and not 1 <= len(creator) <= MAX_NAME_LENGTH:
        raise EditError(f"creator id must be 1 to {MAX_NAME_LENGTH} characters")
    chosen_creator = creator if creator != "" else None
    pairs = property_rows(rows)
    if len(pairs) > MAX_PROPERTIES:
        raise EditError(f"a session can have at most {MAX_PROPERTIES} game properties")
    changes = [FieldChange("Fleet", None, fleet_id)]
    if location:
        changes.append(FieldChange("Location", None, location))
    changes.append(FieldChange("Max players", None, str(maximum)))
    if chosen_name is not None:
        changes.append(FieldChange("Name", None, chosen_name))
    if chosen_creator is not None:
        changes.append(FieldChange("Creator id", None, chosen_creator))
    changes += [FieldChange(f"property {k}", None, v) for k, v in pairs]
    return SessionCreate(fleet_id, maximum, token, location or None, chosen_name, tuple(pairs),
                         tuple(changes), tuple(_dotted_warning([k for k, _ in pairs])),
                         chosen_creator)
