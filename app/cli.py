"""The command line: `python -m app <command>`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from app.config import ConfigError, Settings, load_settings
from app.content.registry import read_registry
from app.content.validate import validate_path
from app.db import (
    check_database,
    check_migrations_current,
    describe_database,
    ensure_data_dir,
    make_engine,
    migrate,
)

Command = Callable[[argparse.Namespace, Settings], int]


def _prepare(settings: Settings) -> None:
    if settings.is_sqlite:
        ensure_data_dir(settings)


def cmd_migrate(_args: argparse.Namespace, settings: Settings) -> int:
    """Bring the database schema up to date."""
    _prepare(settings)
    engine = make_engine(settings.sqlalchemy_url)
    check_database(engine)
    migrate(engine)
    print(f"Database schema is up to date ({describe_database(settings.sqlalchemy_url)}).")
    return 0


def cmd_check(_args: argparse.Namespace, settings: Settings) -> int:
    """Check that the data directory, the database and its schema are ready."""
    ensure_data_dir(settings)
    engine = make_engine(settings.sqlalchemy_url)
    check_database(engine)
    check_migrations_current(engine)
    print(f"OK: {describe_database(settings.sqlalchemy_url)} is reachable and up to date.")
    check_content(settings)
    return 0


def check_content(settings: Settings) -> None:
    """Report refused content versions; fail only when no version at all is valid."""
    registry = read_registry(settings.content_dir)
    for origin, errors in registry.errors.items():
        count = f"{len(errors)} error{'' if len(errors) == 1 else 's'}"
        print(
            f"Content {origin} is refused ({count}); "
            "run `python -m app content validate` to see them.",
            file=sys.stderr,
        )
    served = [f"{content.id} {content.version}" for content in registry.all()]
    if not served:
        raise ConfigError(
            f"No valid framework content was found in {settings.content_dir}; "
            "run `python -m app content validate` to see why."
        )
    print(f"OK: framework content {', '.join(served)} is valid.")


def cmd_content_validate(args: argparse.Namespace, settings: Settings) -> int:
    """Validate framework content and print every error."""
    return validate_path(args.path or settings.content_dir, sys.stdout, sys.stderr)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Check the set-up, then serve the app with uvicorn."""
    import uvicorn

    cmd_check(args, settings)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        reload=args.reload,
        workers=None if args.reload else args.workers,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description="Homeward")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--reload", action="store_true", help="restart on code changes")
    serve.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", "1")),
        help="worker processes (default: WEB_CONCURRENCY or 1)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        help="proxies trusted to set X-Forwarded-For (comma-separated)",
    )
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(
        handler=cmd_migrate
    )
    commands.add_parser(
        "check", help="check the database is reachable and its schema current"
    ).set_defaults(handler=cmd_check)

    content = commands.add_parser("content", help="work with framework content")
    content_commands = content.add_subparsers(dest="action", required=True, metavar="ACTION")
    validate = content_commands.add_parser("validate", help="check content and print every error")
    validate.add_argument(
        "path",
        nargs="?",
        type=Path,
        help="a content, framework or version folder (default: the configured content folder)",
    )
    validate.set_defaults(handler=cmd_content_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Command = args.handler
    try:
        return handler(args, load_settings())
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
