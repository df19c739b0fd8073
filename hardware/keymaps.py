"""Keyboard layouts for keyboard-wedge scanners: which character a Linux key code types.

A USB scanner in HID keyboard mode sends key presses for the layout it was told the host
uses; decoding them with another layout turns ``Y`` into ``Z`` and ``-`` into ``ß``. Key
codes are Linux's (``input-event-codes.h``), so these tables need no X server. Each key
lists ``(plain, shift, altgr)``; an empty string means the level types nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Linux input key codes used here (stable kernel ABI).
KEY_TAB, KEY_ENTER, KEY_KPENTER = 15, 28, 96
KEY_LEFTSHIFT, KEY_RIGHTSHIFT = 42, 54
KEY_LEFTCTRL, KEY_RIGHTCTRL = 29, 97
KEY_LEFTALT, KEY_RIGHTALT = 56, 100  # right Alt is AltGr on European layouts
KEY_CAPSLOCK, KEY_NUMLOCK = 58, 69
KEY_SPACE = 57
# Keypad digits: the same on every layout (numlock on); Alt+keypad codes use them.
KEYPAD_DIGITS = {82: "0", 79: "1", 80: "2", 81: "3", 75: "4", 76: "5", 77: "6", 71: "7", 72: "8", 73: "9"}  # fmt: skip
_KEYPAD_OTHER = {55: "*", 74: "-", 78: "+", 98: "/"}

Levels = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Keymap:
    """One layout: key code → characters per level, and which (code, level) are dead keys
    (an accent that combines with the next key)."""

    name: str
    keys: Mapping[int, Levels]
    dead: frozenset[tuple[int, int]] = field(default_factory=frozenset)

    def char(self, code: int, level: int) -> str:
        levels = self.keys.get(code)
        if levels is None:
            return ""
        return levels[level] or (levels[0] if level == 2 else "")

    def is_dead(self, code: int, level: int) -> bool:
        return (code, level) in self.dead

    def caps_applies(self, code: int) -> bool:
        """Caps Lock shifts letter keys only: those whose shifted form is the upper case."""
        levels = self.keys.get(code)
        return levels is not None and levels[0].isalpha() and levels[1] == levels[0].upper()


def _letters(rows: Mapping[int, str]) -> dict[int, Levels]:
    keys: dict[int, Levels] = {}
    for first, letters in rows.items():
        for i, ch in enumerate(letters):
            keys[first + i] = (ch, ch.upper(), "")
    return keys


def _keymap(
    name: str,
    letters: Mapping[int, str],
    others: Mapping[int, tuple[str, ...]],
    decimal: str,
    dead: frozenset[tuple[int, int]] = frozenset(),
) -> Keymap:
    keys = _letters(letters)
    for code, chars in others.items():
        plain, shift, altgr = (*chars, "", "")[:3]
        keys[code] = (plain, shift, altgr or keys.get(code, ("", "", ""))[2])
    for code, digit in (KEYPAD_DIGITS | _KEYPAD_OTHER).items():
        keys[code] = (digit, digit, "")
    keys[83] = (decimal, decimal, "")  # keypad decimal point
    keys[KEY_SPACE] = (" ", " ", " ")
    keys[KEY_TAB] = ("\t", "\t", "")  # data, unless Tab is a terminator
    return Keymap(name, keys, dead)


US = _keymap(
    "us",
    {16: "qwertyuiop", 30: "asdfghjkl", 44: "zxcvbnm"},
    {
        2: ("1", "!"), 3: ("2", "@"), 4: ("3", "#"), 5: ("4", "$"), 6: ("5", "%"),
        7: ("6", "^"), 8: ("7", "&"), 9: ("8", "*"), 10: ("9", "("), 11: ("0", ")"),
        12: ("-", "_"), 13: ("=", "+"), 26: ("[", "{"), 27: ("]", "}"), 39: (";", ":"),
        40: ("'", '"'), 41: ("`", "~"), 43: ("\\", "|"), 51: (",", "<"), 52: (".", ">"),
        53: ("/", "?"), 86: ("\\", "|"),
    },
    decimal=".",
)  # fmt: skip

# German (QWERTZ), as Linux's "de" layout: Y and Z swapped, ß and umlauts, AltGr for @ {[]}\.
DE = _keymap(
    "de",
    {16: "qwertzuiop", 30: "asdfghjkl", 44: "yxcvbnm"},
    {
        2: ("1", "!"), 3: ("2", '"', "²"), 4: ("3", "§", "³"), 5: ("4", "$"), 6: ("5", "%"),
        7: ("6", "&"), 8: ("7", "/", "{"), 9: ("8", "(", "["), 10: ("9", ")", "]"),
        11: ("0", "=", "}"), 12: ("ß", "?", "\\"), 13: ("´", "`"), 16: ("q", "Q", "@"),
        18: ("e", "E", "€"), 26: ("ü", "Ü"), 27: ("+", "*", "~"), 39: ("ö", "Ö"),
        40: ("ä", "Ä"), 41: ("^", "°"), 43: ("#", "'"), 50: ("m", "M", "µ"),
        51: (",", ";"), 52: (".", ":"), 53: ("-", "_"), 86: ("<", ">", "|"),
    },
    decimal=",",
    dead=frozenset({(13, 0), (13, 1), (41, 0)}),
)  # fmt: skip

# French (AZERTY), as Linux's "fr" layout: digits need Shift, A/Q and Z/W swapped, M right of L.
FR = _keymap(
    "fr",
    {16: "azertyuiop", 30: "qsdfghjklm", 44: "wxcvbn"},
    {
        2: ("&", "1"), 3: ("é", "2", "~"), 4: ('"', "3", "#"), 5: ("'", "4", "{"),
        6: ("(", "5", "["), 7: ("-", "6", "|"), 8: ("è", "7", "`"), 9: ("_", "8", "\\"),
        10: ("ç", "9", "^"), 11: ("à", "0", "@"), 12: (")", "°", "]"), 13: ("=", "+", "}"),
        18: ("e", "E", "€"), 26: ("^", "¨"), 27: ("$", "£", "¤"), 40: ("ù", "%"),
        41: ("²", ""), 43: ("*", "µ"), 50: (",", "?"), 51: (";", "."), 52: (":", "/"),
        53: ("!", "§"), 86: ("<", ">"),
    },
    decimal=".",
    dead=frozenset({(3, 2), (8, 2), (26, 0), (26, 1)}),
)  # fmt: skip

KEYMAPS: dict[str, Keymap] = {k.name: k for k in (US, DE, FR)}
