"""`runner-up`: run the assistant, report on the NLU, benchmark it.

    runner-up run      migrate, train if data or config changed (or --model PATH), start everything
    runner-up serve    one process (rasa, actions or checkins) in the foreground, for replicas
    runner-up migrate  the progress store's schema, then conversations keyed by channel (per release)
    runner-up scale    2 Rasa + 2 action servers + 2 check-in workers on PostgreSQL and Redis, under load
    runner-up report   NLU report (emotion and stage macro-F1), see runner_up.nlu.report
    runner-up bench    benchmark (parse latency, memory, load and training time)
    runner-up resources  write domain.yml's crisis resources from data/crisis_resources.yml
    runner-up checkins run the check-in scheduler; list, cancel or send check-ins (operators)
    runner-up hostile  send hostile and odd inputs to a running server, check it, report
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence, Text

from runner_up.settings import apply_process_defaults


def main(argv: Optional[Sequence[Text]] = None) -> int:
    """Entry point of the `runner-up` command."""
    apply_process_defaults()
    parser = argparse.ArgumentParser(prog="runner-up", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="train when needed, then start the action server and Rasa",
                        add_help=False)
    commands.add_parser("migrate", help="the stores to the newest schema and keys", add_help=False)
    commands.add_parser("serve", help="one process in the foreground", add_help=False)
    commands.add_parser("scale", help="the scaled-out set-up under load", add_help=False)
    commands.add_parser("report", help="NLU report", add_help=False)
    commands.add_parser("bench", help="benchmark", add_help=False)
    commands.add_parser("resources", help="crisis resources into domain.yml", add_help=False)
    commands.add_parser("checkins", help="check-in scheduler and queue", add_help=False)
    commands.add_parser("hostile", help="bad-input corpus against a running server", add_help=False)
    args, rest = parser.parse_known_args(argv)

    if args.command == "run":
        from runner_up.runner import run

        return run(rest)
    if args.command == "migrate":
        from runner_up.runner import migrate_command

        return migrate_command(rest)
    if args.command == "serve":
        from runner_up.runner import serve

        return serve(rest)
    if args.command == "scale":
        from runner_up.scale import main as scale

        return scale(rest)
    if args.command == "report":
        from runner_up.nlu.report import main as report

        return report(rest)
    if args.command == "checkins":
        from runner_up.checkins.cli import main as checkins

        return checkins(rest)
    if args.command == "hostile":
        from runner_up.hostile import main as hostile

        return hostile(rest)
    if args.command == "resources":
        from runner_up.crisis_resources import main as resources

        return resources(rest)
    from runner_up.bench import main as bench

    return bench(rest)


if __name__ == "__main__":
    sys.exit(main())
