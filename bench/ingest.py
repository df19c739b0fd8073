#!/usr/bin/env python
"""Ingestion benchmark: a real ``jxc serve`` process, driven over HTTP and WebSockets.

Starts the server as a user would (``jxc serve --port P``, SQLite with WAL and
``synchronous=FULL``, the in-process broker), seeds a warehouse through the HTTP API, then
measures in one run, side by side:

  1. ceiling      GET /healthz at 16 concurrent clients (same app, no database)
  2. http-1/16    POST /api/scans, one receive scan per request, at 1 and 16 clients
  3. ws-pipelined WS /ws/scans, several connections sending scans without waiting
  4. stream       commit -> arrival at 100 subscribed WS /ws/stock clients

This is a benchmark, not a test: it reports figures against targets and asserts nothing.
The load generator runs on the same machine as the server and competes with it for CPU;
the table therefore also shows CPU time per request spent by each side.

    .venv/bin/python bench/ingest.py            # full run (~1 min)
    .venv/bin/python bench/ingest.py --quick    # smoke run (~30 s)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # the benchmark only ever talks to this machine
USER, PASSWORD = "bench", "bench-pass-" + secrets.token_hex(6)
N_PRODUCTS, N_BINS = 50, 10
MAX_OPS = 5_000_000  # hard bound on every measuring loop, whatever the duration

TARGETS = {
    "http16_ratio": 0.50,  # HTTP single-scan throughput at 16 clients >= 50 % of the ceiling
    "ws_rate": 5_000.0,  # WebSocket ingestion >= 5,000 scans/s
    "stream_p99_ms": 50.0,  # commit -> subscriber p99 <= 50 ms
}


# --- helpers ------------------------------------------------------------------------------


def now() -> float:
    return time.perf_counter()


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (``values`` in seconds; returns ms)."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))
    return s[k] * 1000


def ean13(n: int) -> str:
    body = f"2{n:011d}"  # prefix 2: in-store numbers, never a real GTIN
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) of a process, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def machine_busy() -> float:
    """CPU seconds all processes on the machine spent busy so far (from /proc/stat)."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def scan_body(code: str, location: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": "receive",
        "code": code,
        "qty": 1,
        "location": location,
    }


# --- the server process -------------------------------------------------------------------


