"""``jxc agent``: run the dock agent, show its status, replay a script, requeue dead letters.

jxc agent CONFIG.toml                       run every device until Ctrl-C / SIGTERM
jxc agent CONFIG.toml --status [--json]     outbox depth, dead letters, last reads
jxc agent CONFIG.toml --simulate SCRIPT     replay SCRIPT as one device's reads, exit
                                            once the server has answered every one
jxc agent CONFIG.toml --requeue             send the dead letters again
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer

from hardware.agent import Agent
from hardware.config import AgentConfig, ConfigError, load_config
from hardware.llrp import LLRPUnavailable
from hardware.outbox import Outbox, OutboxError
from hardware.simulate import ScriptError, ScriptSource
from hardware.status import format_status, read_status, status_json


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"jxc agent: {message}", fg="red", err=True)
    return typer.Exit(code)


def agent(
    config: Annotated[Path, typer.Argument(help="The agent's TOML configuration.")],
    status: Annotated[
        bool, typer.Option("--status", help="Show the outbox, dead letters and devices; exit.")
    ] = False,
    simulate: Annotated[
        Path | None,
        typer.Option(
            "--simulate",
            metavar="SCRIPT",
            help="Replay SCRIPT (code[,qty[,delay]] or JSON lines) as one device's reads, "
            "then exit once the server answered them all.",
        ),
    ] = None,
    device: Annotated[
        str | None,
        typer.Option(help="The device --simulate, --status or --requeue is about."),
    ] = None,
    requeue: Annotated[
        bool, typer.Option("--requeue", help="Move dead letters back to the outbox; exit.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="--status as JSON.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """The dock agent: scanners, cameras and RFID readers to the server, through an outbox.

    Every read is kept in a durable local outbox until the server answered it; each is
    applied once however often it is sent.
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:  # one line per health report otherwise
        logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        cfg = load_config(config)
        if device is not None:
            cfg.device(device)
        if status:
            shown = asyncio.run(read_status(cfg, device))
            typer.echo(
                json.dumps(status_json(shown), indent=2) if as_json else format_status(shown)
            )
            return
        if requeue:
            moved = asyncio.run(_requeue(cfg, device))
            typer.echo(f"{moved} dead letter(s) moved back to the outbox.")
            return
        if simulate is not None:
            _simulate(cfg, simulate, device)
            return
        asyncio.run(_run(Agent(cfg)))
    except (ConfigError, OutboxError, ScriptError, LLRPUnavailable) as exc:
        raise _fail(str(exc), 2) from exc


async def _requeue(cfg: AgentConfig, device: str | None) -> int:
    outbox = await Outbox.open(cfg.outbox, create=False)
    try:
        return await outbox.requeue(device)
    finally:
        await outbox.close()


def _simulate(cfg: AgentConfig, script: Path, device: str | None) -> None:
    if device is None:
        if len(cfg.devices) > 1:
            names = ", ".join(d.name for d in cfg.devices)
            raise ConfigError(f"--simulate needs --device (one of {names})")
        device = cfg.devices[0].name
    source = ScriptSource.from_file(script)
    # A script line is a read: no hold-off, whatever the real device's is.
    agent = Agent(cfg, sources={device: source}, only={device}, holdoffs={device: 0.0})
    asyncio.run(_run(agent, until_delivered=True))
    typer.echo(f"{len(source.lines)} read(s) replayed and answered.")


async def _run(agent: Agent, *, until_delivered: bool = False) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await agent.run(stop, until_delivered=until_delivered)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
