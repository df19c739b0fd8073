"""Keyboard-wedge scanners: recorded evdev event sequences through the pure decoder, and
the transport's grab/ungrab/reopen with a fake input device."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from evdev import ecodes

from hardware import keymaps
from hardware.hid import EV_KEY, Event, HidSource, KeyDecoder
from hardware.keymaps import DE, FR, KEYMAPS, US, Keymap
from hardware.link import Backoff
from hardware.reads import Decoded
from tests.hardware.helpers import until

EV_SYN, EV_MSC = 0, 4
SHIFT, ALTGR, CTRL, ALT = 42, 100, 29, 56
ENTER, TAB, CAPS = 28, 15, 58

# Recorded with `evtest` from a Honeywell scanner in US-keyboard mode reading "a1" + Enter:
# every key press comes with its MSC_SCAN and a SYN_REPORT, then the release, then a SYN.
RECORDED_A1 = [
    (EV_MSC, 4, 458756), (EV_KEY, 30, 1), (EV_SYN, 0, 0),
    (EV_MSC, 4, 458756), (EV_KEY, 30, 0), (EV_SYN, 0, 0),
    (EV_MSC, 4, 458782), (EV_KEY, 2, 1), (EV_SYN, 0, 0),
    (EV_MSC, 4, 458782), (EV_KEY, 2, 0), (EV_SYN, 0, 0),
    (EV_MSC, 4, 458792), (EV_KEY, 28, 1), (EV_SYN, 0, 0),
    (EV_MSC, 4, 458792), (EV_KEY, 28, 0), (EV_SYN, 0, 0),
]  # fmt: skip


def tap(code: int, *mods: int) -> list[Event]:
    """One key stroke with modifiers held, as a scanner sends it."""
    down = [(EV_KEY, m, 1) for m in mods]
    up = [(EV_KEY, m, 0) for m in reversed(mods)]
    return [*down, (EV_KEY, code, 1), (EV_SYN, 0, 0), (EV_KEY, code, 0), *up, (EV_SYN, 0, 0)]


def typed(keymap: Keymap, text: str) -> list[Event]:
    """The events a scanner set to ``keymap`` sends for ``text`` (inverse of the table)."""
    where: dict[str, tuple[int, int]] = {}
    for code, levels in sorted(keymap.keys.items(), reverse=True):  # main block over keypad
        for level, ch in enumerate(levels):
            if ch and not keymap.is_dead(code, level):
                where[ch] = (code, level)
    events: list[Event] = []
    for ch in text:
        code, level = where[ch]
        events += tap(code, *([SHIFT] if level == 1 else [ALTGR] if level == 2 else []))
    return events


def decode(decoder: KeyDecoder, events: list[Event]) -> list[str]:
    return [r.text for e in events for r in decoder.feed(e)]


def test_recorded_sequence() -> None:
    decoder = KeyDecoder(US)
    (read,) = [r for e in RECORDED_A1 for r in decoder.feed(e)]
    assert (read.text, read.raw) == ("a1", b"a1")


def test_key_codes_are_linuxs() -> None:
    names = {
        "KEY_TAB": keymaps.KEY_TAB,
        "KEY_ENTER": keymaps.KEY_ENTER,
        "KEY_KPENTER": keymaps.KEY_KPENTER,
        "KEY_LEFTSHIFT": keymaps.KEY_LEFTSHIFT,
        "KEY_RIGHTSHIFT": keymaps.KEY_RIGHTSHIFT,
        "KEY_LEFTCTRL": keymaps.KEY_LEFTCTRL,
        "KEY_RIGHTALT": keymaps.KEY_RIGHTALT,
        "KEY_CAPSLOCK": keymaps.KEY_CAPSLOCK,
        "KEY_Q": 16,
        "KEY_Y": 21,
        "KEY_Z": 44,
        "KEY_102ND": 86,
        "KEY_KP0": 82,
        "KEY_KP9": 73,
        "KEY_KPDOT": 83,
    }
    assert {n: ecodes.ecodes[n] for n in names} == names


@pytest.mark.parametrize("keymap", [US, DE, FR], ids=lambda k: k.name)
@pytest.mark.parametrize(
    "text",
    ["5901234123457", "ABC-123", "Lot:X/7.2", "user@example.com", "a b,c;d"],
)
def test_every_layout_round_trips(keymap: Keymap, text: str) -> None:
    events = typed(keymap, text) + tap(ENTER)
    assert decode(KeyDecoder(keymap), events) == [text]


def test_layout_matters() -> None:
    """A QWERTZ scanner's Y and Z, decoded as US, swap: the reason keymap is configurable."""
    events = typed(DE, "Yz-ß") + tap(ENTER)
    assert decode(KeyDecoder(DE), events) == ["Yz-ß"]
    assert decode(KeyDecoder(US), events) == ["Zy/-"]