class Server:
    """``jxc serve`` in a subprocess, with its own temporary SQLite database."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.dir = data_dir
        self.port = port
        self.base = f"http://{HOST}:{port}"
        self.ws = f"ws://{HOST}:{port}"
        self.log_path = data_dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.profile_dir: Path | None = None
        jxc = Path(sys.executable).with_name("jxc")
        self.cmd = [str(jxc)] if jxc.exists() else [sys.executable, "-m", "server.cli"]
        self.env = {
            **os.environ,
            "JXC_ENV": "dev",
            "JXC_DATABASE_URL": f"sqlite:///{data_dir / 'bench.db'}",
            "JXC_BROKER_URL": "memory://",
            "JXC_SECRET_KEY": secrets.token_hex(32),
        }

    def add_admin(self) -> None:
        subprocess.run(
            [*self.cmd, "user", "add", USER, "--role", "admin"],
            input=PASSWORD + "\n",
            text=True,
            env=self.env,
            cwd=self.dir,
            check=True,
            timeout=120,
            capture_output=True,
        )

    def start(self) -> None:
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [*self.cmd, "serve", "--host", HOST, "--port", str(self.port)],
            env=self.env,
            cwd=self.dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    async def wait_ready(self, limit: float = 60) -> None:
        deadline = now() + limit
        async with httpx.AsyncClient(base_url=self.base, trust_env=False, timeout=5) as c:
            while now() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(
                        f"the server exited ({self.proc.returncode}):\n{self.tail()}"
                    )
                with contextlib.suppress(httpx.TransportError):
                    if (await c.get("/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"the server did not become ready in {limit:.0f} s:\n{self.tail()}")

    def cpu(self) -> float:
        return proc_cpu(self.proc.pid) if self.proc else float("nan")

    def profile(self, label: str, seconds: float) -> subprocess.Popen[bytes] | None:
        """With ``--profile``: sample the server with py-spy (collapsed stacks) for a while."""
        if self.profile_dir is None or self.proc is None:
            return None
        spy = Path(sys.executable).with_name("py-spy")
        out = self.profile_dir / f"{label}.txt"
        return subprocess.Popen(
            [
                str(spy if spy.exists() else "py-spy"),
                "record",
                "--pid",
                str(self.proc.pid),
                "--duration",
                str(max(1, round(seconds))),
                "--rate",
                "200",
                "--format",
                "raw",
                "--nonblocking",
                "--threads",
                "--output",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """SIGINT (uvicorn's graceful shutdown), then SIGTERM, then SIGKILL: this process only."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGINT, 20), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
            try:
                proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


# --- seeding through the API --------------------------------------------------------------


@dataclass
class World:
    token: str
    codes: list[str]  # product barcodes (EAN-13), what a scanner reads
    bins: list[str]

    def scan(self, rnd: random.Random) -> dict[str, Any]:
        return scan_body(rnd.choice(self.codes), rnd.choice(self.bins))


async def seed(server: Server) -> World:
    async with httpx.AsyncClient(base_url=server.base, trust_env=False, timeout=30) as c:
        r = await c.post("/api/auth/token", data={"username": USER, "password": PASSWORD})
        r.raise_for_status()
        token = r.json()["access_token"]
        c.headers["Authorization"] = f"Bearer {token}"
        (await c.post("/api/warehouses", json={"code": "WH1", "name": "Bench"})).raise_for_status()
        bins = [f"A{i:02d}" for i in range(1, N_BINS + 1)]
        for code, kind in [("DOCK", "dock"), *((b, "bin") for b in bins)]:
            r = await c.post(
                "/api/locations",
                json={"code": code, "warehouse": "WH1", "kind": kind, "barcode": f"LOC-{code}"},
            )
            r.raise_for_status()
        codes = []
        for i in range(1, N_PRODUCTS + 1):
            code = ean13(i)
            r = await c.post(
                "/api/products",
                json={"sku": f"SKU{i:04d}", "name": f"Item {i}", "barcodes": [code]},
            )
            r.raise_for_status()
            codes.append(code)
    return World(token, codes, bins)


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Window:
    """Warm up until ``start``; count completions that land in [start, end)."""

    start: float
    end: float
    lat: list[float] = field(default_factory=list)
    done: int = 0
    bad: int = 0  # errors or results other than "applied"
    cpu: dict[str, float] = field(default_factory=dict)

    def record(self, t0: float, t1: float, ok: bool = True) -> None:
        if self.start <= t1 < self.end:
            self.lat.append(t1 - t0)
            self.done += 1
            if not ok:
                self.bad += 1

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass
class Row:
    name: str
    clients: str
    ops: int
    rate: float
    p50: float
    p99: float
    bad: int
    server_ms: float  # server CPU ms per operation
    client_ms: float  # load-generator CPU ms per operation
    server_cores: float  # CPU the server used during the window, in cores
    others_cores: float  # CPU every other process used meanwhile (noise), in cores
    ratio: float | None = None
    note: str = ""


async def measured(
    win: Window, server: Server, workers: list[Awaitable[None]], label: str, grace: float = 30
) -> None:
    """Run ``workers`` and sample both processes' CPU time at the window's edges."""
    tasks = [asyncio.ensure_future(w) for w in workers]
    try:
        await asyncio.sleep(max(0.0, win.start - now()))
        s0, c0, m0 = server.cpu(), time.process_time(), machine_busy()
        spy = server.profile(label, win.seconds)
        await asyncio.sleep(max(0.0, win.end - now()))
        s1, c1, m1 = server.cpu(), time.process_time(), machine_busy()
        win.cpu = {
            "server": s1 - s0,
            "client": c1 - c0,
            "others": (m1 - m0) - (s1 - s0) - (c1 - c0),
        }
        if spy is not None:
            await asyncio.to_thread(spy.wait, 30)
        done, pending = await asyncio.wait(tasks, timeout=grace)
        for t in done:
            t.result()  # surface a worker's exception
        if pending:
            raise RuntimeError(f"{len(pending)} workers did not finish within {grace} s")
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def row(name: str, clients: str, win: Window, **kw: Any) -> Row:
    n = max(win.done, 1)
    return Row(
        name,
        clients,
        win.done,
        win.done / win.seconds,
        pct(win.lat, 50),
        pct(win.lat, 99),
        win.bad,
        win.cpu.get("server", float("nan")) * 1000 / n,
        win.cpu.get("client", float("nan")) * 1000 / n,
        win.cpu.get("server", float("nan")) / win.seconds,
        win.cpu.get("others", float("nan")) / win.seconds,
        **kw,
    )


class Conn:
    """One client's HTTP/1.1 keep-alive connection: ``request`` returns (status, body)."""

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class HttpxConn(Conn):
    """httpx.AsyncClient with a pool of one connection (the default generator)."""

    def __init__(self, server: Server, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.AsyncClient(
            base_url=server.base,
            headers=headers,
            trust_env=False,
            timeout=30,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        if body is None:
            r = await self.client.request(method, path)
        else:
            r = await self.client.request(
                method, path, content=body, headers={"Content-Type": "application/json"}
            )
        return r.status_code, r.content

    async def close(self) -> None:
        await self.client.aclose()


class RawConn(asyncio.Protocol, Conn):
    """A minimal HTTP/1.1 client (``--http raw``): a few microseconds per request, so the
    generator takes less CPU from the server. Understands Content-Length responses only."""

    def __init__(self, server: Server, token: str | None) -> None:
        self.server = server
        self.head = f"Host: {HOST}:{server.port}\r\n".encode()
        if token:
            self.head += f"Authorization: Bearer {token}\r\n".encode()
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.transport: asyncio.Transport | None = None

    async def open(self) -> RawConn:
        await asyncio.get_running_loop().create_connection(lambda: self, HOST, self.server.port)
        return self

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.waiter is None or self.waiter.done():
            return
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buf[:end]).lower()
        i = head.find(b"\r\ncontent-length:")
        if i < 0:
            self.waiter.set_exception(RuntimeError("response without Content-Length"))
            return
        j = head.find(b"\r\n", i + 2)
        length = int(head[i + 17 : j if j > 0 else len(head)])
        total = end + 4 + length
        if len(self.buf) < total:
            return
        result = (int(head[9:12]), bytes(self.buf[end + 4 : total]))
        del self.buf[:total]
        self.waiter.set_result(result)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("the server closed the connection"))

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        extra = b""
        if body is not None:
            extra = b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
        self.transport.write(
            b"%s %s HTTP/1.1\r\n%s%s\r\n%s"
            % (method.encode(), path.encode(), self.head, extra, body or b"")
        )
        return await self.waiter  # bounded by the phase's grace period

    async def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


GENERATOR = "httpx"  # --http


async def open_conn(server: Server, token: str | None) -> Conn:
    if GENERATOR == "raw":
        return await RawConn(server, token).open()
    return HttpxConn(server, token)


Call = Callable[[Conn, random.Random], Awaitable[bool]]


async def http_phase(
    server: Server, label: str, clients: int, warm: float, dur: float, call: Call, token: str | None
) -> Window:
    t = now()
    win = Window(t + warm, t + warm + dur)

    async def worker(i: int) -> None:
        rnd = random.Random(i)
        c = await open_conn(server, token)
        try:
            for _ in range(MAX_OPS):
                t0 = now()
                if t0 >= win.end:
                    break
                ok = await call(c, rnd)
                win.record(t0, now(), ok)
        finally:
            await c.close()

    await measured(win, server, [worker(i) for i in range(clients)], label)
    return win


async def healthz(c: Conn, _rnd: random.Random) -> bool:
    status, _ = await c.request("GET", "/healthz")
    return status == 200


def post_scan(world: World) -> Call:
    async def call(c: Conn, rnd: random.Random) -> bool:
        status, body = await c.request("POST", "/api/scans", orjson.dumps(world.scan(rnd)))
        return status == 200 and b'"status":"applied"' in body

    return call


async def ws_phase(
    server: Server, world: World, conns: int, window: int, warm: float, dur: float, deflate: bool
) -> Window:
    """Each connection keeps up to ``window`` scans in flight; answers come back in order."""
    t = now()
    win = Window(t + warm, t + warm + dur)
    url = f"{server.ws}/ws/scans?token={world.token}"

    async def connection(i: int) -> None:
        rnd = random.Random(1000 + i)
        sent: deque[float] = deque()
        room = asyncio.Semaphore(window)

        async with connect(
            url,
            proxy=None,
            compression="deflate" if deflate else None,
            max_queue=None,
            open_timeout=30,
        ) as ws:

            async def receive() -> None:
                for _ in range(MAX_OPS):
                    msg = await ws.recv()
                    t1 = now()
                    t0 = sent.popleft()
                    room.release()
                    win.record(t0, t1, '"status":"applied"' in msg)  # type: ignore[operator]

            receiver = asyncio.ensure_future(receive())
            try:
                for _ in range(MAX_OPS):
                    await room.acquire()
                    if now() >= win.end or receiver.done():
                        break
                    sent.append(now())
                    await ws.send(orjson.dumps(world.scan(rnd)).decode())
                for _ in range(600):  # the answers still owed, for at most 30 s
                    if not sent or receiver.done():
                        break
                    await asyncio.sleep(0.05)
                if receiver.done():
                    receiver.result()  # its error (e.g. the connection closed)
                if sent:
                    raise RuntimeError(f"{len(sent)} scans unanswered on /ws/scans after 30 s")
            finally:
                receiver.cancel()
                await asyncio.gather(receiver, return_exceptions=True)

    await measured(win, server, [connection(i) for i in range(conns)], "ws", grace=60)
    return win


@dataclass
class StreamResult:
    subscribers: int
    posted: int
    delivered: int
    expected: int
    out_of_order: int
    resyncs: int
    applied_lat: list[float]  # subscriber receive - move's applied_at (server clock, same host)
    ack_lat: list[float]  # subscriber receive - the moment the POST returned to the poster
    post_lat: list[float]
    cpu: dict[str, float]
    seconds: float


async def stream_phase(
    server: Server,
    world: World,
    subs: int,
    rate: float,
    posters: int,
    warm: float,
    dur: float,
    deflate: bool,
) -> StreamResult:
    url = f"{server.ws}/ws/stock?token={world.token}"
    measured_ids: dict[str, float] = {}  # event_id -> wall time its POST returned
    seen: list[list[tuple[float, str, int, str]]] = [[] for _ in range(subs)]
    resyncs = 0

    async def subscriber(i: int, ws: ClientConnection) -> None:
        nonlocal resyncs
        log = seen[i]
        for _ in range(MAX_OPS):
            msg = await ws.recv()  # cancelled at the end of the phase
            t = time.time()
            m = orjson.loads(msg)
            kind = m.get("type")
            if kind == "move":
                log.append((t, m["event_id"], m["seq"], m["applied_at"]))
            elif kind == "resync":
                resyncs += 1
                return

    async def open_one(i: int) -> ClientConnection:
        ws = await connect(
            url,
            proxy=None,
            compression="deflate" if deflate else None,
            max_queue=None,
            open_timeout=30,
        )
        conns.append(ws)
        for _ in range(10_000):  # the snapshot, possibly in parts
            m = orjson.loads(await asyncio.wait_for(ws.recv(), timeout=30))
            if m.get("type") == "snapshot" and m.get("last"):
                break
        return ws

    conns: list[ClientConnection] = []
    readers: list[asyncio.Future[None]] = []
    try:
        for start in range(0, subs, 20):  # connect in waves, as a shift starting would
            await asyncio.gather(*(open_one(i) for i in range(start, min(subs, start + 20))))
        readers += [asyncio.ensure_future(subscriber(i, ws)) for i, ws in enumerate(conns)]
        t = now()
        win = Window(t + warm, t + warm + dur)
        post_lat: list[float] = []
        last_seq = 0

        async def poster(k: int) -> None:
            """Open loop: each poster keeps its share of the rate, whatever the latency."""
            nonlocal last_seq
            rnd = random.Random(100 + k)
            interval = posters / rate
            nxt = t + k / rate
            c = await open_conn(server, world.token)
            try:
                for _ in range(MAX_OPS):
                    nxt += interval
                    if nxt >= win.end:
                        break
                    delay = nxt - now()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    elif delay < -interval:
                        nxt = now()  # fell behind: skip the missed slots, keep the pace
                    body = world.scan(rnd)
                    t0 = now()
                    status, content = await c.request("POST", "/api/scans", orjson.dumps(body))
                    t1, wall = now(), time.time()
                    if status != 200:
                        raise RuntimeError(f"POST /api/scans answered {status}: {content[:200]!r}")
                    last_seq = max(last_seq, orjson.loads(content).get("seq") or 0)
                    if win.start <= t0:
                        measured_ids[body["event_id"]] = wall
                        post_lat.append(t1 - t0)
            finally:
                await c.close()

        await measured(win, server, [poster(k) for k in range(posters)], "stream")
        # Let the last moves arrive everywhere (bounded), then stop the readers.
        for _ in range(100):
            if all(log and log[-1][2] >= last_seq for log in seen):
                break
            await asyncio.sleep(0.1)
    finally:
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await asyncio.gather(*(ws.close() for ws in conns), return_exceptions=True)

    applied_lat: list[float] = []
    ack_lat: list[float] = []
    delivered = out_of_order = 0
    for log in seen:
        last = -1
        for t, eid, seq, applied_at in log:
            if seq <= last:
                out_of_order += 1
            last = seq
            ack = measured_ids.get(eid)
            if ack is None:
                continue
            delivered += 1
            applied_lat.append(t - datetime.fromisoformat(applied_at).timestamp())
            ack_lat.append(t - ack)
    posted = len(measured_ids)
    return StreamResult(
        subs,
        posted,
        delivered,
        posted * subs,
        out_of_order,
        resyncs,
        applied_lat,
        ack_lat,
        post_lat,
        win.cpu,
        win.seconds,
    )


# --- the run ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "loadavg": os.getloadavg(),
    }


