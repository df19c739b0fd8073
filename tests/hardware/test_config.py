"""The agent's TOML configuration: every kind of device, and errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.config import (
    ConfigError,
    HidDevice,
    SerialDevice,
    SimulateDevice,
    TcpClientDevice,
    load_config,
    parse_config,
)
from hardware.framing import Framing

FULL = """
server = "https://jxc.example.com/"
outbox = "state/outbox.db"
health_interval = 5

[[device]]
name = "dock-1-fixed"
kind = "tcp-client"
host = "192.168.1.40"
port = 51236
terminator = "CRLF"
prefix = "\\u0002"
noread = "NOREAD"
aim = true
holdoff = 1.5
api_key = "jxcd_0123456789"

[[device]]
name = "dock-1-door"
kind = "tcp-server"
port = 9004
api_key_env = "JXC_TEST_DOOR_KEY"

[[device]]
name = "dock-2-serial"
kind = "serial"
port = "/dev/serial/by-id/usb-Datalogic-if00"
baudrate = 115200
parity = "even"
stopbits = 1.5
api_key = "jxcd_0123456789"

[[device]]
name = "pick-hid"
kind = "hid"
path = "/dev/input/by-id/usb-Honeywell-event-kbd"
keymap = "DE"
terminators = ["enter", "tab"]
api_key = "jxcd_0123456789"

[[device]]
name = "cam-1"
kind = "camera"
source = 0
max_fps = 10
api_key = "jxcd_0123456789"

[[device]]
name = "door-rfid"
kind = "llrp"
host = "10.0.0.9"
antennas = [1, 2, 3, 4]
api_key = "jxcd_0123456789"

[[device]]
name = "sim"
kind = "simulate"
script = "demo.txt"
repeat = 3
api_key = "jxcd_0123456789"
"""


def test_a_full_configuration(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text(FULL)
    cfg = load_config(path)
    assert cfg.ws_url == "wss://jxc.example.com/ws/scans"
    assert cfg.base_url == "https://jxc.example.com"
    assert cfg.outbox == tmp_path / "state/outbox.db"
    assert [d.kind for d in cfg.devices] == [
        "tcp-client", "tcp-server", "serial", "hid", "camera", "llrp", "simulate",
    ]  # fmt: skip
    tcp = cfg.devices[0]
    assert isinstance(tcp, TcpClientDevice)
    assert tcp.framing() == Framing(
        terminator=b"\r\n", prefix=b"\x02", noread=("NOREAD",), aim=True
    )
    assert tcp.holdoff == 1.5 and tcp.key == "jxcd_0123456789"
    serial = cfg.devices[2]
    assert isinstance(serial, SerialDevice) and (serial.parity, serial.stopbits) == ("E", 1.5)
    assert serial.holdoff == 1.0  # fixed scanners de-duplicate by default...
    hid = cfg.devices[3]
    assert isinstance(hid, HidDevice) and (hid.keymap, hid.holdoff) == ("de", 0.0)  # ...pickers not
    sim = cfg.devices[6]
    assert isinstance(sim, SimulateDevice) and sim.script == tmp_path / "demo.txt"
    assert "jxcd_0123456789" not in repr(cfg)


def test_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = parse_config(FULL)
    with pytest.raises(ConfigError, match="JXC_TEST_DOOR_KEY is not set"):
        _ = cfg.devices[1].key
    monkeypatch.setenv("JXC_TEST_DOOR_KEY", "jxcd_from_env")
    assert cfg.devices[1].key == "jxcd_from_env"


BASE = 'server = "http://127.0.0.1:8000"\n'
DEVICE = '[[device]]\nname = "dock-1"\napi_key = "jxcd_0123456789"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("server = ", "not valid TOML"),
        (BASE, "device: Field required"),
        ('server = "ftp://x"\n' + DEVICE + 'kind = "simulate"\nscript = "s"\n', "server: URL scheme"),
        (BASE + DEVICE + 'kind = "laser"\n', 'device[0] "dock-1" kind'),
        (BASE + DEVICE + 'kind = "tcp-client"\nhost = "h"\nport = 70000\n', 'device[0] "dock-1" port: Input should be less than or equal to 65535'),
        (BASE + DEVICE + 'kind = "tcp-client"\nhost = "h"\nport = 1\nterminatr = "CR"\n', "terminatr: Extra inputs are not permitted"),
        (BASE + DEVICE + 'kind = "tcp-client"\nhost = "h"\nport = 1\nterminator = ""\n', "terminator: Value error, CR, LF"),
        (BASE + DEVICE + 'kind = "tcp-client"\nhost = "h"\nport = 1\nencoding = "klingon"\n', "unknown encoding"),
        (BASE + DEVICE + 'kind = "serial"\nport = "/dev/ttyS0"\nstopbits = 3\n', "stopbits: Value error, 1, 1.5 or 2"),
        (BASE + DEVICE + 'kind = "serial"\nport = "/dev/ttyS0"\nparity = "weird"\n', "parity"),
        (BASE + DEVICE + 'kind = "hid"\npath = "/dev/input/event3"\nkeymap = "dvorak"\n', "one of de, fr, us"),
        (BASE + DEVICE + 'kind = "simulate"\nscript = "s"\nholdoff = -1\n', "holdoff: Input should be greater than or equal to 0"),
        (BASE + DEVICE + 'kind = "llrp"\nhost = "h"\nantennas = [0]\n', "antenna ids"),
        (BASE + '[[device]]\nname = "d1"\nkind = "simulate"\nscript = "s"\n', "api_key or api_key_env"),
        (BASE + '[[device]]\nname = "bad name!"\nkind = "simulate"\nscript = "s"\napi_key = "jxcd_0123456789"\n', 'device[0] "bad name!" name'),
        (BASE + (DEVICE + 'kind = "simulate"\nscript = "s"\n') * 2, "device names must be unique: dock-1"),
    ],
)  # fmt: skip
def test_errors_say_where_and_why(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="agent.toml")
    assert str(caught.value).startswith("agent.toml: ")
    assert message in str(caught.value), str(caught.value)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.toml")
