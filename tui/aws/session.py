"""Where AWS calls go: the target (profile, region, endpoint), the botocore session, its clients.

botocore directly, not boto3: boto3 adds nothing for clients (they are botocore clients) and its
import, s3transfer with it, took a sixth of the start-up time. Every client made here carries
the read-only guard, the audit hooks and the lost-answer retry rule (``tui.aws.retries``), so
that safety does not depend on each screen remembering it.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypedDict, cast

import botocore.session
from botocore import exceptions as bx
from botocore.config import Config
from botocore.utils import parse_timestamp, validate_region_name

from tui import __version__
from tui.aws.audit import AuditLog
from tui.aws.budget import DEFAULT_SHARE, ApiBudget
from tui.aws.errors import BAD_CREDENTIALS, ConfigurationProblem, Failure, classify, explain
from tui.aws.fast_parse import FastResponseParserFactory
from tui.aws.guard import ReadOnlyGuard
from tui.aws.operations import is_read_operation
from tui.aws.retries import THROTTLING_CODES, LostAnswerGuard

GAMESPARKS_DATA = Path(__file__).parent / "data"

DEMO_ACCESS_KEY_ID = "AKIDGAMEOPSDEMO"
DEMO_SECRET_ACCESS_KEY = "demo-secret"
DEMO_REGION = "us-west-2"

ServiceName = Literal["gamelift", "gamesparks", "sts"]
# Profiles the demo offers in its profile picker: all talk to the simulator; the second shows
# what a production banner looks like.
DEMO_PROFILES = ("demo", "demo-prod")

__all__ = ["AwsContext", "ConfigurationProblem", "Target"]


@dataclass(frozen=True)
class Target:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    read_only: bool = False
    demo: bool = False
    # Only for the demo (fixed fake keys by default) and tests against the simulator; real
    # accounts use the standard credential chain. Kept out of repr so they never reach a log.
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    # The share of the documented limits this target's calls keep to (the config's
    # api_budget). None: no budget, only counting; for a simulator run with its limits off
    # (the tests' worlds), where there is no one to share with.
    api_budget: float | None = DEFAULT_SHARE


def register_gamesparks_model(session: botocore.session.Session) -> None:
    """Put the bundled GameSparks model on the loader path: botocore stopped shipping it."""
    loader = session.get_component("data_loader")
    path = str(GAMESPARKS_DATA)
    if path not in loader.search_paths:
        loader.search_paths.insert(0, path)


def parse_timestamp_utc(value: Any) -> dt.datetime:
    """botocore's timestamp parser, minus its detour through the local time zone: epoch
    numbers (GameLift's JSON) become UTC datetimes directly. botocore's own way goes through
    dateutil's tzlocal, which cost a fifth of parsing a page of sessions; the records convert
    every time to UTC anyway."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    return parse_timestamp(value).astimezone(dt.UTC)


def use_fast_parsing(session: botocore.session.Session) -> None:
    """Clients made afterwards parse GameLift's JSON with `fast_parse` and timestamps with
    `parse_timestamp_utc`, through botocore's own component and parser defaults (the AWS CLI
    uses the same hook for its raw timestamps)."""
    factory = FastResponseParserFactory()
    factory.set_parser_defaults(timestamp_parser=parse_timestamp_utc)
    session.register_component("response_parser_factory", factory)


RetryMode = Literal["legacy", "standard", "adaptive"]
_RETRY_MODES: dict[str, RetryMode] = {"legacy": "legacy", "standard": "standard",
                                      "adaptive": "adaptive"}


class _Retries(TypedDict, total=False):
    """botocore's Config(retries=...) dictionary."""

    mode: RetryMode
    max_attempts: int
    total_max_attempts: int


def client_config() -> Config:
    # Adaptive retries: GameLift's per-account rate limits are low, and adaptive mode also slows
    # the client down instead of only backing off. AWS_RETRY_MODE / AWS_MAX_ATTEMPTS still win,
    # as they do for the AWS CLI (botocore would let this explicit Config override them).
    mode = _RETRY_MODES.get(os.environ.get("AWS_RETRY_MODE", "").strip(), "adaptive")
    retries: _Retries = {"mode": mode, "max_attempts": 8}  # retries after the first try
    try:
        total = int(os.environ.get("AWS_MAX_ATTEMPTS", ""))
    except ValueError:
        total = 0
    if total >= 1:  # the variable counts the first attempt too, like total_max_attempts
        retries = {"mode": mode, "total_max_attempts": total}
    return Config(
        retries=retries,
        connect_timeout=5,
        read_timeout=20,
        max_pool_connections=16,
        user_agent_extra=f"gameops-tui/{__version__}",
    )


def available_profiles() -> list[str]:
    """Profile names from ~/.aws/config and ~/.aws/credentials (AWS_CONFIG_FILE and
    AWS_SHARED_CREDENTIALS_FILE move them), sorted; [] when the files cannot be read."""
    try:
        return sorted(set(botocore.session.Session().available_profiles))
    except bx.BotoCoreError:
        return []


def gamelift_regions() -> list[str]:
    """Regions where GameLift is offered, from botocore's endpoint data (no network call)."""
    return sorted(botocore.session.Session(profile=None).get_available_regions("gamelift"))


def gamelift_budget(share: float | None = DEFAULT_SHARE) -> ApiBudget:
    """A budget at ``share`` of GameLift's documented limits (tui/aws/rate_limits.json);
    None: one that only counts (no limits, no waits)."""
    from tui.aws.limits import documented_limits

    if share is None:
        return ApiBudget({}, None)
    limits = documented_limits().service("GameLift")
    return ApiBudget(limits.operations, limits.account, share=share)


class AwsContext:
    """A resolved target: a botocore session with a region and credentials, and its clients."""

    def __init__(self, target: Target, *, audit_path: Path | None = None) -> None:
        self.target = target
        core = self._new_core(target)
        # The profile botocore will use: --profile, else AWS_DEFAULT_PROFILE / AWS_PROFILE.
        self.profile_name = (target.profile or "demo") if target.demo else (
            target.profile or core.get_config_variable("profile") or "default")
        try:
            register_gamesparks_model(core)  # reads config (data_path), so it can meet the error
            use_fast_parsing(core)
            self._session = self._make_session(core, target)
            self.region = self._resolve_region()
            self._credentials = self._check_credentials()
        except bx.ProfileNotFound as err:
            raise self._profile_problem(core, err) from None
        if target.demo and not target.endpoint_url:
            raise ConfigurationProblem("demo mode needs the simulator's endpoint URL")
        if audit_path is None:
            from tui import locations

            audit_path = locations.audit_log()
        self.audit = AuditLog(audit_path, profile=self.profile_name, region=self.region,
                              endpoint=target.endpoint_url, secret_values=self._secret_values)
        self.guard = ReadOnlyGuard(enabled=target.read_only, on_refused=self.audit.record_refused)
        # A mutation without an idempotency token is not retried once it may have arrived.
        self.lost_answers = LostAnswerGuard()
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        # Set when AWS said the credentials are expired or invalid: the next client() builds a
        # new session, so that credentials the user fixed meanwhile (`aws sso login`, a new key
        # in ~/.aws/credentials) are used without restarting the app.
        self._credentials_rejected = False
        # Called by background threads before parsing a response (the app's InputPacer).
        self.pace: Callable[[], None] | None = None
        # Every GameLift call of this target takes its tokens here first (tui.aws.budget).
        self.budget = gamelift_budget(target.api_budget)

    # --- resolution --------------------------------------------------------------------------

    @staticmethod
    def _new_core(target: Target) -> botocore.session.Session:
        core = botocore.session.Session()
        if target.demo:
            # The demo talks only to the simulator: nothing from ~/.aws or AWS_PROFILE may
            # change where it goes or which keys it signs with.
            core.set_config_variable("config_file", os.devnull)
            core.set_config_variable("credentials_file", os.devnull)
            # On the config store itself: a session variable of None would fall through to
            # AWS_PROFILE, while a store override of None means "no profile".
            core.get_component("config_store").set_config_variable("profile", None)
        return core

    def _make_session(self, core: botocore.session.Session,
                      target: Target) -> botocore.session.Session:
        # What boto3.session.Session(...) would do with these arguments.
        key, secret = target.access_key_id, target.secret_access_key
        if target.demo and not key:
            key, secret = DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
        if target.profile is not None and not target.demo:
            core.set_config_variable("profile", target.profile)
        if key or secret:
            # A half-given pair goes to botocore with its None, as boto3.Session passes it
            # (botocore-stubs say str; the call takes None).
            core.set_credentials(cast(str, key), cast(str, secret))
        return core

    def _resolve_region(self) -> str:
        # The AWS CLI's order: --region, AWS_REGION, AWS_DEFAULT_REGION, then the profile.
        # botocore itself does not read AWS_REGION, hence the explicit look-up.
        if self.target.demo:
            region: str | None = self.target.region or DEMO_REGION
        else:
            region = (self.target.region or os.environ.get("AWS_REGION")
                      or self._session.get_config_variable("region"))
        if not region:
            raise ConfigurationProblem(
                "No AWS region: pass --region, set AWS_REGION, or set region in ~/.aws/config "
                f"for profile {self.profile_name}; or run `gameops-tui --demo`")
        try:
            validate_region_name(region)
        except bx.InvalidRegionError:
            raise ConfigurationProblem(
                f"{region!r} is not a valid AWS region name (for example us-west-2)") from None
        return region

    def _check_credentials(self) -> Any:
        # Only finds the credentials; SSO and assume-role credentials are fetched on first use,
        # so an expired SSO login shows up as an error of the first call (see errors.explain).
        try:
            credentials = self._session.get_credentials()
        except bx.ProfileNotFound:
            raise
        except bx.BotoCoreError as err:
            raise ConfigurationProblem(
                f"Cannot load AWS credentials for profile {self.profile_name}: "
                f"{explain(err, profile=self.profile_name)}") from None
        if credentials is None:
            raise ConfigurationProblem(
                f"No AWS credentials found for profile {self.profile_name}: run `aws configure` "
                f"or `aws sso login --profile {self.profile_name}`, or try `gameops-tui --demo`")
        return credentials

    def _profile_problem(self, core: botocore.session.Session,
                         err: bx.ProfileNotFound) -> ConfigurationProblem:
        missing = err.kwargs.get("profile") or self.profile_name
        files = " or ".join(
            str(core.get_config_variable(name) or default)
            for name, default in (("config_file", "~/.aws/config"),
                                  ("credentials_file", "~/.aws/credentials")))
        try:
            # A fresh session: the failing one has the missing profile set and would raise again.
            known = sorted(botocore.session.Session().full_config.get("profiles", {}))
        except bx.BotoCoreError:
            known = []
        listing = ", ".join(known) if known else "none"
        source = "--profile" if self.target.profile else "AWS_PROFILE"
        return ConfigurationProblem(
            f"AWS profile {missing!r} (from {source}) not found in {files} "
            f"(available profiles: {listing}); pass --profile with one of them, "
            "or run `aws configure --profile NAME`")

    def _secret_values(self) -> list[str]:
        """The credential strings in use, so the audit log can make sure it never holds them."""
        values: list[str] = []
        if self.target.access_key_id:
            values.append(self.target.access_key_id)
        if self.target.secret_access_key:
            values.append(self.target.secret_access_key)
        if self.target.demo:
            values += [DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY]
        try:
            frozen = self._credentials.get_frozen_credentials()
            values += [v for v in (frozen.access_key, frozen.secret_key, frozen.token) if v]
        except Exception:  # a credential refresh failing must not stop an audit record
            pass
        return values

    # --- clients -----------------------------------------------------------------------------

    def client(self, service: ServiceName) -> Any:
        """The client for ``service`` (built once, then shared: botocore clients are thread-safe,
        their creation is not)."""
        with self._lock:
            if self._credentials_rejected:
                self._reload_credentials()
            existing = self._clients.get(service)
            if existing is not None:
                return existing
            try:
                client = self._session.create_client(service, region_name=self.region,
                                                     endpoint_url=self.target.endpoint_url,
                                                     config=client_config())
            except bx.UnknownServiceError as err:
                raise ConfigurationProblem(
                    f"botocore does not know the {service} service: {err}") from None
            self.guard.register(client.meta.events)
            self.audit.register(client.meta.events)
            self.lost_answers.register(client.meta.events, client.exceptions)
            client.meta.events.register("after-call.*.*", self._after_call,
                                        unique_id="gameops-tui.credentials-check")
            client.meta.events.register("before-parse.*.*", self._before_parse,
                                        unique_id="gameops-tui.pace-parsing")
            if service == "gamelift":  # the service whose limits are documented
                # Per attempt: botocore's retries count against the account's limits too.
                client.meta.events.register("before-send.gamelift", self._spend,
                                            unique_id="gameops-tui.api-budget")
                client.meta.events.register("needs-retry.gamelift", self._note_throttle,
                                            unique_id="gameops-tui.api-budget.throttles")
            self._clients[service] = client
            return client

    def _before_parse(self, **kwargs: Any) -> None:
        # Parsing holds the GIL for most of a page's cost: a background thread about to parse
        # waits while the UI answers a key (see tui.services.pacing). Never the main thread:
        # it is the one that would answer.
        pace = self.pace
        if pace is not None and threading.current_thread() is not threading.main_thread():
            pace()

    def _spend(self, event_name: str = "", **kwargs: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        # A change is the user's action, and the main thread must never sleep: neither waits.
        foreground = (not is_read_operation(operation)
                      or threading.current_thread() is threading.main_thread())
        self.budget.spend(operation, foreground=foreground)

    def _note_throttle(self, event_name: str = "", response: Any = None, **kwargs: Any) -> None:
        if response is None:
            return
        parsed = response[1] if isinstance(response, tuple) and len(response) > 1 else None
        error = parsed.get("Error") if isinstance(parsed, dict) else None
        # LimitExceededException is a quota (one create a second per CreatorId), not a rate.
        code = error.get("Code") if isinstance(error, dict) else None
        if code in THROTTLING_CODES and code != "LimitExceededException":
            self.budget.throttled(event_name.rsplit(".", 1)[-1])

    def _after_call(self, parsed: Any = None, **kwargs: Any) -> None:
        error = parsed.get("Error") if isinstance(parsed, dict) else None
        if isinstance(error, dict) and error.get("Code") in BAD_CREDENTIALS:
            self._credentials_rejected = True

    def _reload_credentials(self) -> None:
        """A new session and new clients, resolving the credentials again (lock held). A
        ConfigurationProblem (nothing usable yet) goes to the caller, and the next call
        tries again."""
        core = self._new_core(self.target)
        try:
            register_gamesparks_model(core)
            use_fast_parsing(core)
            self._session = self._make_session(core, self.target)
            self._credentials = self._check_credentials()
        except bx.ProfileNotFound as err:
            raise self._profile_problem(core, err) from None
        self._clients = {}
        self._credentials_rejected = False

    def explain(self, err: BaseException) -> str:
        """`tui.aws.errors.explain` for this target: fixes name its profile, so an expired SSO
        login reads `aws sso login --profile NAME` (the demo has no profile to log into)."""
        return explain(err, profile=None if self.target.demo else self.profile_name)

    def classify(self, err: BaseException) -> Failure:
        """`tui.aws.errors.classify` for this target (its fixes name the profile)."""
        return classify(err, profile=None if self.target.demo else self.profile_name)

    def caller_identity(self) -> dict[str, str]:
        """STS GetCallerIdentity: ``Account``, ``Arn`` and ``UserId`` of the credentials in use.
        Needs no permission, so it is the cheapest check that the credentials work at all."""
        answer = self.client("sts").get_caller_identity()
        return {key: str(answer.get(key, "")) for key in ("Account", "Arn", "UserId")}

    @property
    def read_only(self) -> bool:
        return self.guard.enabled

    @read_only.setter
    def read_only(self, value: bool) -> None:
        self.guard.enabled = value

    def describe(self) -> dict[str, str]:
        """Short strings for the header: profile, region, endpoint, access mode."""
        return {
            "profile": self.profile_name,
            "region": self.region,
            "endpoint": self.target.endpoint_url or "AWS",
            "mode": "read-only" if self.guard.enabled else "read-write",
        }
