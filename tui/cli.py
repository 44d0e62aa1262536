"""Command line: `gameops-tui [flags]` runs the console; `gameops-tui sim` runs the simulator."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tui import __version__

if TYPE_CHECKING:
    from tui.aws.session import Target
    from tui.config import Settings

DEMO_REGION = "us-west-2"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gameops-tui",
        description="Keyboard-driven console for Amazon GameLift and Amazon GameSparks live ops.",
        epilog="Try it without an AWS account: gameops-tui --demo",
    )
    parser.add_argument("--version", action="version", version=f"gameops-tui {__version__}")
    parser.add_argument("--profile", help="AWS profile from ~/.aws/config (default: AWS_PROFILE)")
    parser.add_argument("--region", help="AWS region (default: AWS_REGION / the profile's region)")
    parser.add_argument("--endpoint-url", dest="endpoint_url",
                        help="send AWS calls to this URL instead of the service endpoints")
    parser.add_argument("--demo", action="store_true",
                        help="run on the built-in simulated world (no AWS account needed)")
    parser.add_argument("--read-only", dest="read_only", action="store_true",
                        help="refuse every call that would change anything")
    parser.add_argument("--read-write", dest="read_write", action="store_true",
                        help="allow changes even when the config says read_only = true")
    parser.add_argument("--config", metavar="FILE",
                        help="settings file to use instead of the default config.toml "
                             "(also GAMEOPS_TUI_CONFIG)")
    parser.add_argument("--demo-sessions", dest="demo_sessions", type=_session_count, default=400,
                        metavar="N", help="game sessions in the demo world (default 400)")
    parser.add_argument("--print-config-paths", dest="print_paths", action="store_true",
                        help="show where config, audit log and downloads live, then exit")

    sub = parser.add_subparsers(dest="command", metavar="{sim}")
    sim = sub.add_parser("sim", help="run the AWS-compatible simulator on its own",
                         description="Serve the GameLift and GameSparks simulator over HTTP.")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=_port, default=0, help="0 picks a free port (default)")
    sim.add_argument("--sessions", type=_session_count, default=400,
                     help="game sessions (default 400)")
    sim.add_argument("--fleets", type=_non_negative, default=0,
                     help="number of uniform fleets; 0 = the demo world's own fleets (default)")
    sim.add_argument("--seed", type=int, default=7, help="seed of the generated world")
    sim.add_argument("--region", default=DEMO_REGION)
    sim.add_argument("--throttle-rate", dest="throttle_rate", type=_rate, default=0.0,
                     help="fraction of requests answered with ThrottlingException")
    sim.add_argument("--error-rate", dest="error_rate", type=_rate, default=0.0,
                     help="fraction of requests answered with a 5xx error")
    sim.add_argument("--drop-rate", dest="drop_rate", type=_rate, default=0.0,
                     help="fraction of connections dropped without an answer")
    sim.add_argument("--latency-ms", dest="latency_ms", type=_non_negative, default=0,
                     help="added to every request")
    sim.add_argument("--rate-limits", dest="rate_limits", default="default",
                     help="default (GameLift's documented limits, per operation and for "
                          "the account) | off | a JSON file of operation → [rate, burst]")
    sim.add_argument("--backend-load", dest="backend_load",
                     type=_number(float, 0, 500, "a number of calls a second, 0 to 500"),
                     default=0.0,
                     help="calls a second of a simulated game backend (creates, searches, "
                          "player-session look-ups) under its own access key, AKIDGAMEBACKEND")
    sim.add_argument("--no-drift", dest="drift", action="store_false",
                     help="freeze player counts (status transitions still happen)")
    return parser


def _number(kind: Callable[[str], float], low: float | None, high: float | None,
            label: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {label}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{text!r} is not {label}")
        return value

    return parse


_positive = _number(int, 1, None, "a whole number ≥ 1")
# The simulator holds every session in memory (about 2 kB each): a million is already 2 GB.
_session_count = _number(int, 1, 1_000_000, "a whole number ≥ 1 and ≤ 1000000")
_non_negative = _number(int, 0, None, "a whole number ≥ 0")
_port = _number(int, 0, 65535, "a port number (0-65535)")
_rate = _number(float, 0.0, 1.0, "a fraction between 0 and 1")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "sim":
        return run_simulator(args)
    if args.read_only and args.read_write:
        parser.error("--read-only and --read-write exclude each other")
    settings = load_settings(args)
    if args.print_paths:
        return print_paths(settings)
    return run_app(args, settings)


def load_settings(args: argparse.Namespace) -> Settings:
    import dataclasses
    from pathlib import Path

    from tui import locations
    from tui.config import load_settings as load

    settings = load(Path(args.config).expanduser() if args.config else None)
    locations.set_downloads_dir(settings.downloads_dir)
    if settings.downloads_dir is None:
        # The platform's folder can be unusable too (GAMEOPS_TUI_HOME under a file); a
        # configured one is reported by the config reader, with its line.
        problem = locations.folder_problem(locations.downloads_dir(create=False))
        if problem is not None:
            settings = dataclasses.replace(settings, problems=(
                *settings.problems,
                f"downloads folder: {problem}; exports and downloads fail until it is fixed "
                "(set downloads_dir in the config file)"))
    return settings


def print_paths(settings: Settings) -> int:
    """Where everything lives, created or not: printing a path must not fail on one that cannot
    be made (that is what the user runs this to find out), so nothing is created here and each
    folder that could not be used is said after its line."""
    from tui import locations

    config = settings.path or locations.config_file(create=False)
    note = "" if config and config.exists() else "  (not created yet: every key has a default)"
    print(f"config          {config}{note}")
    unusable: list[str] = []
    for label, path in (("saved searches", locations.saved_searches_file(create=False)),
                        ("app state", locations.state_file(create=False)),
                        ("audit log", locations.audit_log(create=False)),
                        ("downloads", locations.downloads_dir(create=False))):
        folder = path if label == "downloads" else path.parent
        problem = locations.folder_problem(folder)
        if problem is not None:
            unusable.append(f"{label}: {problem}")
        print(f"{label:<15} {path}{'  (cannot be used: see below)' if problem else ''}")
    shown = set()
    for problem in settings.problems:
        shown.add(problem)
        print(f"config problem: {problem}", file=sys.stderr)
    for problem in unusable:
        # Already said as a config problem when it came from the config's downloads_dir.
        if not any(problem.split(": ", 1)[1] in said for said in shown):
            print(f"problem: {problem}", file=sys.stderr)
    return 0


def run_simulator(args: argparse.Namespace) -> int:
    from tui.sim.server import RunningSimulator, SimConfig

    if args.rate_limits not in ("default", "off") and not os.path.isfile(args.rate_limits):
        print(f"gameops-tui sim: --rate-limits: no such file {args.rate_limits!r}", file=sys.stderr)
        return 2
    config = SimConfig(host=args.host, port=args.port, seed=args.seed, sessions=args.sessions,
                       fleets=args.fleets, region=args.region, rate_limits=args.rate_limits,
                       throttle_rate=args.throttle_rate, error_rate=args.error_rate,
                       drop_rate=args.drop_rate, latency_ms=args.latency_ms, drift=args.drift,
                       backend_load=args.backend_load)
    try:
        server = RunningSimulator(config)
    except OSError as err:
        print(f"gameops-tui sim: cannot listen on {args.host}:{args.port}: {err.strerror}",
              file=sys.stderr)
        return 2
    print(f"gameops-tui simulator listening on {server.endpoint_url}", flush=True)
    print(f"  aws gamelift list-fleets --endpoint-url {server.endpoint_url} --region {args.region}",
          flush=True)
    print("  (clients need some AWS keys set, any will do: AWS_ACCESS_KEY_ID=x "
          "AWS_SECRET_ACCESS_KEY=x)", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def resolve_target(args: argparse.Namespace, settings: Settings,
                   endpoint_url: str | None = None) -> tuple[Target, Settings]:
    """The AWS target from flags, then the AWS variables, then the config file, then
    ~/.aws/config; a config profile that does not exist is reported and skipped, not fatal.
    Returns (Target, settings with any new problem added)."""
    import dataclasses

    from tui.aws.session import Target, available_profiles

    read_only = args.read_only or (settings.read_only and not args.read_write)
    if args.demo:
        return Target(profile=args.profile, region=args.region or settings.region or DEMO_REGION,
                      endpoint_url=endpoint_url, read_only=read_only, demo=True), settings
    env_region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    env_profile = os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")
    profile = args.profile
    if not profile and not env_profile and settings.profile:
        if settings.profile in available_profiles():
            profile = settings.profile
        else:
            settings = dataclasses.replace(settings, problems=(
                *settings.problems,
                f"{settings.where(('profile',))}: no AWS profile {settings.profile!r} in "
                "~/.aws/config or ~/.aws/credentials; using the default credentials "
                "(P switches profile)"))
    region = args.region or (None if env_region else settings.region)
    return Target(profile=profile, region=region, endpoint_url=args.endpoint_url,
                  read_only=read_only), settings


def run_app(args: argparse.Namespace, settings: Settings) -> int:
    from tui.ui.gc_schedule import pause_during_startup
    from tui.ui.responsiveness import choose_frame_rate

    choose_frame_rate()  # before anything imports Textual, which reads it once
    pause_during_startup()  # until the app has mounted (GcSchedule.start)
    from tui.aws.session import AwsContext, ConfigurationProblem

    simulator = None
    if args.demo:
        from tui.sim.server import RunningSimulator, SimConfig

        # Listening but not yet serving: the process must have no thread when the fleet
        # prefetch below forks. Its connection waits in the listen queue meanwhile.
        simulator = RunningSimulator(SimConfig(sessions=args.demo_sessions))
    target, settings = resolve_target(args, settings,
                                      simulator.endpoint_url if simulator else None)
    try:
        context = AwsContext(target)
    except ConfigurationProblem as problem:
        print(f"gameops-tui: {problem}", file=sys.stderr)
        for note in settings.problems:
            print(f"gameops-tui: config: {note}", file=sys.stderr)
        if simulator is not None:
            simulator.stop()
        return 2
    from tui.services import fleet_prefetch

    # Asked for before Textual is imported, by a helper process where there is a core for it:
    # the first screen then waits for less.
    try:
        fleets_early = fleet_prefetch.start(context)
    finally:
        if simulator is not None:
            simulator.start()
    from tui.ui.app import GameOpsApp
    from tui.ui.lifecycle import install_signal_handlers

    app = GameOpsApp(context, simulator=simulator, settings=settings,
                     fleets_early=fleets_early)
    restore_signals = install_signal_handlers(app)
    try:
        app.run()
    finally:
        restore_signals()
        if simulator is not None:
            simulator.stop()
    return app.return_code or 0
