"""What an edit or a create of a game session sends: only what changed, nothing trimmed or split."""

from __future__ import annotations

import datetime as dt
import json
import shlex

import pytest

from tui.aws.records import GameSession
from tui.services.session_edit import (
    EditError,
    FieldChange,
    cli_update,
    parse_max_players,
    plan_create,
    plan_update,
    property_rows,
)

ARN = "arn:aws:gamelift:us-west-2::gamesession/fleet-1/gs-1"
PROPS = (("map", "dust, mode=deathmatch"), ("note", " spaced "), ("mode", "ranked"))


def session(**changes: object) -> GameSession:
    fields: dict[str, object] = dict(
        game_session_id=ARN, fleet_id="fleet-1", status="ACTIVE", name=" padded-name ",
        creation_time=dt.datetime.now(dt.UTC), current_player_session_count=5,
        maximum_player_session_count=10, game_properties=PROPS)
    fields.update(changes)
    return GameSession(**fields)  # type: ignore[arg-type]


def test_untouched_form_sends_nothing() -> None:
    s = session()
    plan = plan_update(s, "10", " padded-name ", list(PROPS))
    assert plan.empty and plan.params == {} and plan.changes == ()


def test_only_max_players_is_sent_when_only_it_changed() -> None:
    s = session()
    plan = plan_update(s, "11", s.name, list(s.game_properties))
    assert plan.params == {"MaximumPlayerSessionCount": 11}
    assert plan.changes == (FieldChange("Max players", "10", "11"),)
    assert shlex.split(plan.cli()) == [
        "aws", "gamelift", "update-game-session", "--game-session-id", ARN,
        "--maximum-player-session-count", "11"]


def test_spaces_around_the_number_are_not_a_change() -> None:
    assert plan_update(session(), " 10 ", " padded-name ", list(PROPS)).empty


def test_name_is_compared_and_sent_exactly_as_typed() -> None:
    plan = plan_update(session(), "10", "padded-name", list(PROPS))
    assert plan.params == {"Name": "padded-name"}
    assert plan.changes == (FieldChange("Name", " padded-name ", "padded-name"),)
    plan = plan_update(session(), "10", "  two  spaces ", list(PROPS))
    assert plan.params == {"Name": "  two  spaces "}
    with pytest.raises(EditError, match="1 to 1024"):
        plan_update(session(), "10", "", list(PROPS))


def test_property_by_property() -> None:
    rows = [("map", "dust, mode=deathmatch"), ("note", "spaced"), ("mode", "ranked"),
            ("new", "a=b, c")]
    plan = plan_update(session(), "10", " padded-name ", rows)
    assert plan.params == {"GameProperties": [{"Key": "note", "Value": "spaced"},
                                              {"Key": "new", "Value": "a=b, c"}]}
    assert plan.changes == (FieldChange("property note", " spaced ", "spaced"),
                            FieldChange("property new", None, "a=b, c"))
    args = shlex.split(plan.cli())
    sent = json.loads(args[args.index("--game-properties") + 1])
    assert sent == plan.params["GameProperties"]


def test_missing_and_blank_rows() -> None:
    # A property left out of the rows stays (the API cannot delete one): said, not sent.
    plan = plan_update(session(), "10", " padded-name ", [("map", "dust, mode=deathmatch"),
                                                         ("", "")])
    assert plan.empty
    assert any("cannot delete" in w and "note" in w and "mode" in w for w in plan.warnings)


def test_row_validation() -> None:
    with pytest.raises(EditError, match="no key"):
        property_rows([("", "orphan")])
    with pytest.raises(EditError, match="twice"):
        property_rows([("a", "1"), ("a", "2")])
    with pytest.raises(EditError, match="32"):
        property_rows([("k" * 33, "v")])
    with pytest.raises(EditError, match="96"):
        property_rows([("k", "v" * 97)])
    assert property_rows([(" k ", " v "), ("e", "")]) == [(" k ", " v "), ("e", "")]
    too_many = [(f"k{i}", "v") for i in range(14)]  # 3 existing + 14 new > 16
    with pytest.raises(EditError, match="at most 16"):
        plan_update(session(), "10", " padded-name ", list(PROPS) + too_many)


def test_warnings() -> None:
    plan = plan_update(session(), "3", " padded-name ", [*PROPS, ("a.b", "1")])
    assert plan.params["MaximumPlayerSessionCount"] == 3
    assert any("connected" in w for w in plan.warnings)
    assert any("'.'" in w for w in plan.warnings)


@pytest.mark.parametrize("text, words", [("-1", "negative"), ("ten", "whole number"),
                                         ("", "whole number"), ("1.5", "whole number"),
                                         ("١٢", "whole number"), ("--1", "whole number"),
                                         (str(2**31), "at most")])
def test_max_players_refusals(text: str, words: str) -> None:
    with pytest.raises(EditError, match=words):
        parse_max_players(text)


def test_create_plan_and_cli() -> None:
    plan = plan_create("fleet-1", ["us-west-2", "eu-west-1"], "eu-west-1", "12", " lobby ",
                       [("map", "dust, mode=deathmatch"), ("", "")], "tok-123")
    assert plan.kwargs() == {"location": "eu-west-1", "name": " lobby ",
                             "game_properties": [("map", "dust, mode=deathmatch")],
                             "idempotency_token": "tok-123", "creator_id": None}
    assert plan.maximum_player_session_count == 12
    assert FieldChange("Name", None, " lobby ") in plan.changes
    args = shlex.split(plan.cli())
    assert args[:3] == ["aws", "gamelift", "create-game-session"]
    assert args[args.index("--name") + 1] == " lobby "
    assert args[args.index("--idempotency-token") + 1] == "tok-123"
    assert json.loads(args[args.index("--game-properties") + 1]) == [
        {"Key": "map", "Value": "dust, mode=deathmatch"}]
    assert plan_create("fleet-1", ["us-west-2"], "us-west-2", "1", "", [], "t").name is None
    with pytest.raises(EditError, match="location must be one of"):
        plan_create("fleet-1", ["us-west-2"], " us-west-2", "1", "", [], "t")


def test_a_creator_id_is_sent_as_typed_and_required_under_a_creation_limit() -> None:
    plan = plan_create("fleet-1", [], "", "4", "", [], "t", " ops ")
    assert plan.kwargs()["creator_id"] == " ops "
    assert FieldChange("Creator id", None, " ops ") in plan.changes
    args = shlex.split(plan.cli())
    assert args[args.index("--creator-id") + 1] == " ops "
    assert "--creator-id" not in plan_create("fleet-1", [], "", "4", "", [], "t").cli()
    with pytest.raises(EditError, match="requires a creator id"):
        plan_create("fleet-1", [], "", "4", "", [], "t", "", (3, 15))
    with pytest.raises(EditError, match="creator id must be 1 to"):
        plan_create("fleet-1", [], "", "4", "", [], "t", "x" * 1025)


def test_cli_of_a_toggle() -> None:
    assert cli_update(ARN, {"ProtectionPolicy": "FullProtection"}) == (
        f"aws gamelift update-game-session --game-session-id {ARN} "
        "--protection-policy FullProtection")
