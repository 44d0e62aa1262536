"""Profile and region switching, the account id from STS, SSO logins that expired, the banner.

Real boto3 over HTTP to the simulator throughout: STS GetCallerIdentity (query protocol, XML)
and, for SSO, botocore's own token cache and SSO portal call (pointed at the simulator with
AWS_ENDPOINT_URL_SSO), exactly as `aws sso login` leaves things.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from apptest import settle, wait_for
from botocore.exceptions import ClientError
from simctl import World
from textual.widgets import DataTable

from tui.aws.session import available_profiles, gamelift_regions
from tui.cli import build_parser, resolve_target
from tui.config import BannerRule, Settings
from tui.ui.app import GameOpsApp
from tui.ui.screens.profile_picker import ProfilePicker
from tui.ui.screens.profile_sso import SsoLoginScreen
from tui.ui.screens.region_picker import RegionPicker
from tui.ui.widgets.context_bar import ContextBar

ACCOUNT = "123456789012"
SSO_URL = "https://gameops.awsapps.com/start"


def bar_text(app: GameOpsApp) -> str:
    return app.query_one(ContextBar).render_bar().plain


def fleet_ids(app: GameOpsApp) -> set[str]:
    table = app.query_one("#sessions-pane #fleet-table", DataTable)
    return {str(key.value) for key in table.rows} - {"*"}  # "*": the all-fleets row


def fleets_held(world: World) -> list[str]:
    """The home region's fleet ids as the service holds them."""
    return [f["FleetId"] for f in world.state()["gamelift"]["fleets"]]


def write_profiles(aws_dir: Path, config: str, credentials: str = "") -> None:
    aws_dir.mkdir(parents=True, exist_ok=True)
    (aws_dir / "config").write_text(config)
    (aws_dir / "credentials").write_text(credentials)


STATIC_PROFILES = """\
[profile dev]
region = us-west-2
[profile prod-admin]
region = us-west-2
[profile broken]
region = us-west-2
role_arn = arn:aws:iam::123456789012:role/Ops
source_profile = nowhere
"""
STATIC_KEYS = """\
[dev]
aws_access_key_id = AKIDDEVEXAMPLE01
aws_secret_access_key = dev-secret
[prod-admin]
aws_access_key_id = AKIDPRODEXAMPLE1
aws_secret_access_key = prod-secret
"""


# --- the simulator's STS ------------------------------------------------------------------------

def test_sts_caller_identity_through_boto3(world: World, home: Path) -> None:
    aws = world.aws()
    identity = aws.caller_identity()
    assert identity["Account"] == ACCOUNT
    assert identity["Arn"].startswith(f"arn:aws:iam::{ACCOUNT}:")
    # The query protocol's error shape reaches boto3 as the right error code.
    world.credentials(expired=["AKIDGAMEOPSDEMO"])
    with pytest.raises(ClientError) as caught:
        aws.client("sts").get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "ExpiredToken"


def test_regions_and_profiles_come_from_botocore(hermetic_aws_env: Path) -> None:
    regions = gamelift_regions()
    assert {"us-west-2", "eu-west-1", "ap-northeast-1"} <= set(regions)
    assert regions == sorted(regions)
    write_profiles(hermetic_aws_env, STATIC_PROFILES, STATIC_KEYS)
    assert available_profiles() == ["broken", "dev", "prod-admin"]


# --- switching in the app -----------------------------------------------------------------------

@pytest.mark.world(sessions=60, frozen=False)
async def test_region_switch_reloads_every_pane_with_the_new_regions_data(world: World,
                                                                           home: Path) -> None:
    app = GameOpsApp(world.aws(), simulator=world)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, rounds=4)
        assert ACCOUNT in bar_text(app)
        home_fleets = set(fleets_held(world))
        assert fleet_ids(app) == home_fleets
        old_panes = {name: app.query_one(f"#{name}-pane")
                     for name in ("sessions", "search", "scripts", "stages")}
        await pilot.press("G")
        assert isinstance(app.screen, RegionPicker)
        await pilot.press(*"eu-west-1", "enter")
        await settle(app, pilot, rounds=4)
        assert "eu-west-1" in bar_text(app) and "us-west-2" not in bar_text(app)
        assert app.aws.region == "eu-west-1"
        eu_fleets = set(world.fleets("eu-west-1"))
        assert eu_fleets and eu_fleets.isdisjoint(home_fleets)
        assert fleet_ids(app) == eu_fleets  # the new region's fleets, none of the old
        for name, old in old_panes.items():
            assert app.query_one(f"#{name}-pane") is not old  # fresh panes, no stale state
        # The picker knows where we are now.
        await pilot.press("G")
        current = app.screen.query_one("#choice-list")
        assert "● eu-west-1  (current)" in str(current.get_option_at_index(
            current.highlighted).prompt)
        await pilot.press("escape")
        assert app.aws.region == "eu-west-1"


