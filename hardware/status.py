"""``jxc agent CONFIG --status``: what the outbox file says, readable while the agent runs
(SQLite WAL lets a reader in beside the writer) or after it stopped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hardware.config import AgentConfig
from hardware.outbox import DeadLetter, DeviceStatus, Outbox

try:
    import fcntl
except ImportError:
    fcntl = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class AgentStatus:
    outbox: Path
    running: bool | None  # None: cannot tell on this platform
    devices: list[DeviceStatus]
    dead_letters: list[DeadLetter]


def agent_running(outbox: Path) -> bool | None:
    """Whether an agent holds the outbox's lock right now."""
    if fcntl is None:
        return None
    lock = Path(f"{outbox}.lock")
    if not lock.exists():
        return False
    with lock.open("a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False


async def read_status(
    config: AgentConfig, device: str | None = None, dead_limit: int = 50
) -> AgentStatus:
    names = [d.name for d in config.devices if device is None or d.name == device]
    outbox = await Outbox.open(config.outbox, create=False)
    try:
        devices = await outbox.status(names, only=device is not None)
        dead = await outbox.dead_letters(device, limit=dead_limit)
    finally:
        await outbox.close()
    return AgentStatus(config.outbox, agent_running(config.outbox), devices, dead)


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    seconds = int((now - when).total_seconds())
    if seconds < 120:
        span = f"{seconds} s"
    elif seconds < 7200:
        span = f"{seconds // 60} min"
    elif seconds < 172_800:
        span = f"{seconds // 3600} h"
    else:
        span = f"{seconds // 86_400} d"
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z ({span} ago)"


def format_status(status: AgentStatus, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    running = {True: "running", False: "not running", None: "unknown"}[status.running]
    lines = [f"outbox {status.outbox} (agent {running})", ""]
    header = f"{'DEVICE':<24} {'LINK':<13} {'SERVER':<13} {'OUTBOX':>7} {'DEAD':>5}  LAST READ"
    lines.append(header)
    for d in status.devices:
        lines.append(
            f"{d.device:<24} {d.link_state or '-':<13} {d.server_state or '-':<13} "
            f"{d.outbox:>7} {d.dead_letters:>5}  {_ago(d.last_read_at, now)}"
        )
        if d.link_error:
            lines.append(f"{'':<24} device: {d.link_error}")
        if d.server_error:
            lines.append(f"{'':<24} server: {d.server_error}")
    if status.dead_letters:
        lines += ["", "dead letters, newest first (jxc agent CONFIG --requeue sends them again):"]
        for dl in status.dead_letters:
            lines.append(
                f"  {dl.device}  {dl.failed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z  "
                f"{dl.read.code!r}  {dl.error.code}: {dl.error.message}"
            )
    return "\n".join(lines)


def status_json(status: AgentStatus) -> dict[str, Any]:
    def iso(when: datetime | None) -> str | None:
        return when.isoformat() if when else None

    return {
        "outbox": str(status.outbox),
        "running": status.running,
        "devices": [
            {
                "device": d.device,
                "outbox": d.outbox,
                "dead_letters": d.dead_letters,
                "last_read_at": iso(d.last_read_at),
                "link": {"state": d.link_state, "error": d.link_error},
                "server": {"state": d.server_state, "error": d.server_error},
                "updated_at": iso(d.updated_at),
            }
            for d in status.devices
        ],
        "dead_letters": [
            {
                "device": dl.device,
                "event_id": dl.read.event_id,
                "code": dl.read.code,
                "read_at": dl.read.read_at.isoformat(),
                "error": {
                    "code": dl.error.code,
                    "message": dl.error.message,
                    "details": dl.error.details,
                },
                "failed_at": dl.failed_at.isoformat(),
            }
            for dl in status.dead_letters
        ],
    }
