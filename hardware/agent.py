"""The dock agent: runs every configured device at once and gets each read to the server.

Per device, three tasks on one event loop:

- the *runner* takes reads from the adapter, drops re-reads within the hold-off, stamps
  each (event id, device, time) and commits it to the outbox — before anything else;
- the *forwarder* sends the outbox to ``WS /ws/scans`` with the device's key and settles
  each read by the server's answer (``hardware.forwarder``);
- the *reporter* posts the device's health (link state, last read, outbox depth, dead
  letters) to ``POST /api/devices/health`` on every change and every ``health_interval``.

A task that fails unexpectedly is logged and restarted after a backoff: one broken device
never stops the others, and nothing in the outbox is ever dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

import httpx

from hardware.aio import closing
from hardware.config import (
    AgentConfig,
    CameraDevice,
    DeviceConfig,
    HidDevice,
    LlrpDevice,
    SerialDevice,
    SimulateDevice,
    TcpClientDevice,
    TcpServerDevice,
)
from hardware.dedup import Debouncer
from hardware.forwarder import Forwarder
from hardware.hid import HidSource, KeyDecoder
from hardware.keymaps import KEYMAPS
from hardware.link import Backoff, Health, describe
from hardware.llrp import LLRPSource
from hardware.outbox import Outbox
from hardware.portal import RfidPassSource
from hardware.reads import Decoded, ScanRead, Source
from hardware.rfid import PassTracker
from hardware.serialport import SerialSettings, SerialSource
from hardware.simulate import ScriptSource
from hardware.tcp import TcpClientSource, TcpServerSource

log = logging.getLogger("jxc.agent")
UNSUPPORTED_RETRY = 600.0  # a server without the health endpoint is asked again this late


def build_source(device: DeviceConfig) -> Source:
    """The adapter a device's configuration describes."""
    if isinstance(device, TcpClientDevice):
        return TcpClientSource(
            device.host,
            device.port,
            device.framing(),
            connect_timeout=device.connect_timeout,
            idle_timeout=device.idle_timeout,
        )
    if isinstance(device, TcpServerDevice):
        return TcpServerSource(
            device.host, device.port, device.framing(), max_clients=device.max_clients
        )
    if isinstance(device, SerialDevice):
        settings = SerialSettings(
            port=device.port,
            baudrate=device.baudrate,
            bytesize=device.bytesize,
            parity=device.parity,
            stopbits=device.stopbits,
            xonxoff=device.xonxoff,
            rtscts=device.rtscts,
        )
        return SerialSource(settings, device.framing())
    if isinstance(device, HidDevice):
        keymap, terminators = KEYMAPS[device.keymap], tuple(device.terminators)

        def decoder() -> KeyDecoder:
            return KeyDecoder(
                keymap, terminators=terminators, aim=device.aim, max_len=device.max_len
            )

        return HidSource(device.path, decoder, grab=device.grab)
    if isinstance(device, CameraDevice):
        # OpenCV and the decoders load only in an agent that has a camera: every other
        # `jxc` command (this module is reachable from server/cli.py) would pay ~0.3 s.
        from hardware.camera import CameraSource

        return CameraSource(
            device.source, holdoff=device.holdoff, formats=device.formats, max_fps=device.max_fps
        )
    if isinstance(device, LlrpDevice):
        reader = LLRPSource(
            device.host, device.port, antennas=tuple(device.antennas), reader_name=device.name
        )
        return RfidPassSource(reader, PassTracker(device.idle_gap, device.max_tags))
    if isinstance(device, SimulateDevice):
        return ScriptSource.from_file(device.script, repeat=device.repeat, speed=device.speed)
    raise AssertionError(f"unhandled device kind {device.kind}")


def holdoff_of(device: DeviceConfig) -> float:
    """The runner's hold-off. RFID passes are de-duplicated by EPC already, and a camera's
    decoder applies the hold-off itself, in the video's own time (a file plays faster
    than real time)."""
    return 0.0 if isinstance(device, LlrpDevice | CameraDevice) else device.holdoff


