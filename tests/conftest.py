"""Shared fixtures: a simulator for the whole run, a private app home, hermetic AWS settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from simctl import World, WorldSpec, open_world

from tui.aws.session import AwsContext

# Everything that could point boto3 at a real account or change how it behaves.
_AWS_ENV = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_GAMELIFT",
    "AWS_ENDPOINT_URL_GAMESPARKS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE", "AWS_DATA_PATH", "AWS_CA_BUNDLE", "AWS_SDK_UA_APP_ID",
)


@pytest.fixture(autouse=True)
def hermetic_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No test sees the developer's ~/.aws, AWS_* variables or instance metadata.

    Returns the folder where a test may write its own AWS config files.
    """
    aws_dir = tmp_path / "aws-config"
    for name in _AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(aws_dir / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(aws_dir / "credentials"))
    # Otherwise a machine without credentials waits on the EC2 metadata service.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("GAMEOPS_TUI_HOME", str(tmp_path / "gameops-home"))
    return aws_dir


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "world(**spec): how the `world` fixture builds this test's simulator "
        "(tests.simctl.WorldSpec's fields: sessions, fleets, seed, frozen, ...)")


@pytest.fixture(scope="session")
def sim() -> Iterator[World]:
    """One live world for the whole run (its clock runs, sessions drift): for tests that only
    read. A test that changes the service, or counts what changed, takes ``world``."""
    with open_world(WorldSpec(sessions=400, frozen=False)) as shared:
        yield shared


@pytest.fixture
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    """A private simulator for this test: its mutation log holds only what the test did and
    nothing moves but what it does (frozen clock, no drift) unless its spec says otherwise.

    The spec is the test's (or its module's) ``@pytest.mark.world(sessions=..., ...)``, or a
    :class:`WorldSpec` given by ``@pytest.mark.parametrize("world", [...], indirect=True)``.
    """
    spec = getattr(request, "param", None)
    if not isinstance(spec, WorldSpec):
        marker = request.node.get_closest_marker("world")
        spec = WorldSpec(**(marker.kwargs if marker else {}))
    with open_world(spec) as private:
        yield private


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private GAMEOPS_TUI_HOME: config, audit log and downloads of this test only."""
    path = tmp_path / "home"
    monkeypatch.setenv("GAMEOPS_TUI_HOME", str(path))
    return path


@pytest.fixture
def aws(sim: World, home: Path) -> AwsContext:
    """The demo target pointed at the shared simulator; audit log under ``home``."""
    return sim.aws()
