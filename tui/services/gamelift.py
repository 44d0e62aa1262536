"""GameLift calls the app makes, as plain functions that page through results and return records.

Each function takes anything with ``.client(name)`` (an AwsContext) and runs synchronously: the UI
calls them from worker threads. Errors are botocore's own (ClientError and friends) plus
ReadOnlyViolation and ResourceGone; ``tui.aws.errors.explain`` words them for the user.
"""

from __future__ import annotations

import contextvars
import queue
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from botocore.exceptions import ClientError

from tui.aws.errors import ResourceGone
from tui.aws.records import (
    Alias,
    Fleet,
    FleetCapacity,
    FleetUtilization,
    GameSession,
    PlayerSession,
    Script,
)
from tui.services import outcome
from tui.services.outcome import Outcome

# DescribeFleetAttributes/Capacity/Utilization take a list of fleet ids. botocore's model sets
# no maximum (only min 1); batches of 50 keep requests modest, and the simulator refuses more.
FLEET_ID_BATCH = 50

Properties = Mapping[str, str] | Iterable[tuple[str, str]]
TerminationMode = Literal["TRIGGER_ON_PROCESS_TERMINATE", "FORCE_TERMINATE"]
# A terminate found in one of these is done, whoever asked for it.
ENDING = ("TERMINATING", "TERMINATED")
_UPDATABLE = frozenset({"MaximumPlayerSessionCount", "Name", "PlayerSessionCreationPolicy",
                        "ProtectionPolicy", "GameProperties"})


class ClientSource(Protocol):
    def client(self, service: Any) -> Any: ...


def _gamelift(ctx: ClientSource) -> Any:
    return ctx.client("gamelift")


def _batches(ids: Iterable[str], size: int = FLEET_ID_BATCH) -> Iterator[list[str]]:
    batch: list[str] = []
    for fleet_id in ids:
        batch.append(fleet_id)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _paginate(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key, [])


def properties_param(properties: Properties) -> list[dict[str, str]]:
    """GameProperties as the API wants them, from a dict or (key, value) pairs."""
    pairs = properties.items() if isinstance(properties, Mapping) else properties
    return [{"Key": key, "Value": value} for key, value in pairs]


# --- fleets ---------------------------------------------------------------------------------


def list_fleet_ids(ctx: ClientSource, *, script_id: str | None = None,
                   build_id: str | None = None) -> list[str]:
    params: dict[str, Any] = {}
    if script_id:
        params["ScriptId"] = script_id
    if build_id:
        params["BuildId"] = build_id
    return list(_paginate(_gamelift(ctx), "list_fleets", "FleetIds", **params))


def list_fleets(ctx: ClientSource, *, script_id: str | None = None,
                with_locations: bool = True) -> list[Fleet]:
    """All fleets (or those running ``script_id``), sorted by name, with their locations."""
    client = _gamelift(ctx)
    fleet_ids = list_fleet_ids(ctx, script_id=script_id)
    items = [item for batch in _batches(fleet_ids)
             for item in _paginate(client, "describe_fleet_attributes", "FleetAttributes",
                                   FleetIds=batch)]
    locations: list[tuple[str, ...]] = [()] * len(items)
    if with_locations and items:
        # One request per fleet (the API takes one FleetId): ask side by side.
        with ThreadPoolExecutor(max_workers=min(8, len(items)),
                                thread_name_prefix="locations") as pool:
            # Each in the caller's context: a user's read stays one (tui.aws.budget).
            context = contextvars.copy_context()
            locations = list(pool.map(
                lambda item: context.copy().run(fleet_locations, ctx, item["FleetId"]), items))
    fleets: list[Fleet] = []
    for item, where in zip(items, locations, strict=True):
        fleet = Fleet.from_api(item, where)
        if not fleet.locations and fleet.compute_type != "ANYWHERE" and fleet.home_region:
            fleet = Fleet.from_api(item, (fleet.home_region,))
        fleets.append(fleet)
    return sorted(fleets, key=lambda f: (f.name.lower(), f.fleet_id))


