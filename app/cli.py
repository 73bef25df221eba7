"""The command line: `python -m app <command>`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import Engine

from app.config import ConfigError, Environment, Settings, load_settings
from app.content.validate import validate_path
from app.db import (
    check_database,
    check_migrations_current,
    describe_database,
    ensure_data_dir,
    make_engine,
    migrate,
    open_session,
)
from app.security import passwords
from app.services.content_store import ContentStore, inspect_bundled

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
    check_content(settings, engine)
    return 0


def check_content(settings: Settings, engine: Engine) -> None:
    """Report refused content versions, bundled or stored; fail only when none is valid."""
    to_import, refused_bundles = inspect_bundled(engine, settings.content_dir)
    store = ContentStore(settings.content_dir)
    store.bundle_errors = refused_bundles
    with open_session(engine) as session:
        registry = store.registry(session)
    for origin, errors in registry.errors.items():
        count = f"{len(errors)} error{'' if len(errors) == 1 else 's'}"
        print(
            f"Content {origin} is refused ({count}); run `python -m app content validate` to "
            "see them, or open it on the framework content pages.",
            file=sys.stderr,
        )
    served = [f"{content.id} {content.version}" for content in registry.all()]
    served += [f"{origin.replace('/', ' ')} (imported when the app starts)" for origin in to_import]
    if not served:
        raise ConfigError(
            f"No valid framework content was found in {settings.content_dir} or the database; "
            "run `python -m app content validate` to see why."
        )
    print(f"OK: framework content {', '.join(served)} is valid.")


def cmd_content_validate(args: argparse.Namespace, settings: Settings) -> int:
    """Validate framework content and print every error."""
    return validate_path(args.path or settings.content_dir, sys.stdout, sys.stderr)


def cmd_content_check_cases(args: argparse.Namespace, settings: Settings) -> int:
    """Run the validation cases and print expected against shown; fail when a family does."""
    from app.services import case_check

    try:
        report = case_check.check_bundled(
            settings.content_dir, args.framework, cases_file=args.path
        )
    except case_check.CasesUnusable as problem:
        for line in problem.lines:
            print(line, file=sys.stderr)
        return 1
    case_check.print_report(report, sys.stdout)
    return 1 if report.failed else 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Check the set-up, then serve the app with uvicorn."""
    import uvicorn

    from app import serving

    cmd_check(args, settings)
    options = {
        "factory": True,
        "host": args.host,
        "port": args.port,
        "proxy_headers": True,
        "forwarded_allow_ips": args.forwarded_allow_ips,
    }
    if not args.reload and serving.can_spread(args.workers, args.port):
        serving.run(uvicorn.Config("app.main:create_app", workers=args.workers, **options))
        return 0
    uvicorn.run(
        "app.main:create_app",
        reload=args.reload,
        workers=None if args.reload else args.workers,
        **options,
    )
    return 0


def cmd_create_user(args: argparse.Namespace, settings: Settings) -> int:
    """Create a user (the first administrator, or users provisioned by a script)."""
    from app.models.accounts import Role
    from app.services import accounts
    from app.services.audit import Actor
    from app.services.errors import InvalidInput

    password = _read_password()
    engine = make_engine(settings.sqlalchemy_url)
    check_database(engine)
    check_migrations_current(engine)
    actor = Actor(user=None, request_id="cli", path="python -m app create-user")
    try:
        roles = frozenset(Role(role) for role in args.role)
    except ValueError:
        raise ConfigError(
            f"Unknown role; use one or more of: {', '.join(role.value for role in Role)}."
        ) from None
    with open_session(engine) as session:
        try:
            team = (
                accounts.get_or_create_team(session, actor=actor, name=args.team)
                if args.team
                else None
            )
            user, _ = accounts.create_user(
                session,
                actor=actor,
                details=accounts.UserDetails(
                    name=args.name,
                    email=args.email,
                    team_id=team.id if team else None,
                    roles=roles,
                ),
                password=password,
            )
            session.commit()
        except InvalidInput as problem:
            message = "; ".join(problem.errors.values())
            raise ConfigError(f"Cannot create the user: {message}.") from None
    print(f"Created {user.name} <{user.email}> ({', '.join(sorted(args.role))}).")
    return 0


def _read_password() -> str:
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            raise ConfigError("The two passwords are different.")
        return first
    # Only the first line: scripts pipe it in (`printf '%s\n' "$PASSWORD" | python -m app ...`).
    return sys.stdin.readline().rstrip("\r\n")