async def test_profile_switch_shows_banner_and_account(sim: World, home: Path,
                                                       hermetic_aws_env: Path) -> None:
    write_profiles(hermetic_aws_env, STATIC_PROFILES, STATIC_KEYS)
    settings = Settings(banner=(BannerRule("*prod*", "darkred", "PROD"),))
    app = GameOpsApp(sim.aws(demo=False, region=None, profile="dev"),
                     settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, rounds=4)
        bar = app.query_one(ContextBar)
        # At 80 columns the bar drops its words: "dev @ us-west-2 · 123456789012 · http://…".
        assert bar_text(app).startswith("dev @ us-west-2 · ") and "PROD" not in bar_text(app)
        assert ACCOUNT in bar_text(app)
        plain_background = bar.styles.background
        await pilot.press("P")
        assert isinstance(app.screen, ProfilePicker)
        listed = app.screen.query_one("#choice-list")
        names = [listed.get_option_at_index(i).id for i in range(listed.option_count)]
        assert names == ["broken", "dev", "prod-admin"]
        await pilot.press(*"prod", "enter")
        await settle(app, pilot, rounds=4)
        text = bar_text(app)
        assert text.startswith(" PROD ")  # words, not only colour
        assert "prod-admin @ us-west-2" in text and ACCOUNT in text
        assert bar.styles.background != plain_background
        assert app.aws.profile_name == "prod-admin"
        assert len(fleet_ids(app)) == len(fleets_held(sim))


async def test_a_broken_profile_is_explained_and_the_app_stays(sim: World,
                                                               home: Path,
                                                               hermetic_aws_env: Path) -> None:
    write_profiles(hermetic_aws_env, STATIC_PROFILES, STATIC_KEYS)
    app = GameOpsApp(sim.aws(demo=False, region=None, profile="dev"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, rounds=4)
        await pilot.press("P", *"broken", "enter")
        # The refusal is told: only then is "still on dev" a proof of anything.
        await wait_for(pilot, lambda: any(n.title == "cannot switch"
                                          for n in app._notifications))
        await settle(app, pilot, rounds=4)
        assert app.aws.profile_name == "dev" and bar_text(app).startswith("dev @")
        messages = [n.message for n in app._notifications]
        assert any(n.title == "cannot switch" for n in app._notifications)
        assert any("broken" in m and "Still on profile dev" in m for m in messages)
        assert len(fleet_ids(app)) == len(fleets_held(sim))


# --- SSO -----------------------------------------------------------------------------------------

def sso_setup(tmp_path: Path, aws_dir: Path, monkeypatch, endpoint: str) -> Path:  # noqa: ANN001
    write_profiles(aws_dir, f"""\
[profile ops-sso]
sso_start_url = {SSO_URL}
sso_region = us-west-2
sso_account_id = {ACCOUNT}
sso_role_name = GameOpsRole
region = us-west-2
""")
    # botocore fixes ~/.aws/sso/cache when it is imported; the test's cache lives in tmp_path.
    # Everything else is botocore's own: reading the token, judging its expiry, calling the SSO
    # portal (the simulator, through AWS_ENDPOINT_URL_SSO) for role credentials.
    from botocore.credentials import SSOProvider

    cache = tmp_path / "sso-cache"
    cache.mkdir()
    monkeypatch.setattr(SSOProvider, "_SSO_TOKEN_CACHE_DIR", str(cache))
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", endpoint)
    return cache / (hashlib.sha1(SSO_URL.encode()).hexdigest() + ".json")


def write_token(path: Path, *, hours: float) -> None:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)
    path.write_text(json.dumps({"startUrl": SSO_URL, "region": "us-west-2",
                                "accessToken": f"token-{hours}",
                                "expiresAt": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}))