def fleet_locations(ctx: ClientSource, fleet_id: str) -> tuple[str, ...]:
    """The fleet's locations (home and remote). Empty when the service will not say: fleets in
    a region without multi-location support answer UnsupportedRegionException."""
    client = _gamelift(ctx)
    locations: list[str] = []
    params: dict[str, Any] = {"FleetId": fleet_id}
    try:
        while True:  # botocore has no paginator for this operation
            page = client.describe_fleet_location_attributes(**params)
            for item in page.get("LocationAttributes", []):
                location = (item.get("LocationState") or {}).get("Location")
                if location and location not in locations:
                    locations.append(location)
            if not page.get("NextToken"):
                break
            params["NextToken"] = page["NextToken"]
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") not in ("UnsupportedRegionException",
                                                             "InvalidRequestException"):
            raise
    return tuple(locations)


def fleet_capacity(ctx: ClientSource, fleet_ids: Iterable[str]) -> list[FleetCapacity]:
    client = _gamelift(ctx)
    return [FleetCapacity.from_api(item) for batch in _batches(fleet_ids)
            for item in _paginate(client, "describe_fleet_capacity", "FleetCapacity",
                                  FleetIds=batch)]


def fleet_utilization(ctx: ClientSource, fleet_ids: Iterable[str]) -> list[FleetUtilization]:
    client = _gamelift(ctx)
    return [FleetUtilization.from_api(item) for batch in _batches(fleet_ids)
            for item in _paginate(client, "describe_fleet_utilization", "FleetUtilization",
                                  FleetIds=batch)]


@dataclass
class FleetRow:
    """One line of the fleet overview: a fleet with its utilization and capacity."""

    fleet: Fleet
    utilization: FleetUtilization | None
    capacity: FleetCapacity | None = None


def fleet_overview(ctx: ClientSource) -> list[FleetRow]:
    """Every fleet with its utilization and capacity (batched Describe* calls)."""
    fleets = list_fleets(ctx)
    ids = [f.fleet_id for f in fleets]
    utilization = {u.fleet_id: u for u in fleet_utilization(ctx, ids)}
    capacity: dict[str, FleetCapacity] = {}
    for cap in fleet_capacity(ctx, ids):
        # One entry per fleet; a multi-location fleet's home region entry comes first.
        capacity.setdefault(cap.fleet_id, cap)
    return [FleetRow(f, utilization.get(f.fleet_id), capacity.get(f.fleet_id)) for f in fleets]


def prefetch_fleet_overview(ctx: ClientSource) -> Future[list[FleetRow]]:
    """Start `fleet_overview` on a daemon thread now; its Future holds the rows or the error.
    Started before the UI is built, the round trips and botocore's model loading overlap
    with importing and composing it instead of following it."""
    future: Future[list[FleetRow]] = Future()

    def fetch() -> None:
        try:
            future.set_result(fleet_overview(ctx))
        except BaseException as err:  # handed to whoever takes the result, who explains it
            future.set_exception(err)

    threading.Thread(target=fetch, name="prefetch-fleets", daemon=True).start()
    return future


# --- game sessions --------------------------------------------------------------------------


def iter_game_session_pages(ctx: ClientSource, fleet_id: str, location: str | None = None,
                            status_filter: str | None = None, page_size: int = 100,
                            cancelled: Callable[[], bool] | None = None,
                            pace: Callable[[], None] | None = None,
                            ) -> Iterator[list[GameSession]]:
    """The fleet's game sessions (with ProtectionPolicy), a page at a time, so a view can show
    the first rows while the rest load. ``cancelled()`` is asked before each request; when it
    says True no further page is fetched. ``pace()`` is called before each request too (it may
    sleep, to leave the interpreter to the UI thread for a moment)."""
    params: dict[str, Any] = {"FleetId": fleet_id, "PaginationConfig": {"PageSize": page_size}}
    if location:
        params["Location"] = location
    if status_filter:
        params["StatusFilter"] = status_filter
    pages = iter(_gamelift(ctx).get_paginator("describe_game_session_details").paginate(**params))
    while True:
        if pace is not None:
            pace()
        if cancelled is not None and cancelled():
            return
        page = next(pages, None)  # this is where the request is made
        if page is None:
            return
        yield [GameSession.from_details(d) for d in page.get("GameSessionDetails", [])]