def cmd_demo(_args: argparse.Namespace, settings: Settings) -> int:
    """Load the invented demo data and print the demo accounts (development only)."""
    from app.demo import load_demo
    from app.demo.service_accounts import DEMO_SERVICE_ACCOUNT as service
    from app.models.accounts import Role

    if not settings.is_development:
        raise ConfigError(
            "Demo data is only loaded when HOMEWARD_ENVIRONMENT is development; "
            "it never goes into a live database."
        )
    engine = make_engine(settings.sqlalchemy_url)
    check_database(engine)
    check_migrations_current(engine)
    store = ContentStore(settings.content_dir)
    store.import_bundled(engine)
    with open_session(engine) as session:
        demo_accounts = load_demo(session, store.registry(session), secret_key=settings.secret_key)
    print("Demo accounts (invented people; development only):")
    for account in demo_accounts:
        roles = ", ".join(sorted(role.value for role in account.roles))
        print(f"  {account.email:32} {account.password:30} {roles}")
        if account.two_factor_key:
            print(
                f"  {'':32} two-factor sign-in: add the key {account.two_factor_key} "
                "to an authenticator app"
            )
    admin = next(account.email for account in demo_accounts if Role.ADMIN in account.roles)
    print(
        f"Demo service account for the JSON API: {service.name} ({service.role.value}, "
        f"{service.team}). Its token is never shown: sign in as {admin} and make one on "
        "its page under Service accounts (docs/api.md)."
    )
    return 0


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    """Back up the database to a file (a consistent copy, also while the app is running)."""
    from app.backup import backup, default_backup_path
    from app.models.base import utcnow

    target = args.path or default_backup_path(settings, utcnow())
    made = backup(settings, target)
    print(
        f"Backed up {describe_database(settings.sqlalchemy_url)} to {made.path} "
        f"({made.size:,} bytes)."
    )
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    """Replace the database's content with a backup; every session is signed out."""
    from app.backup import restore

    where = describe_database(settings.sqlalchemy_url)
    if not args.yes:
        if not sys.stdin.isatty():
            raise ConfigError(
                "restore replaces everything in the database: add --yes to confirm it."
            )
        answer = input(
            f"This replaces everything in {where} with {args.path}. Type restore to continue: "
        )
        if answer.strip().lower() != "restore":
            print("Nothing was changed.")
            return 1
    restored = restore(settings, args.path)
    print(
        f"Restored {where} from {args.path} (schema {restored.revision}, now up to date). "
        f"{restored.sessions_revoked:,} sessions were signed out: everyone signs in again."
    )
    return 0


def cmd_retention(args: argparse.Namespace, settings: Settings) -> int:
    """Remove what the retention schedule no longer allows, and say what was removed."""
    from app.models.base import utcnow
    from app.services.audit import Actor
    from app.services.retention import RetentionSchedule, apply_schedule

    engine = make_engine(settings.sqlalchemy_url)
    check_database(engine)
    check_migrations_current(engine)
    schedule = RetentionSchedule.from_settings(settings)
    actor = Actor(user=None, request_id="cli", path="python -m app retention")
    with open_session(engine) as session:
        report = apply_schedule(
            session, schedule=schedule, actor=actor, now=utcnow(), dry_run=args.dry_run
        )
        if args.dry_run:
            session.rollback()
        else:
            session.commit()
    verb = "Would remove" if args.dry_run else "Removed"
    rows = sum(report.family_rows_removed.values())
    print(
        f"{verb} {len(report.families_removed):,} families deleted more than "
        f"{schedule.deleted_family_days} days ago ({rows:,} rows; "
        f"{report.audit_entries_redacted:,} of their audit entries emptied)."
    )
    for table, count in sorted(report.family_rows_removed.items()):
        print(f"  {table}: {count:,}")
    print(
        f"{verb} {report.audit_entries_removed:,} audit entries older than "
        f"{schedule.audit_years} years."
    )
    print(
        f"{verb} {report.sessions_removed:,} sessions ended more than "
        f"{schedule.session_days} days ago."
    )
    print(
        f"{verb} {report.sign_in_attempts_removed:,} sign-in attempts older than "
        f"{schedule.sign_in_attempt_days} days."
    )
    print(
        f"{verb} the text of {report.uploads_cleared:,} chronology files uploaded more than "
        f"{schedule.upload_days} days ago."
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

    backup = commands.add_parser(
        "backup", help="back up the database (SQLite online backup, or pg_dump)"
    )
    backup.add_argument(
        "path",
        nargs="?",
        type=Path,
        help="the file to write (default: backups/homeward-<date>-<time> in the data directory)",
    )
    backup.set_defaults(handler=cmd_backup)
    restore = commands.add_parser(
        "restore", help="replace the database's content with a backup; signs everyone out"
    )
    restore.add_argument("path", type=Path, help="a file made by `python -m app backup`")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.set_defaults(handler=cmd_restore)

    retention = commands.add_parser(
        "retention", help="remove what the retention schedule no longer allows (run daily)"
    )
    retention.add_argument(
        "--dry-run", action="store_true", help="say what would be removed; change nothing"
    )
    retention.set_defaults(handler=cmd_retention)

    create_user = commands.add_parser(
        "create-user",
        help="create a user; the password is read from standard input",
    )
    create_user.add_argument("--email", required=True)
    create_user.add_argument("--name", required=True)
    create_user.add_argument(
        "--role", action="append", required=True, help="repeat for several roles"
    )
    create_user.add_argument("--team", help="the team, created if it does not exist")
    create_user.set_defaults(handler=cmd_create_user)

    commands.add_parser("demo", help="load invented demo data (development only)").set_defaults(
        handler=cmd_demo
    )

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
    check_cases = content_commands.add_parser(
        "check-cases",
        help="run the validation cases (invented families) and print expected against shown",
    )
    check_cases.add_argument(
        "path",
        nargs="?",
        type=Path,
        help="a case file (default: validation-cases.yaml in the framework's content folder)",
    )
    check_cases.add_argument(
        "--framework", default="reunification", help="the framework (default: reunification)"
    )
    check_cases.set_defaults(handler=cmd_content_check_cases)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Command = args.handler
    try:
        settings = load_settings()
        if settings.environment is Environment.TEST:
            passwords.use_test_parameters()
        return handler(args, settings)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