async def test_expired_sso_login_names_the_command_and_retry_recovers(
        sim: World, home: Path, hermetic_aws_env: Path, tmp_path: Path,
        monkeypatch) -> None:  # noqa: ANN001
    token = sso_setup(tmp_path, hermetic_aws_env, monkeypatch, sim.endpoint_url)
    write_token(token, hours=-2)  # the login of yesterday
    app = GameOpsApp(sim.aws(demo=False, region=None, profile="ops-sso"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, rounds=4)
        assert isinstance(app.screen, SsoLoginScreen)
        command = app.screen.query_one("#sso-command").render()
        assert str(command) == "aws sso login --profile ops-sso"
        assert "ops-sso" in bar_text(app) and ACCOUNT not in bar_text(app)
        assert " ? " in bar_text(app)  # the account is not known
        # What `aws sso login --profile ops-sso` does: a fresh token in the cache.
        write_token(token, hours=8)
        await pilot.press("enter")  # Retry has the focus
        await settle(app, pilot, rounds=4)
        assert not isinstance(app.screen, SsoLoginScreen)
        assert ACCOUNT in bar_text(app)
        assert len(fleet_ids(app)) == len(fleets_held(sim))


async def test_reconnect_key_retries_after_closing_the_sso_screen(
        sim: World, home: Path, hermetic_aws_env: Path, tmp_path: Path,
        monkeypatch) -> None:  # noqa: ANN001
    token = sso_setup(tmp_path, hermetic_aws_env, monkeypatch, sim.endpoint_url)
    write_token(token, hours=-1)
    app = GameOpsApp(sim.aws(demo=False, region=None, profile="ops-sso"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, rounds=4)
        assert isinstance(app.screen, SsoLoginScreen)
        await pilot.press("escape")
        # The pane says so too, where the data should have been.
        status = str(app.query_one("#sessions-pane #fleet-status").render())
        assert "SSO session expired" in status and "aws sso login --profile ops-sso" in status
        write_token(token, hours=8)
        await pilot.press("C")
        await settle(app, pilot, rounds=4)
        assert ACCOUNT in bar_text(app)
        assert len(fleet_ids(app)) == len(fleets_held(sim))


# --- where the target comes from ---------------------------------------------------------------

def test_config_profile_and_region_are_defaults_below_flags_and_env(
        hermetic_aws_env: Path, monkeypatch) -> None:  # noqa: ANN001
    write_profiles(hermetic_aws_env, STATIC_PROFILES, STATIC_KEYS)
    settings = Settings(profile="prod-admin", region="eu-west-1", read_only=True)
    parse = build_parser().parse_args

    target, _ = resolve_target(parse([]), settings)
    assert (target.profile, target.region, target.read_only) == ("prod-admin", "eu-west-1", True)
    target, _ = resolve_target(parse(["--profile", "dev", "--region", "us-east-1",
                                      "--read-write"]), settings)
    assert (target.profile, target.region, target.read_only) == ("dev", "us-east-1", False)
    monkeypatch.setenv("AWS_PROFILE", "dev")
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    target, _ = resolve_target(parse([]), settings)
    assert (target.profile, target.region) == (None, None)  # botocore reads the variables


def test_a_missing_config_profile_is_reported_not_fatal(hermetic_aws_env: Path) -> None:
    write_profiles(hermetic_aws_env, STATIC_PROFILES, STATIC_KEYS)
    settings = Settings(profile="gone", path=Path("/cfg/config.toml"))
    target, settings = resolve_target(build_parser().parse_args([]), settings)
    assert target.profile is None
    (problem,) = settings.problems
    assert problem.startswith("/cfg/config.toml, key profile: no AWS profile 'gone'")


def test_demo_ignores_config_profile(hermetic_aws_env: Path) -> None:
    args = argparse.Namespace(demo=True, profile=None, region=None, read_only=False,
                              read_write=False, endpoint_url=None)
    target, _ = resolve_target(args, Settings(profile="prod-admin"), "http://127.0.0.1:1")
    assert target.demo and target.profile is None and target.region == "us-west-2"
