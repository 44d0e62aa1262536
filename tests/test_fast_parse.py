"""The fast "json" parser gives botocore's own results, byte for byte the same response.

Every GameLift read operation the simulator answers is called once through a real client;
each raw response is then parsed by botocore's JSONParser and by ours, with the same timestamp
and blob parsers, and the two results must be equal. Errors and mutations too.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import botocore.session
import pytest
from botocore.parsers import JSONParser
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.aws.fast_parse import FastResponseParserFactory
from tui.aws.session import AwsContext, parse_timestamp_utc
from tui.sim.server import RunningSimulator


def captured_client(aws: AwsContext) -> tuple[Any, list[tuple[Any, dict]]]:
    client = aws.client("gamelift")
    seen: list[tuple[Any, dict]] = []

    def keep(response_dict: dict, operation_model: Any = None, **_: Any) -> None:
        seen.append((operation_model, dict(response_dict)))

    client.meta.events.register("before-parse.gamelift.*", keep)
    return client, seen


def both(operation_model: Any, response: dict) -> tuple[Any, Any]:
    defaults = {"timestamp_parser": parse_timestamp_utc}
    reference = JSONParser(**defaults).parse(response, operation_model.output_shape)
    ours = FastResponseParserFactory()
    ours.set_parser_defaults(**defaults)
    fast = ours.create_parser("json").parse(response, operation_model.output_shape)
    return reference, fast


def test_every_read_operation_parses_as_botocore_does(sim: RunningSimulator,
                                                      aws: AwsContext) -> None:
    client, seen = captured_client(aws)
    fleets = client.list_fleets()["FleetIds"]
    client.describe_fleet_attributes(FleetIds=fleets)
    client.describe_fleet_capacity(FleetIds=fleets)
    client.describe_fleet_utilization(FleetIds=fleets)
    for fleet in fleets[:3]:
        client.describe_fleet_location_attributes(FleetId=fleet)
        client.describe_fleet_events(FleetId=fleet)
        details = client.describe_game_session_details(FleetId=fleet)["GameSessionDetails"]
        client.describe_game_sessions(FleetId=fleet)
        client.search_game_sessions(FleetId=fleet)
        for detail in details[:3]:
            client.describe_player_sessions(
                GameSessionId=detail["GameSession"]["GameSessionId"])
    for script in client.list_scripts()["Scripts"]:
        client.describe_script(ScriptId=script["ScriptId"])
    client.list_aliases()
    assert len(seen) > 20
    operations = set()
    for operation_model, response in seen:
        assert response["status_code"] == 200
        reference, fast = both(operation_model, response)
        assert fast == reference, operation_model.name
        operations.add(operation_model.name)
    assert {"DescribeGameSessionDetails", "SearchGameSessions", "DescribeScript",
            "DescribePlayerSessions", "DescribeFleetAttributes"} <= operations


def test_errors_parse_as_botocore_does(sim: RunningSimulator,
                                                     aws: AwsContext) -> None:
    client, seen = captured_client(aws)
    with pytest.raises(client.exceptions.NotFoundException) as caught:
        client.describe_game_session_details(FleetId="fleet-00000000-dead-beef-0000-000000000000")
    assert caught.value.response["Error"]["Code"] == "NotFoundException"
    fleet = client.list_fleets()["FleetIds"][0]
    attributes = client.describe_fleet_attributes(FleetIds=[fleet])["FleetAttributes"][0]
    assert attributes["CreationTime"].tzinfo is not None
    assert attributes["CreationTime"].utcoffset() == dt.timedelta(0)
    for operation_model, response in seen:
        if response["status_code"] == 200:
            reference, fast = both(operation_model, response)
            assert fast == reference, operation_model.name


def _gamelift_model() -> Any:
    return botocore.session.get_session().get_service_model("gamelift")


GAMELIFT = _gamelift_model()
SESSION_SHAPE = GAMELIFT.operation_model("DescribeGameSessionDetails").output_shape

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                         st.floats(0, 2e9, allow_nan=False), st.text(max_size=8))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(
    st.sampled_from(["GameSession", "ProtectionPolicy", "Unknown", "GameSessionId"]),
    st.one_of(json_values, st.fixed_dictionaries({}, optional={
        "GameSessionId": st.text(max_size=10), "CreationTime": st.floats(0, 2e9),
        "TerminationTime": st.none(), "CurrentPlayerSessionCount": st.integers(0, 100),
        "GameProperties": st.lists(st.fixed_dictionaries({"Key": st.text(max_size=4),
                                                          "Value": st.text(max_size=4)}),
                                   max_size=3),
        "Extra": json_values}))), max_size=4),
    st.one_of(st.none(), st.text(max_size=8)))
def test_odd_shapes_of_json_parse_as_botocore_does(details: list[dict],
                                                   token: str | None) -> None:
    """Unknown keys, nulls, missing members: the two parsers agree on any body of this shape
    (where botocore itself can parse it)."""
    body = json.dumps({"GameSessionDetails": details, "NextToken": token}).encode()
    response = {"status_code": 200, "headers": {}, "body": body}
    defaults = {"timestamp_parser": parse_timestamp_utc}
    try:
        reference = JSONParser(**defaults).parse(response, SESSION_SHAPE)
    except Exception:  # noqa: BLE001 - a body botocore cannot parse is not compared
        return
    ours = FastResponseParserFactory()
    ours.set_parser_defaults(**defaults)
    assert ours.create_parser("json").parse(response, SESSION_SHAPE) == reference