def iter_fleets_session_pages(ctx: ClientSource,
                              scopes: Sequence[str | tuple[str, str | None]], *,
                              max_workers: int = 4, page_size: int = 100,
                              cancelled: Callable[[], bool] | None = None,
                              pace: Callable[[], None] | None = None,
                              ) -> Iterator[list[GameSession]]:
    """Pages of several fleets' sessions in arrival order, at most ``max_workers`` paged at
    once. A scope is a fleet id, or (fleet id, location) to page one location of a fleet: the
    locations of one fleet page side by side, where its NextToken chain would be serial.
    Scopes that fail do not stop the others; the first error is raised once every other scope
    has been read, so a caller keeps what did arrive."""
    pairs = [(s, None) if isinstance(s, str) else s for s in scopes]
    if len(pairs) == 1:
        yield from iter_game_session_pages(ctx, pairs[0][0], pairs[0][1], page_size=page_size,
                                           cancelled=cancelled, pace=pace)
        return
    # A bounded queue so a slow consumer holds the producers back instead of buffering 50k rows.
    # Each reader hands over its pages, then None when done or the error that stopped it.
    pages: queue.Queue[list[GameSession] | Exception | None] = queue.Queue(
        maxsize=max(4, 2 * max_workers))
    stop = threading.Event()

    def stopped() -> bool:
        return stop.is_set() or (cancelled is not None and cancelled())

    def put(item: list[GameSession] | Exception | None) -> None:
        while not stop.is_set():
            try:
                pages.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def read(fleet_id: str, location: str | None) -> None:
        try:
            for page in iter_game_session_pages(ctx, fleet_id, location, page_size=page_size,
                                                cancelled=stopped, pace=pace):
                put(page)
            put(None)
        except Exception as err:  # handed to the consumer, who decides what it means
            put(err)

    executor = ThreadPoolExecutor(max_workers=max(1, max_workers),
                                  thread_name_prefix="sessions")
    try:
        for fleet_id, location in pairs:
            # In the caller's context: a load the user asked for stays one (tui.aws.budget).
            executor.submit(contextvars.copy_context().run, read, fleet_id, location)
        remaining, first_error = len(pairs), None
        while remaining:
            if cancelled is not None and cancelled():
                return
            try:
                item = pages.get(timeout=0.1)
            except queue.Empty:
                continue
            if isinstance(item, list):
                yield item
            else:
                remaining -= 1
                if item is not None and first_error is None:
                    first_error = item
        if first_error is not None:
            raise first_error
    finally:
        stop.set()
        executor.shutdown(wait=False, cancel_futures=True)


def list_game_sessions(ctx: ClientSource, fleet_id: str, location: str | None = None,
                       status_filter: str | None = None) -> list[GameSession]:
    return [s for page in iter_game_session_pages(ctx, fleet_id, location, status_filter)
            for s in page]


def describe_game_session(ctx: ClientSource, session_id: str) -> GameSession:
    page = _gamelift(ctx).describe_game_session_details(GameSessionId=session_id)
    details = page.get("GameSessionDetails", [])
    if not details:
        raise ResourceGone(f"game session {session_id}")
    return GameSession.from_details(details[0])


def search_game_sessions(ctx: ClientSource, fleet_id: str | None = None, *,
                         alias_id: str | None = None, location: str | None = None,
                         filter_expression: str | None = None,
                         sort_expression: str | None = None, limit: int | None = None,
                         cancelled: Callable[[], bool] | None = None,
                         pace: Callable[[], None] | None = None,
                         ) -> Iterator[list[GameSession]]:
    """SearchGameSessions pages (ACTIVE sessions only; the service caps pages at 20)."""
    params: dict[str, Any] = {}
    for key, value in (("FleetId", fleet_id), ("AliasId", alias_id), ("Location", location),
                       ("FilterExpression", filter_expression),
                       ("SortExpression", sort_expression)):
        if value:
            params[key] = value
    if limit:
        params["PaginationConfig"] = {"MaxItems": limit}
    pages = iter(_gamelift(ctx).get_paginator("search_game_sessions").paginate(**params))
    while True:
        if pace is not None:
            pace()
        if cancelled is not None and cancelled():
            return
        page = next(pages, None)
        if page is None:
            return
        yield [GameSession.from_api(item) for item in page.get("GameSessions", [])]