class DeviceRunner:
    """Source → de-duplication → outbox → the forwarder's wake-up."""

    def __init__(
        self,
        name: str,
        source: Source,
        outbox: Outbox,
        forwarder: Forwarder,
        *,
        holdoff: float,
        backoff: Backoff | None = None,
    ) -> None:
        self.name, self.source, self.outbox, self.forwarder = name, source, outbox, forwarder
        self.debouncer = Debouncer(holdoff)
        self.backoff = backoff or Backoff(initial=0.2, maximum=10.0)
        self.reads = 0
        self.last_read_at: datetime | None = None

    async def run(self) -> None:
        reads = self.source.reads()
        try:
            async with closing(reads):
                async for decoded in reads:
                    await self.take(decoded)
        except asyncio.CancelledError:
            flush: Callable[[], list[Decoded]] | None = getattr(self.source, "flush", None)
            for decoded in flush() if flush else []:  # e.g. RFID passes still open
                await self.take(decoded)
            raise

    async def take(self, decoded: Decoded) -> None:
        if not self.debouncer.accept(decoded.code):
            return
        read = ScanRead.stamp(decoded, self.name, self.source.kind)
        while True:  # the outbox is the only copy: keep trying, the source waits meanwhile
            try:
                await self.outbox.put(read)
                break
            except Exception as exc:  # disk full, I/O error: nothing else may happen first
                self.source.health.fail(f"cannot write the outbox: {describe(exc)}")
                log.error("%s: cannot write the outbox: %s", self.name, describe(exc))
                await asyncio.sleep(self.backoff.next())
        self.backoff.reset()
        self.reads += 1
        self.last_read_at = read.read_at
        self.forwarder.wake.set()


class HealthReporter:
    """Posts a device's health on every change of its link and every ``interval``; a
    server without ``POST /api/devices/health`` (404) is left alone for a while."""

    def __init__(
        self,
        name: str,
        base_url: str,
        api_key: str,
        health: Health,
        outbox: Outbox,
        *,
        interval: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name, self.health, self.outbox = name, health, outbox
        self.interval = interval
        self.changed = asyncio.Event()
        health.listeners.append(lambda _h: self.changed.set())
        self.client = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=10,
            transport=transport,
        )
        self.supported: bool | None = None  # None: not asked yet
        self.reports = 0

    async def run(self) -> None:
        try:
            self.changed.set()  # report at start
            while True:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel
                # that lands as the wait ends, and this loop would outlive the agent.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.interval):
                        await self.changed.wait()
                self.changed.clear()
                await self.outbox.set_state(
                    self.name, link_state=self.health.state, link_error=self.health.error
                )
                await self.report()
                if self.supported is False:
                    await asyncio.sleep(UNSUPPORTED_RETRY)
        finally:
            if self.supported:  # say goodbye, briefly: the server shows it offline anyway
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(2):
                        await self.report("disconnected", "the agent stopped")
            await self.client.aclose()

    async def report(self, state: str | None = None, error: str | None = None) -> None:
        (mine,) = await self.outbox.status([self.name], only=True)  # survives a restart
        body = {
            "state": state or self.health.state,
            "last_read_at": mine.last_read_at.isoformat() if mine.last_read_at else None,
            "error": error if state else self.health.error,
            "outbox": mine.outbox,
            "dead_letters": mine.dead_letters,
        }
        try:
            response = await self.client.post("/api/devices/health", json=body)
        except httpx.HTTPError as exc:
            log.debug("%s: health report not sent: %s", self.name, describe(exc))
            return
        if response.status_code == 404:
            if self.supported is not False:
                log.info("%s: the server does not take health reports (404)", self.name)
            self.supported = False
        elif response.is_success:
            self.supported = True
            self.reports += 1
        else:
            log.warning(
                "%s: health report refused: HTTP %d %s",
                self.name,
                response.status_code,
                response.text[:200],
            )


