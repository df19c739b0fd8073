"""The ``jxc`` command: serve, demo, database migrations, users and devices."""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import sys
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from hardware.cli import agent
from scanner.decode import missing_engine_notice
from scanner.report import decode_files, table
from server import errors
from server.accounts.repository import AccountsRepository
from server.accounts.schemas import DeviceCreate, UserCreate
from server.accounts.service import AccountsService
from server.app import create_app
from server.db import Database
from server.demo.seed import DEMO_PASSWORD, DEMO_USERS, seed
from server.ledger.repository import LedgerRepository
from server.ledger.verify import Report, verify_ledger
from server.migrate import upgrade
from server.models import MoveKind, Role
from server.serve import uvicorn_config
from server.settings import Settings

app = typer.Typer(
    help="jxc: real-time, scan-first purchase · sales · inventory.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users.", no_args_is_help=True)
ledger_app = typer.Typer(help="The stock ledger.", no_args_is_help=True)
device_app = typer.Typer(
    help="Devices: fixed scanners, RFID readers, agents.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(device_app, name="device")
app.add_typer(ledger_app, name="ledger")
app.command("agent")(agent)

DEMO_DB = "sqlite:///./jxc-demo.db"
T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        typer.secho(f"jxc: configuration error: {exc.errors()[0]['msg']}", fg="red", err=True)
        raise typer.Exit(2) from exc


def _fail(message: str) -> typer.Exit:
    typer.secho(f"jxc: {message}", fg="red", err=True)
    return typer.Exit(1)


def _shown(url: str) -> str:
    """A database URL fit for a terminal or a log: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _run(settings: Settings, work: Coroutine[Any, Any, T]) -> T:
    """Run database work; an unreachable or broken database is a message, not a traceback."""
    try:
        return asyncio.run(work)
    except (OSError, SQLAlchemyError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _fail(f"cannot use the database {_shown(settings.database_url)}: {reason}") from exc


def _serve(settings: Settings, host: str, port: int, banner: str = "") -> None:
    migrate = settings.async_database_url.startswith("sqlite")
    config = uvicorn_config(
        create_app(settings, migrate=migrate), settings, host, port, log_level="info"
    )
    if banner:
        typer.echo(banner)
    uvicorn.Server(config).run()


@app.command()
def decode(
    files: Annotated[list[str], typer.Argument(help="PNG, JPEG or WebP images.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="A JSON list, one object per file.")
    ] = False,
    formats: Annotated[
        str | None,
        typer.Option(help="Only these symbologies, comma-separated (e.g. EAN13,Code128,QRCode)."),
    ] = None,
) -> None:
    """Read every barcode in image files: symbology, AIM identifier, text and GS1 data."""
    notice = missing_engine_notice()
    if notice:
        typer.secho(f"jxc: {notice}", fg="yellow", err=True)
    wanted = [f.strip() for f in formats.split(",") if f.strip()] if formats else None
    try:
        reports = decode_files(files, wanted)
    except ValueError as exc:  # an unknown symbology name
        raise _fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=2))
    else:
        typer.echo(table(reports))
    if any(r.error is not None for r in reports):
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Serve the API, the stock stream and the web page (SQLite is migrated automatically)."""
    _serve(_settings(), host, port)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Seed a demo warehouse (once) and serve it, in dev mode."""
    os.environ.setdefault("JXC_ENV", "dev")
    os.environ.setdefault("JXC_DATABASE_URL", DEMO_DB)
    settings = _settings()

    async def prepare() -> str | None:
        db = Database(settings.database_url)
        try:
            await upgrade(db)
            info = await seed(db)
        finally:
            await db.dispose()
        return info.device_key if info else None

    key = _run(settings, prepare())
    logins = "\n".join(f"    {u:<11} {DEMO_PASSWORD}   ({r})" for u, r, _ in DEMO_USERS)
    device = (
        f"\n  Device 'dock-scanner-1' (receives at DOCK-01), API key shown once:\n    {key}\n"
        if key
        else "\n  (demo data already seeded; device keys were shown the first time)\n"
    )
    banner = (
        f"\n  jxc demo is starting on http://{host}:{port}/\n"
        f"    live stock page   http://{host}:{port}/\n"
        f"    API docs          http://{host}:{port}/docs\n"
        f"  Database: {_shown(settings.database_url)}   Broker: {_shown(settings.broker_url)}\n\n"
        f"  Logins (username  password):\n{logins}\n{device}\n"
        "  Waiting in the demo: purchase order PO-000001 for the receiver (a receipt at\n"
        "  DOCK-01: docs/inbound.md), pick list PK-000001 for the picker (handheld page\n"
        f"  http://{host}:{port}/static/pick.html: docs/outbound.md).\n"
    )
    _serve(settings, host, port, banner)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to JXC_DATABASE_URL."""
    settings = _settings()

    async def run() -> None:
        db = Database(settings.database_url)
        try:
            await upgrade(db)
        finally:
            await db.dispose()

    _run(settings, run())
    typer.echo(f"Database is up to date: {_shown(settings.database_url)}")


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat password: "):
            raise _fail("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


@ledger_app.command("verify")
def ledger_verify(
    as_json: Annotated[bool, typer.Option("--json", help="Findings as JSON.")] = False,
) -> None:
    """Rebuild stock from the ledger and compare: exits 1 and lists the rows if they differ."""
    settings = _settings()

    async def check() -> Report:
        db = Database(settings.database_url)
        try:
            async with db.session(snapshot=True) as session:
                return await verify_ledger(LedgerRepository(session))
        finally:
            await db.dispose()

    report = _run(settings, check())
    if as_json:
        typer.echo(json.dumps(_report_json(report), indent=2))
    else:
        for finding in report.findings:
            typer.echo(f"{finding.check:<14} {finding.message}")
        if report.truncated:
            typer.echo(f"... and more (first {len(report.findings)} shown)")
        verdict = "ok" if report.ok else f"{len(report.findings)} problem(s)"
        typer.echo(
            f"ledger {verdict}: {report.moves} moves (head {report.head}), "
            f"{report.quants} quants checked"
        )
    if not report.ok:
        raise typer.Exit(1)


def _report_json(report: Report) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "moves": report.moves,
        "head": report.head,
        "quants": report.quants,
        "truncated": report.truncated,
        "findings": [
            {"check": f.check, "message": f.message, "rows": f.rows} for f in report.findings
        ],
    }


async def _with_accounts(settings: Settings, action: str, data: object) -> Any:
    db = Database(settings.database_url)
    try:
        if settings.async_database_url.startswith("sqlite"):
            await upgrade(db)
        async with db.session(write=True) as session:
            service = AccountsService(AccountsRepository(session), None)
            return await getattr(service, action)(data)
    finally:
        await db.dispose()


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Username.")],
    role: Annotated[Role, typer.Option(help="What the user may do.")],
    warehouse: Annotated[str | None, typer.Option(help="Bind to one warehouse.")] = None,
    full_name: Annotated[str | None, typer.Option(help="Shown in the ledger.")] = None,
) -> None:
    """Add a user; the password is read from stdin (or asked for on a terminal)."""
    settings = _settings()
    try:
        data = UserCreate(
            username=name,
            password=_read_password(),
            role=role,
            warehouse=warehouse,
            full_name=full_name,
        )
        _run(settings, _with_accounts(settings, "create_user", data))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise _fail(f"{'.'.join(map(str, err['loc']))}: {err['msg']}") from exc
    except errors.AppError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"User {name} added with role {role.value}.")


@device_app.command("add")
def device_add(
    name: Annotated[str, typer.Argument(help="Device name, e.g. dock-2-scanner.")],
    location: Annotated[str, typer.Option(help="Location code or barcode it is bound to.")],
    type: Annotated[MoveKind, typer.Option(help="Its scans' type.")] = MoveKind.receive,
) -> None:
    """Register a device and print its API key (shown only this once)."""
    settings = _settings()
    try:
        data = DeviceCreate(name=name, location=location, type=type)
        created = _run(settings, _with_accounts(settings, "create_device", data))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise _fail(f"{'.'.join(map(str, err['loc']))}: {err['msg']}") from exc
    except errors.AppError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"Device {name} bound to {location} ({type.value}). Its API key, shown once:")
    typer.echo(created.key)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
