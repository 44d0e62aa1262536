"""Command line: `gameops-tui [flags]` runs the console; `gameops-tui sim` runs the simulator."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence

from tui import __version__

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
    parser.add_argument("--demo-sessions", dest="demo_sessions", type=_positive, default=400,
                        metavar="N", help="game sessions in the demo world (default 400)")
    parser.add_argument("--print-config-paths", dest="print_paths", action="store_true",
                        help="show where config, audit log and downloads live, then exit")

    sub = parser.add_subparsers(dest="command", metavar="{sim}")
    sim = sub.add_parser("sim", help="run the AWS-compatible simulator on its own",
                         description="Serve the GameLift and GameSparks simulator over HTTP.")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=_port, default=0, help="0 picks a free port (default)")
    sim.add_argument("--sessions", type=_positive, default=400, help="game sessions (default 400)")
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
                     help="default | off | a JSON file of operation → [rate, burst]")
    sim.add_argument("--no-drift", dest="drift", action="store_false",
                     help="freeze player counts (status transitions still happen)")
    return parser


def _number(kind: type, low: float | None, high: float | None, label: str):  # noqa: ANN202
    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {label}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{text!r} is not {label}")
        return value

    return parse


_positive = _number(int, 1, None, "a whole number ≥ 1")
_non_negative = _number(int, 0, None, "a whole number ≥ 0")
_port = _number(int, 0, 65535, "a port number (0-65535)")
_rate = _number(float, 0.0, 1.0, "a fraction between 0 and 1")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "sim":
        return run_simulator(args)
    if args.print_paths:
        return print_paths()
    return run_app(args)


def print_paths() -> int:
    from tui import locations

    print(f"config     {locations.config_file()}")
    print(f"audit log  {locations.audit_log()}")
    print(f"downloads  {locations.downloads_dir()}")
    return 0


def run_simulator(args: argparse.Namespace) -> int:
    from tui.sim.server import RunningSimulator, SimConfig

    if args.rate_limits not in ("default", "off") and not os.path.isfile(args.rate_limits):
        print(f"gameops-tui sim: --rate-limits: no such file {args.rate_limits!r}", file=sys.stderr)
        return 2
    config = SimConfig(host=args.host, port=args.port, seed=args.seed, sessions=args.sessions,
                       fleets=args.fleets, region=args.region, rate_limits=args.rate_limits,
                       throttle_rate=args.throttle_rate, error_rate=args.error_rate,
                       drop_rate=args.drop_rate, latency_ms=args.latency_ms, drift=args.drift)
    try:
        server = RunningSimulator(config)
    except OSError as err:
        print(f"gameops-tui sim: cannot listen on {args.host}:{args.port}: {err.strerror}",
              file=sys.stderr)
        return 2
    print(f"gameops-tui simulator listening on {server.endpoint_url}", flush=True)
    print(f"  aws gamelift list-fleets --endpoint-url {server.endpoint_url} --region {args.region}",
          flush=True)
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


def run_app(args: argparse.Namespace) -> int:
    from tui.aws.session import AwsContext, ConfigurationProblem, Target

    simulator = None
    if args.demo:
        from tui.sim.server import SimConfig, start_simulator

        simulator = start_simulator(SimConfig(sessions=args.demo_sessions))
        target = Target(profile=None, region=args.region or DEMO_REGION,
                        endpoint_url=simulator.endpoint_url, read_only=args.read_only, demo=True)
    else:
        target = Target(profile=args.profile, region=args.region, endpoint_url=args.endpoint_url,
                        read_only=args.read_only)
    try:
        context = AwsContext(target)
    except ConfigurationProblem as problem:
        print(f"gameops-tui: {problem}", file=sys.stderr)
        return 2
    from tui.ui.app import GameOpsApp

    app = GameOpsApp(context, simulator=simulator)
    try:
        app.run()
    finally:
        if simulator is not None:
            simulator.stop()
    return app.return_code or 0