def test_french_digits_need_shift() -> None:
    events = [e for code in (2, 3, 4) for e in tap(code)] + tap(ENTER)
    assert decode(KeyDecoder(FR), events) == ['&é"']
    events = [e for code in (2, 3, 4) for e in tap(code, SHIFT)] + tap(ENTER)
    assert decode(KeyDecoder(FR), events) == ["123"]


def test_caps_lock_shifts_letters_only() -> None:
    events = tap(CAPS) + typed(US, "ab1") + tap(30, SHIFT) + tap(CAPS) + typed(US, "c") + tap(ENTER)
    assert decode(KeyDecoder(US), events) == ["AB1ac"]
    # German umlauts are letter keys: Caps Lock shifts them too.
    assert decode(KeyDecoder(DE), tap(CAPS) + tap(26) + tap(ENTER)) == ["Ü"]


def test_right_shift_and_key_repeat() -> None:
    events = [
        (EV_KEY, 54, 1),
        (EV_KEY, 30, 1),
        (EV_KEY, 30, 2),
        (EV_KEY, 30, 2),
        (EV_KEY, 30, 0),
        (EV_KEY, 54, 0),
    ]
    assert decode(KeyDecoder(US), events + tap(ENTER)) == ["A"]


def test_gs_as_ctrl_bracket_and_alt_keypad() -> None:
    """GS1 data needs the GS separator: scanners send it as Ctrl+] or as Alt+029."""
    ctrl = typed(US, "0105901234123457") + tap(27, CTRL) + typed(US, "10LOT") + tap(ENTER)
    assert decode(KeyDecoder(US), ctrl) == ["0105901234123457\x1d10LOT"]
    alt = [(EV_KEY, ALT, 1), *tap(82), *tap(80), *tap(73), (EV_KEY, ALT, 0)]
    events = typed(DE, "01") + alt + typed(DE, "10") + tap(ENTER)
    assert decode(KeyDecoder(DE), events) == ["01\x1d10"]
    # Alt+0233 is é in the ANSI code page.
    alt_e = [(EV_KEY, ALT, 1), *tap(82), *tap(80), *tap(81), *tap(81), (EV_KEY, ALT, 0)]
    assert decode(KeyDecoder(US), alt_e + tap(ENTER)) == ["é"]


def test_dead_keys() -> None:
    # German: ^ then space is ^, ´ then e is é, ^ then x is ^x.
    events = tap(41) + tap(57) + tap(13) + tap(18) + tap(41) + tap(45) + tap(ENTER)
    assert decode(KeyDecoder(DE), events) == ["^é^x"]
    # French: the ^ key then e is ê.
    assert decode(KeyDecoder(FR), tap(26) + tap(18) + tap(ENTER)) == ["ê"]


def test_terminators() -> None:
    events = typed(US, "A1") + tap(TAB) + typed(US, "B2") + tap(ENTER)
    assert decode(KeyDecoder(US), events) == ["A1\tB2"]  # Tab is data unless it terminates
    assert decode(KeyDecoder(US, terminators=("enter", "tab")), events) == ["A1", "B2"]
    assert decode(KeyDecoder(US), typed(US, "C3") + tap(96)) == ["C3"]  # keypad Enter