def fmt(v: float, digits: int = 1) -> str:
    return "-" if v != v else f"{v:,.{digits}f}"


def print_table(rows: list[Row]) -> None:
    head = (
        "phase",
        "clients",
        "ops",
        "ops/s",
        "p50 ms",
        "p99 ms",
        "vs ceiling",
        "not ok",
        "srv ms CPU/op",
        "gen ms CPU/op",
        "srv cores",
        "others' cores",
    )
    body = [
        (
            r.name,
            r.clients,
            f"{r.ops:,}",
            fmt(r.rate, 0),
            fmt(r.p50, 2),
            fmt(r.p99, 2),
            "-" if r.ratio is None else f"{r.ratio:.0%}",
            str(r.bad),
            fmt(r.server_ms, 3),
            fmt(r.client_ms, 3),
            fmt(r.server_cores, 2),
            fmt(r.others_cores, 2),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    print(line)
    print("-" * len(line))
    for b in body:
        print(
            "  ".join(
                (c.ljust(w) if i < 2 else c.rjust(w))
                for i, (c, w) in enumerate(zip(b, widths, strict=True))
            )
        )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()
    data_dir = Path(tempfile.mkdtemp(prefix="jxc-bench-", dir=args.data_dir))
    server = Server(data_dir, args.port or free_port())
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        server.profile_dir = args.profile.resolve()
    warm, dur = args.warmup, args.duration
    rows: list[Row] = []
    try:
        print(
            f"jxc ingest benchmark: {' '.join(server.cmd)} serve --port {server.port} "
            f"(SQLite WAL + synchronous=FULL at {data_dir}); HTTP generator: {args.http}, "
            f"WebSocket deflate: {'on' if args.deflate else 'off'}",
            flush=True,
        )
        server.add_admin()
        server.start()
        await server.wait_ready()
        world = await seed(server)
        print(
            f"seeded WH1: {N_PRODUCTS} products, {N_BINS} bins; each phase: {warm:g} s warm-up "
            f"+ {dur:g} s measured",
            flush=True,
        )

        def step(label: str) -> None:
            print(f"  ... {label}", flush=True)

        step("ceiling: GET /healthz, 16 clients")
        ceil = row(
            "ceiling GET /healthz",
            "16",
            await http_phase(server, "ceiling", 16, warm, dur, healthz, None),
        )
        rows.append(ceil)
        scans = post_scan(world)
        for n in (1, 16):
            step(f"POST /api/scans, {n} client(s)")
            r = row(
                "POST /api/scans (1 scan)",
                str(n),
                await http_phase(server, f"http{n}", n, warm, dur, scans, world.token),
            )
            r.ratio = r.rate / ceil.rate
            rows.append(r)
        step(f"WS /ws/scans, {args.ws_conns} connections x {args.ws_window} in flight")
        w = row(
            "WS /ws/scans pipelined",
            f"{args.ws_conns}x{args.ws_window}",
            await ws_phase(server, world, args.ws_conns, args.ws_window, warm, dur, args.deflate),
        )
        w.ratio = w.rate / ceil.rate
        rows.append(w)
        step(f"stream: {args.subscribers} WS /ws/stock subscribers, POST at {args.stream_rate:g}/s")
        st = await stream_phase(
            server,
            world,
            args.subscribers,
            args.stream_rate,
            args.stream_posters,
            warm,
            dur,
            args.deflate,
        )
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)

    print()
    print_table(rows)
    print()
    posted = max(st.posted, 1)
    print(
        f"stream: {st.subscribers} subscribers; {st.posted} scans posted in {st.seconds:g} s "
        f"({st.posted / st.seconds:.0f}/s, asked {args.stream_rate:g}/s, "
        f"{args.stream_posters} posters) -> {st.delivered:,} of {st.expected:,} move messages "
        f"delivered, {st.out_of_order} out of order, {st.resyncs} resyncs"
    )
    print(
        f"  applied_at -> subscriber   p50 {fmt(pct(st.applied_lat, 50), 2)} ms   "
        f"p99 {fmt(pct(st.applied_lat, 99), 2)} ms   max {fmt(pct(st.applied_lat, 100), 2)} ms"
    )
    print(
        f"  POST ack   -> subscriber   p50 {fmt(pct(st.ack_lat, 50), 2)} ms   "
        f"p99 {fmt(pct(st.ack_lat, 99), 2)} ms   (negative: the move arrived before the ack)"
    )
    print(
        f"  POST latency meanwhile     p50 {fmt(pct(st.post_lat, 50), 2)} ms   "
        f"p99 {fmt(pct(st.post_lat, 99), 2)} ms"
    )
    print(
        f"  server CPU {fmt(st.cpu['server'] / st.seconds, 2)} cores = "
        f"{fmt(st.cpu['server'] * 1e3 / posted, 2)} ms per scan incl. its fan-out; generator "
        f"{fmt(st.cpu['client'] / st.seconds, 2)} cores; other processes "
        f"{fmt(st.cpu['others'] / st.seconds, 2)} cores"
    )

    http16 = rows[2]
    checks = [
        (
            "HTTP 1 scan/request at 16 clients >= 50% of ceiling",
            f"{http16.ratio:.0%}",
            (http16.ratio or 0) >= TARGETS["http16_ratio"],
        ),
        ("WebSocket ingestion >= 5,000 scans/s", f"{w.rate:,.0f}/s", w.rate >= TARGETS["ws_rate"]),
        (
            "commit -> subscriber p99 <= 50 ms (applied_at based)",
            f"{pct(st.applied_lat, 99):.1f} ms",
            pct(st.applied_lat, 99) <= TARGETS["stream_p99_ms"],
        ),
    ]
    print()
    print("targets (reported, not asserted):")
    for label, value, ok in checks:
        print(f"  [{'met ' if ok else 'MISS'}] {label}: {value}")
    print(f"\nmachine: {machine()}; load average before the run: {load_before}")

    return {
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "machine": machine(),
        "load_before": load_before,
        "rows": [r.__dict__ for r in rows],
        "stream": {
            "subscribers": st.subscribers,
            "posted": st.posted,
            "delivered": st.delivered,
            "expected": st.expected,
            "out_of_order": st.out_of_order,
            "resyncs": st.resyncs,
            "applied_p50_ms": pct(st.applied_lat, 50),
            "applied_p99_ms": pct(st.applied_lat, 99),
            "ack_p50_ms": pct(st.ack_lat, 50),
            "ack_p99_ms": pct(st.ack_lat, 99),
            "post_p50_ms": pct(st.post_lat, 50),
            "post_p99_ms": pct(st.post_lat, 99),
            "seconds": st.seconds,
            "server_cores": st.cpu["server"] / st.seconds,
            "server_ms_per_scan": st.cpu["server"] * 1e3 / posted,
            "others_cores": st.cpu["others"] / st.seconds,
        },
        "targets": {label: {"value": value, "met": ok} for label, value, ok in checks},
    }


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--duration", type=float, default=8.0, help="measured seconds per phase")
    p.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per phase")
    p.add_argument("--quick", action="store_true", help="3 s per phase, 1 s warm-up")
    p.add_argument("--ws-conns", type=int, default=4, help="WS /ws/scans connections")
    p.add_argument("--ws-window", type=int, default=100, help="scans in flight per connection")
    p.add_argument("--subscribers", type=int, default=100, help="WS /ws/stock clients")
    p.add_argument(
        "--stream-rate", type=float, default=50.0, help="scans/s posted in the stream phase"
    )
    p.add_argument(
        "--stream-posters",
        type=int,
        default=4,
        help="HTTP connections posting the stream phase's scans (open loop, each at rate/posters)",
    )
    p.add_argument(
        "--deflate",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="offer permessage-deflate on WebSockets, as browsers do",
    )
    p.add_argument(
        "--http",
        choices=("httpx", "raw"),
        default="httpx",
        help="HTTP generator: httpx.AsyncClient, or a minimal HTTP/1.1 client that "
        "leaves more CPU to the server",
    )
    p.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    p.add_argument("--data-dir", default=None, help="where the temporary database goes")
    p.add_argument("--keep", action="store_true", help="keep the database and server log")
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    p.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="sample the server with py-spy "
        "during each measured window; collapsed stacks go to DIR/<phase>.txt "
        "(summarise with bench/profile_summary.py; the sampling costs CPU too)",
    )
    p.add_argument("--no-uvloop", action="store_true", help="plain asyncio in the generator")
    args = p.parse_args()
    if args.quick:
        args.duration, args.warmup = 3.0, 1.0
    if not (0 < args.duration <= 120 and 0 <= args.warmup <= 30):
        p.error("--duration must be in (0, 120] and --warmup in [0, 30]")
    if not (
        1 <= args.subscribers <= 1000
        and 1 <= args.ws_conns <= 64
        and 1 <= args.ws_window <= 1000
        and 0 < args.stream_rate <= 2000
        and 1 <= args.stream_posters <= 64
    ):
        p.error(
            "--subscribers 1..1000, --ws-conns 1..64, --ws-window 1..1000, "
            "--stream-rate (0, 2000], --stream-posters 1..64"
        )

    global GENERATOR
    GENERATOR = args.http
    runner: Callable[[Awaitable[dict[str, Any]]], dict[str, Any]] = asyncio.run  # type: ignore[assignment]
    if not args.no_uvloop:
        with contextlib.suppress(ImportError):
            import uvloop

            runner = uvloop.run  # type: ignore[assignment]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the server
    result = runner(run(args))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, default=str))
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