class Agent:
    """Runs the configured devices until ``stop`` is set. ``sources`` replaces adapters by
    device name (``--simulate``, tests), ``holdoffs`` their hold-offs; ``only`` limits the
    agent to some devices."""

    def __init__(
        self,
        config: AgentConfig,
        *,
        sources: Mapping[str, Source] | None = None,
        only: set[str] | None = None,
        holdoffs: Mapping[str, float] | None = None,
        health_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.devices = [d for d in config.devices if only is None or d.name in only]
        for d in self.devices:
            _ = d.key  # an unset api_key_env is a startup error, not a silent retry loop
        # Built now, so that a device that cannot be (sllurp missing, a bad script) stops
        # the agent at start rather than failing later in the background.
        self.sources = {
            d.name: (sources or {}).get(d.name) or build_source(d) for d in self.devices
        }
        self._holdoffs = dict(holdoffs or {})
        self._health_transport = health_transport
        self.outbox: Outbox | None = None
        self.runners: dict[str, DeviceRunner] = {}
        self.forwarders: dict[str, Forwarder] = {}
        self.reporters: dict[str, HealthReporter] = {}
        self.started = asyncio.Event()

    async def run(
        self, stop: asyncio.Event | None = None, *, until_delivered: bool = False
    ) -> None:
        """``until_delivered``: return once every finite source (a script) is done and the
        outbox holds nothing for these devices (for ``--simulate``)."""
        stop = stop or asyncio.Event()
        outbox = self.outbox = await Outbox.open(self.config.outbox, lock=True)
        tasks: list[asyncio.Task[None]] = []
        try:
            for device in self.devices:
                tasks += self._start(device, outbox)
            log.info(
                "agent running %d device(s); outbox %s; server %s",
                len(self.devices),
                self.config.outbox,
                self.config.base_url,
            )
            self.started.set()
            if until_delivered:
                tasks.append(asyncio.create_task(self._until_delivered(stop)))
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for name, fwd in self.forwarders.items():
                await outbox.set_state(name, server_state="stopped", server_error=None)
                log.info(
                    "%s: %d sent, %d acknowledged, %d dead", name, fwd.sent, fwd.acked, fwd.dead
                )
            await outbox.close()

    def _start(self, device: DeviceConfig, outbox: Outbox) -> list[asyncio.Task[None]]:
        name = device.name
        source = self.sources[name]

        async def server_state(state: str, error: str | None) -> None:
            await outbox.set_state(name, server_state=state, server_error=error)

        forwarder = Forwarder(
            name,
            self.config.ws_url,
            device.key,
            outbox,
            reference=device.reference,
            window=self.config.window,
            on_state=server_state,
        )
        runner = DeviceRunner(
            name, source, outbox, forwarder, holdoff=self._holdoffs.get(name, holdoff_of(device))
        )
        reporter = HealthReporter(
            name,
            self.config.base_url,
            device.key,
            source.health,
            outbox,
            interval=self.config.health_interval,
            transport=self._health_transport,
        )
        self.runners[name], self.forwarders[name], self.reporters[name] = (
            runner,
            forwarder,
            reporter,
        )
        log.info("%s: %s device", name, getattr(device, "kind", "?"))
        return [
            asyncio.create_task(_supervise(f"{name} reads", runner.run, source.health)),
            asyncio.create_task(_supervise(f"{name} forwarding", forwarder.run)),
            asyncio.create_task(_supervise(f"{name} health", reporter.run)),
        ]

    async def _until_delivered(self, stop: asyncio.Event) -> None:
        assert self.outbox is not None
        while True:
            finite = [
                r.source.done for r in self.runners.values() if isinstance(r.source, ScriptSource)
            ]
            if all(done.is_set() for done in finite):
                depth = [await self.outbox.depth(name) for name in self.runners]
                if not any(depth):
                    stop.set()
                    return
            await asyncio.sleep(0.1)


async def _supervise(
    what: str, work: Callable[[], Awaitable[None]], health: Health | None = None
) -> None:
    """Run ``work``; a crash is logged and ``work`` restarted after a backoff. Returning
    normally (a video file played, a script replayed) ends it."""
    backoff = Backoff(initial=1.0, maximum=60.0)
    while True:
        try:
            await work()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("%s failed; restarting", what)
            if health is not None:
                health.fail(f"internal error: {describe(exc)}")
        await asyncio.sleep(backoff.next())