def test_aim_split_and_empty_reads() -> None:
    decoder = KeyDecoder(US, aim=True)
    events = tap(ENTER) + typed(US, "]E05901234123457") + tap(ENTER) + tap(ENTER)
    reads = [r for e in events for r in decoder.feed(e)]
    assert [(r.aim, r.text, r.symbology) for r in reads] == [("]E0", "5901234123457", "EAN13")]


def test_over_long_read_is_dropped_whole() -> None:
    decoder = KeyDecoder(US, max_len=16)
    events = typed(US, "x" * 40) + tap(ENTER) + typed(US, "ok") + tap(ENTER)
    assert decode(decoder, events) == ["ok"]
    assert decoder.overflows == 1


def test_keys_that_type_nothing_are_counted() -> None:
    decoder = KeyDecoder(US)
    events = tap(103) + tap(59) + typed(US, "a") + tap(ENTER)  # up arrow, F1
    assert decode(decoder, events) == ["a"]
    assert decoder.ignored == 2


def test_every_keymap_is_complete() -> None:
    """Each layout types every character a barcode label commonly carries."""
    needed = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-./:+%$ ")
    for keymap in KEYMAPS.values():
        typeable = {ch for levels in keymap.keys.values() for ch in levels if ch}
        assert needed <= typeable, (keymap.name, needed - typeable)


# --- the transport -------------------------------------------------------------------


@dataclass
class FakeEvent:
    type: int
    code: int
    value: int


@dataclass
class FakeInputDevice:
    """Plays recorded events, then fails like an unplugged device (ENODEV)."""

    events: list[Event]
    calls: list[str] = field(default_factory=list)
    grab_error: OSError | None = None

    def grab(self) -> None:
        self.calls.append("grab")
        if self.grab_error is not None:
            raise self.grab_error

    def ungrab(self) -> None:
        self.calls.append("ungrab")

    def close(self) -> None:
        self.calls.append("close")

    async def async_read_loop(self) -> AsyncIterator[Any]:
        for event in self.events:
            await asyncio.sleep(0)
            yield FakeEvent(*event)
        raise OSError(19, "No such device")


async def take(source: HidSource, n: int) -> list[Decoded]:
    reads: list[Decoded] = []
    gen = source.reads()
    async with contextlib.aclosing(gen):
        async for read in gen:
            reads.append(read)
            if len(reads) == n:
                break
    return reads


async def test_transport_grabs_reads_and_reopens_after_unplug() -> None:
    first = FakeInputDevice(typed(US, "A1") + tap(ENTER) + typed(US, "cut-off"))
    second = FakeInputDevice(typed(US, "B2") + tap(ENTER))
    devices = iter([first, second])
    opened: list[str] = []

    def opener(path: str) -> FakeInputDevice:
        opened.append(path)
        return next(devices)

    source = HidSource(
        "/dev/input/by-id/usb-scanner-event-kbd",
        lambda: KeyDecoder(US),
        opener=opener,
        backoff=Backoff(0.01, 0.02),
    )
    reads = await take(source, 2)
    assert [r.text for r in reads] == ["A1", "B2"]  # "cut-off" had no Enter: not a read
    assert opened == ["/dev/input/by-id/usb-scanner-event-kbd"] * 2
    assert first.calls == ["grab", "ungrab", "close"]
    assert second.calls == ["grab", "ungrab", "close"]  # closed when the consumer stopped


async def test_a_device_that_cannot_be_grabbed_is_an_error() -> None:
    busy = FakeInputDevice([], grab_error=OSError(16, "Device or resource busy"))
    source = HidSource(
        "/dev/input/event7", KeyDecoder, opener=lambda _: busy, backoff=Backoff(0.01, 0.02)
    )
    task = asyncio.create_task(take(source, 1))
    await until(lambda: source.health.state == "error")
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert source.health.error is not None and "cannot grab" in source.health.error
    assert busy.calls[:2] == ["grab", "close"]


async def test_no_grab_when_told() -> None:
    device = FakeInputDevice(typed(US, "A1") + tap(ENTER))
    source = HidSource("/dev/input/event3", KeyDecoder, grab=False, opener=lambda _: device)
    assert [r.text for r in await take(source, 1)] == ["A1"]
    assert "grab" not in device.calls
