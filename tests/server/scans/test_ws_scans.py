"""``WS /ws/scans``: pipelined scans, one answer per scan, in order."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.conftest import EAN_PLAIN, World, scan


async def test_pipelined_scans_are_answered_in_order(world: World) -> None:
    url = f"{world.server.ws_url}/ws/scans"
    headers = {"Authorization": f"Bearer {world.server.tokens['supervisor']}"}
    scans = [scan(type="receive", code=EAN_PLAIN, qty=1, location="A1") for _ in range(200)]
    async with connect(url, additional_headers=headers) as ws:
        for s in scans[:100]:
            await ws.send(json.dumps(s))
        await ws.send(json.dumps(scans[100:]))  # a list: one answer per scan
        await ws.send("{oops")
        await ws.send(json.dumps(scans[0]))  # a replay
        answers = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(202)]
    assert [a["event_id"] for a in answers[:200]] == [s["event_id"] for s in scans]
    assert all(a["status"] == "applied" for a in answers[:200])
    assert [a["on_hand"] for a in answers[:200]] == list(range(1, 201))
    assert answers[200]["error"]["code"] == "invalid_json"
    assert (answers[201]["status"], answers[201]["event_id"]) == ("duplicate", scans[0]["event_id"])


async def test_device_key_and_browser_token_and_refusals(world: World) -> None:
    base = f"{world.server.ws_url}/ws/scans"
    async with connect(f"{base}?token={world.device_key}") as ws:
        await ws.send(json.dumps(scan(code=EAN_PLAIN)))
        answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert (answer["status"], answer["location"]) == ("applied", "DOCK")
    for url in (base, f"{base}?token=bogus"):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url):
                pass
        assert refused.value.response.status_code == 401


async def test_oversized_message_closes_the_socket(world: World) -> None:
    url = f"{world.server.ws_url}/ws/scans?token={world.server.tokens['supervisor']}"
    limit = world.server.settings.max_body_bytes
    async with connect(url, max_size=None) as ws:
        with contextlib.suppress(ConnectionClosed):  # the server may close mid-message
            await ws.send("x" * (limit + 10))
        await asyncio.wait_for(ws.wait_closed(), 10)
        assert ws.close_code == 1009


async def test_binary_frames_are_read_as_json(world: World) -> None:
    url = f"{world.server.ws_url}/ws/scans?token={world.server.tokens['supervisor']}"
    s = scan(type="receive", code=EAN_PLAIN, location="A1")
    async with connect(url) as ws:
        await ws.send(json.dumps(s).encode())
        await ws.send(b"\xff\xfe")
        first = json.loads(await asyncio.wait_for(ws.recv(), 10))
        second = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert (first["event_id"], first["status"]) == (s["event_id"], "applied")
    assert second["error"]["code"] == "invalid_json"


async def test_writer_down_every_scan_still_gets_an_answer(world: World) -> None:
    """A stopped writer (shutdown) answers each scan 'unavailable' with its event id; the
    socket keeps answering, so a client never waits on a scan that will not come back."""
    url = f"{world.server.ws_url}/ws/scans?token={world.server.tokens['admin']}"
    async with connect(url) as ws:
        await world.server.app.state.jxc.writer.stop()
        sent = [scan(type="receive", code=EAN_PLAIN, location="A1") for _ in range(3)]
        await ws.send(json.dumps(sent[:2]))
        await ws.send(json.dumps(sent[2]))
        answers = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in sent]
    assert [a["event_id"] for a in answers] == [s["event_id"] for s in sent]
    assert {a["status"] for a in answers} == {"rejected"}
    assert {a["error"]["code"] for a in answers} == {"unavailable"}