def iter_player_sessions(ctx: ClientSource, session_id: str, status: str | None = None,
                         page_size: int = 50) -> Iterator[PlayerSession]:
    params: dict[str, Any] = {"GameSessionId": session_id,
                              "PaginationConfig": {"PageSize": page_size}}
    if status:
        params["PlayerSessionStatusFilter"] = status
    for item in _paginate(_gamelift(ctx), "describe_player_sessions", "PlayerSessions", **params):
        yield PlayerSession.from_api(item)


def _update_params(changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown_keys = set(changes) - _UPDATABLE
    if unknown_keys:
        raise TypeError(f"UpdateGameSession cannot change {', '.join(sorted(unknown_keys))}")
    params = {k: v for k, v in changes.items() if v is not None}
    props = params.get("GameProperties")
    if props is not None and not (isinstance(props, list) and all(isinstance(p, Mapping)
                                                                  for p in props)):
        params["GameProperties"] = properties_param(props)
    return params


def _sent_fields_match(session: GameSession, params: Mapping[str, Any]) -> dict[str, bool]:
    """Field (or ``GameProperties.KEY``) → whether the session read back has the value sent."""
    current: dict[str, Any] = {
        "MaximumPlayerSessionCount": session.maximum_player_session_count,
        "Name": session.name,
        "PlayerSessionCreationPolicy": session.player_session_creation_policy,
        "ProtectionPolicy": session.protection_policy,
    }
    found: dict[str, bool] = {}
    for key, value in params.items():
        if key == "GameProperties":
            have = dict(session.game_properties)
            for prop in value:
                found[f"GameProperties.{prop['Key']}"] = have.get(prop["Key"]) == prop["Value"]
        else:
            found[key] = current.get(key) == value
    return found


def update_game_session_outcome(ctx: ClientSource, session_id: str,
                                **changes: Any) -> Outcome[GameSession]:
    """UpdateGameSession; when its answer is lost, the session is read back and the fields
    sent compared (the API takes no idempotency token, so the call is not repeated)."""
    params = _update_params(changes)
    action = f"UpdateGameSession of {session_id}"

    def call() -> GameSession:
        response = _gamelift(ctx).update_game_session(GameSessionId=session_id, **params)
        # The response has no ProtectionPolicy; when this call set it, it is known.
        return GameSession.from_api(response["GameSession"], params.get("ProtectionPolicy"))

    def read_back(err: BaseException) -> Outcome[GameSession]:
        session = describe_game_session(ctx, session_id)
        found = _sent_fields_match(session, params)
        if all(found.values()):
            return outcome.applied(action, session, "the session has the values sent", err)
        if not any(found.values()):
            return outcome.not_applied(action, err, "the session still has its old values")
        # One UpdateGameSession changes all its fields or none: someone else changed some.
        wrong = ", ".join(k for k, ok in found.items() if not ok)
        return outcome.unknown(action, err, f"the session: {wrong} differ from what was sent "
                               "(changed by someone else?)")

    return outcome.reconcile(action, call, read_back,
                             check=_describe_cli(session_id) + " and compare the fields")


def update_game_session(ctx: ClientSource, session_id: str, **changes: Any) -> GameSession:
    """UpdateGameSession with AWS parameter names: MaximumPlayerSessionCount, Name,
    PlayerSessionCreationPolicy, ProtectionPolicy, GameProperties (a dict, pairs or the API's
    list; properties are added or changed, never deleted). A lost answer is reconciled (see
    ``tui.services.outcome``)."""
    return update_game_session_outcome(ctx, session_id, **changes).unwrap()


def _describe_cli(session_id: str) -> str:
    return f"`aws gamelift describe-game-session-details --game-session-id {session_id}`"


def _status_refused(err: BaseException) -> bool:
    return (isinstance(err, ClientError)
            and err.response.get("Error", {}).get("Code") == "InvalidGameSessionStatusException")


def terminate_game_session_outcome(ctx: ClientSource, session_id: str,
                                   mode: TerminationMode = "TRIGGER_ON_PROCESS_TERMINATE",
                                   ) -> Outcome[GameSession]:
    """TerminateGameSession. When the answer is lost, or the service says the session cannot be
    terminated, the session is read back: TERMINATING or TERMINATED means it is done."""
    action = f"TerminateGameSession of {session_id}"

    def call() -> GameSession:
        response = _gamelift(ctx).terminate_game_session(GameSessionId=session_id,
                                                         TerminationMode=mode)
        return GameSession.from_api(response["GameSession"])

    def read_back(err: BaseException) -> Outcome[GameSession]:
        session = describe_game_session(ctx, session_id)
        if session.status in ENDING:
            return outcome.applied(action, session, f"the session is {session.status}", err)
        return outcome.not_applied(action, err, f"the session is still {session.status}")

    return outcome.reconcile(action, call, read_back, also=_status_refused,
                             check=_describe_cli(session_id)
                             + " (TERMINATING or TERMINATED: it was done)")


def terminate_game_session(ctx: ClientSource, session_id: str,
                           mode: TerminationMode = "TRIGGER_ON_PROCESS_TERMINATE") -> GameSession:
    """TerminateGameSession; a session found TERMINATING or TERMINATED counts as done."""
    return terminate_game_session_outcome(ctx, session_id, mode).unwrap()


def new_idempotency_token() -> str:
    return str(uuid.uuid4())  # 36 characters, within the 48 allowed


def create_game_session_outcome(ctx: ClientSource, fleet_id: str | None,
                                maximum_player_session_count: int, *, name: str | None = None,
                                game_properties: Properties | None = None,
                                location: str | None = None, alias_id: str | None = None,
                                idempotency_token: str | None = None,
                                creator_id: str | None = None,
                                game_session_data: str | None = None) -> Outcome[GameSession]:
    """CreateGameSession, always with an idempotency token (a new one unless given), so that a
    retry cannot start a second session: botocore repeats a lost answer itself. When every try
    is lost, the session the token names is looked up."""
    token = idempotency_token or new_idempotency_token()
    params: dict[str, Any] = {
        "MaximumPlayerSessionCount": maximum_player_session_count,
        "IdempotencyToken": token,
    }
    for key, value in (("FleetId", fleet_id), ("AliasId", alias_id), ("Name", name),
                       ("Location", location), ("CreatorId", creator_id),
                       ("GameSessionData", game_session_data)):
        if value is not None:
            params[key] = value
    if game_properties:
        params["GameProperties"] = properties_param(game_properties)
    action = f"CreateGameSession on {fleet_id or alias_id} (IdempotencyToken {token})"
    where = f"--fleet-id {fleet_id}" if fleet_id else f"--alias-id {alias_id}"
    check = (f"`aws gamelift describe-game-sessions {where}` for a session whose id ends in "
             f"/{token}")

    def call() -> GameSession:
        return GameSession.from_api(_gamelift(ctx).create_game_session(**params)["GameSession"])

    def read_back(err: BaseException) -> Outcome[GameSession]:
        if not fleet_id:
            return outcome.unknown(action, err, check)
        # The service puts the token into the new session's id (its ARN names the location).
        region = location or _gamelift(ctx).meta.region_name
        try:
            session = describe_game_session(
                ctx, f"arn:aws:gamelift:{region}::gamesession/{fleet_id}/{token}")
        except (ResourceGone, ClientError):
            return outcome.unknown(action, err, check)
        return outcome.applied(action, session, f"session {session.game_session_id} exists", err)

    return outcome.reconcile(action, call, read_back, check=check)


def create_game_session(ctx: ClientSource, fleet_id: str | None,
                        maximum_player_session_count: int, **kwargs: Any) -> GameSession:
    """CreateGameSession (see ``create_game_session_outcome`` for the keyword arguments)."""
    return create_game_session_outcome(ctx, fleet_id, maximum_player_session_count,
                                       **kwargs).unwrap()


def get_game_session_log_url(ctx: ClientSource, session_id: str) -> str:
    """A presigned URL (valid for 15 minutes) of the ended session's log."""
    url: str = _gamelift(ctx).get_game_session_log_url(GameSessionId=session_id)["PreSignedUrl"]
    return url


# --- scripts and aliases --------------------------------------------------------------------


def list_scripts(ctx: ClientSource) -> list[Script]:
    return [Script.from_api(item) for item in _paginate(_gamelift(ctx), "list_scripts",
                                                         "Scripts")]


def describe_script(ctx: ClientSource, script_id: str) -> Script:
    return Script.from_api(_gamelift(ctx).describe_script(ScriptId=script_id)["Script"])


def _script_fields_match(script: Script, before: Script | None, params: Mapping[str, Any],
                         ) -> dict[str, bool | None]:
    """Field → whether the script read back has what was sent; None: cannot tell."""
    found: dict[str, bool | None] = {}
    if "Name" in params:
        found["Name"] = script.name == params["Name"]
    if "Version" in params:
        found["Version"] = script.version == params["Version"]
    if "StorageLocation" in params:
        have = script.storage_location or {}
        found["StorageLocation"] = all(have.get(k) == v for k, v in
                                       params["StorageLocation"].items() if k != "RoleArn")
    if "ZipFile" in params:
        size = len(params["ZipFile"])
        # Only the size shows: a zip of the size the script already had proves nothing.
        if script.size_on_disk != size:
            found["ZipFile"] = False
        elif before is not None and before.size_on_disk != size:
            found["ZipFile"] = True
        else:
            found["ZipFile"] = None
    return found


def update_script_outcome(ctx: ClientSource, script_id: str, *, zip_file: bytes | None = None,
                          storage_location: Mapping[str, str] | None = None,
                          name: str | None = None, version: str | None = None,
                          ) -> Outcome[Script]:
    """UpdateScript; when its answer is lost, DescribeScript shows whether the script has what
    was sent (no idempotency token: the call is not repeated)."""
    params: dict[str, Any] = {"ScriptId": script_id}
    if zip_file is not None:
        params["ZipFile"] = zip_file
    if storage_location is not None:
        params["StorageLocation"] = dict(storage_location)
    if name is not None:
        params["Name"] = name
    if version is not None:
        params["Version"] = version
    action = f"UpdateScript of {script_id}"
    before: Script | None = None
    if zip_file is not None and outcome.may_send(ctx):
        # New content is told apart by its size only, so the size before is needed too.
        try:
            before = describe_script(ctx, script_id)
        except Exception:  # the update itself will say what is wrong; reading back copes
            before = None

    def call() -> Script:
        return Script.from_api(_gamelift(ctx).update_script(**params)["Script"])

    def read_back(err: BaseException) -> Outcome[Script]:
        script = describe_script(ctx, script_id)
        found = _script_fields_match(script, before, params)
        known = [ok for ok in found.values() if ok is not None]
        # One UpdateScript changes everything it was given or nothing.
        if known and all(known):
            return outcome.applied(action, script, f"the script has the {', '.join(found)} sent",
                                   err)
        if known and not any(known):
            return outcome.not_applied(action, err, "the script is as it was")
        return outcome.unknown(action, err, f"`aws gamelift describe-script --script-id "
                               f"{script_id}`: its {', '.join(found)} cannot show whether the "
                               "new content was stored")

    return outcome.reconcile(action, call, read_back,
                             check=f"`aws gamelift describe-script --script-id {script_id}`")


def update_script(ctx: ClientSource, script_id: str, *, zip_file: bytes | None = None,
                  storage_location: Mapping[str, str] | None = None, name: str | None = None,
                  version: str | None = None) -> Script:
    """UpdateScript with new content (a zip ≤ 5 MB, or an S3 Bucket/Key[/ObjectVersion] with
    RoleArn) and/or new metadata. A lost answer is reconciled (see ``update_script_outcome``)."""
    return update_script_outcome(ctx, script_id, zip_file=zip_file,
                                 storage_location=storage_location, name=name,
                                 version=version).unwrap()


def list_aliases(ctx: ClientSource) -> list[Alias]:
    return [Alias.from_api(item) for item in _paginate(_gamelift(ctx), "list_aliases",
                                                        "Aliases")]
