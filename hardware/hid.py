"""Keyboard-wedge (USB HID) scanners on a Linux dock PC, read through evdev.

The agent *grabs* the scanner's input device (EVIOCGRAB), so its "typing" reaches only the
agent and never lands in whatever window has the focus. ``KeyDecoder`` is pure: it turns
``(type, code, value)`` key events into reads, honouring Shift, Caps Lock, AltGr, dead
keys, Ctrl+key control characters (GS as Ctrl+]) and Alt+keypad codes (Alt+029 for GS).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Protocol, cast

from hardware.aim import split_aim, symbology
from hardware.keymaps import (
    KEY_CAPSLOCK,
    KEY_ENTER,
    KEY_KPENTER,
    KEY_LEFTALT,
    KEY_LEFTCTRL,
    KEY_LEFTSHIFT,
    KEY_NUMLOCK,
    KEY_RIGHTALT,
    KEY_RIGHTCTRL,
    KEY_RIGHTSHIFT,
    KEY_SPACE,
    KEY_TAB,
    KEYPAD_DIGITS,
    US,
    Keymap,
)
from hardware.link import Backoff, Health, describe
from hardware.reads import Decoded

try:
    import evdev
except ImportError:  # not Linux: HID devices cannot be opened, everything else works
    evdev = None  # type: ignore[assignment]

log = logging.getLogger("jxc.agent.hid")

EV_KEY = 1
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2
TERMINATOR_KEYS = {"enter": (KEY_ENTER, KEY_KPENTER), "tab": (KEY_TAB,)}
_COMBINING = {"´": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "¨": "\u0308"}

Event = tuple[int, int, int]  # (type, code, value), as evdev reports it


class KeyDecoder:
    """Key events in, reads out. A read ends at a terminator key (Enter, and Tab when
    asked); one longer than ``max_len`` characters is dropped whole. Key repeats (value 2)
    are ignored: a scanner never holds a key, a repeat is the kernel guessing."""

    def __init__(
        self,
        keymap: Keymap = US,
        *,
        terminators: Iterable[str] = ("enter",),
        aim: bool = False,
        max_len: int = 4096,
    ) -> None:
        self.keymap, self.aim, self.max_len = keymap, aim, max_len
        self.terminators = frozenset(c for t in terminators for c in TERMINATOR_KEYS[t])
        self._held: set[int] = set()
        self.caps = False
        self.numlock = True
        self._dead = ""  # a pending dead-key accent
        self._alt_digits = ""  # Alt+keypad code being typed
        self._text: list[str] = []
        self._overflow = False
        self.overflows = 0
        self.ignored = 0  # keys that type nothing in this layout (arrows, F-keys...)

    def feed(self, event: Event) -> list[Decoded]:
        kind, code, value = event
        if kind != EV_KEY:
            return []  # EV_SYN, EV_MSC (scan codes), LEDs
        if value == KEY_UP:
            self._held.discard(code)
            if code == KEY_LEFTALT and self._alt_digits:
                self._alt_code()
            return []
        if value != KEY_DOWN:
            return []
        if code in (KEY_LEFTSHIFT, KEY_RIGHTSHIFT, KEY_LEFTCTRL, KEY_RIGHTCTRL):
            self._held.add(code)
            return []
        if code in (KEY_LEFTALT, KEY_RIGHTALT):
            self._held.add(code)
            return []
        if code == KEY_CAPSLOCK:
            self.caps = not self.caps
            return []
        if code == KEY_NUMLOCK:
            self.numlock = not self.numlock
            return []
        if code in self.terminators:
            return self.flush()
        if KEY_LEFTALT in self._held:  # Alt+keypad digits type a code; Alt+key is no text
            if code in KEYPAD_DIGITS:
                self._alt_digits = (self._alt_digits + KEYPAD_DIGITS[code])[-5:]
            return []
        self._key(code)
        return []

    def flush(self) -> list[Decoded]:
        """End the current read (a terminator key, or the device went away)."""
        if self._dead:
            self._type(self._dead)
            self._dead = ""
        text, overflow = "".join(self._text), self._overflow
        self._text.clear()
        self._overflow = False
        if overflow or not text:
            return []
        aim, body = split_aim(text) if self.aim else (None, text)
        if not body:
            return []
        return [Decoded(text=body, raw=text.encode("utf-8"), aim=aim, symbology=symbology(aim))]

    def reset(self) -> None:
        """Forget a read in progress and any held keys (the device went away)."""
        self._text.clear()
        self._held.clear()
        self._dead = self._alt_digits = ""
        self._overflow = False

    def _key(self, code: int) -> None:
        shift = bool(self._held & {KEY_LEFTSHIFT, KEY_RIGHTSHIFT})
        if self.caps and self.keymap.caps_applies(code):
            shift = not shift
        level = 2 if KEY_RIGHTALT in self._held else int(shift)
        if code in KEYPAD_DIGITS and not self.numlock:
            return  # keypad arrows
        char = self.keymap.char(code, level)
        if not char:
            self.ignored += 1
            return
        if self.keymap.is_dead(code, level):
            if self._dead:
                self._type(self._dead)
            self._dead = char
            return
        if self._dead:
            char = self._compose(self._dead, char, code)
            self._dead = ""
        if self._held & {KEY_LEFTCTRL, KEY_RIGHTCTRL}:
            upper = char.upper()
            if len(upper) == 1 and "@" <= upper <= "_":
                char = chr(ord(upper) - 64)  # Ctrl+] is GS (0x1D), Ctrl+M is CR...
        self._type(char)

    def _compose(self, accent: str, char: str, code: int) -> str:
        if code == KEY_SPACE:
            return accent
        combined = unicodedata.normalize("NFC", char + _COMBINING.get(accent, ""))
        return combined if len(combined) == 1 else accent + char

    def _alt_code(self) -> None:
        digits, self._alt_digits = self._alt_digits, ""
        n = int(digits)
        if n >= 256:
            self._type(chr(n))
        elif n > 0:  # Windows convention: a leading 0 means the ANSI code page
            self._type(bytes([n]).decode("cp1252" if digits[0] == "0" else "cp437", "replace"))

    def _type(self, chars: str) -> None:
        if self._overflow:
            return
        self._text.append(chars)
        if len(self._text) > self.max_len:
            self._text.clear()
            self._overflow = True
            self.overflows += 1


class InputDevice(Protocol):
    """The part of ``evdev.InputDevice`` the source uses (a fake implements it in tests)."""

    def grab(self) -> None: ...

    def ungrab(self) -> None: ...

    def close(self) -> None: ...

    def async_read_loop(self) -> AsyncIterator[Any]: ...  # events with type, code, value


def open_evdev(path: str) -> InputDevice:
    if evdev is None:
        raise OSError("keyboard-wedge scanners need Linux and the evdev package")
    return cast(InputDevice, evdev.InputDevice(path))


class HidSource:
    """Reads a keyboard-wedge scanner from its evdev device (best a stable
    ``/dev/input/by-id/...-event-kbd`` path), grabbed so that nothing else sees its keys;
    reopens it when it is unplugged."""

    kind = "hid"

    def __init__(
        self,
        path: str,
        decoder: Callable[[], KeyDecoder],
        *,
        grab: bool = True,
        health: Health | None = None,
        backoff: Backoff | None = None,
        opener: Callable[[str], InputDevice] = open_evdev,
    ) -> None:
        self.path, self.decoder, self.grab, self.opener = path, decoder, grab, opener
        self.health = health or Health()
        self.backoff = backoff or Backoff()

    async def reads(self) -> AsyncIterator[Decoded]:
        while True:
            try:
                device = self.opener(self.path)
            except OSError as exc:
                self.health.fail(f"cannot open {self.path}: {describe(exc)}")
                await asyncio.sleep(self.backoff.next())
                continue
            try:
                if self.grab:
                    device.grab()  # EVIOCGRAB: the scanner's keys reach only the agent
            except OSError as exc:
                device.close()
                self.health.fail(f"cannot grab {self.path} (in use?): {describe(exc)}")
                await asyncio.sleep(self.backoff.next())
                continue
            self.health.up()
            log.info("reading %s%s", self.path, " (grabbed)" if self.grab else "")
            decoder = self.decoder()
            reason = "the device closed"
            try:
                async for event in device.async_read_loop():
                    self.backoff.reset()
                    for read in decoder.feed((event.type, event.code, event.value)):
                        yield read
            except OSError as exc:  # unplugged: ENODEV
                reason = describe(exc)
            finally:
                with contextlib.suppress(OSError):
                    if self.grab:
                        device.ungrab()
                with contextlib.suppress(OSError):
                    device.close()
            decoder.reset()  # keys cut off by an unplug are not a read
            self.health.down(f"{self.path}: {reason}")
            log.warning("%s: %s; reopening", self.path, reason)
            await asyncio.sleep(self.backoff.next())
