"""The agent's configuration file (TOML), validated, with errors that name the device and
the field. Relative paths (the outbox, a simulator script) are relative to the file.

    server = "http://127.0.0.1:8000"
    outbox = "agent-outbox.db"

    [[device]]
    name = "dock-1-fixed"
    kind = "tcp-client"
    host = "192.168.1.40"
    port = 51236
    terminator = "CR"
    aim = true
    holdoff = 1.5
    api_key_env = "JXC_DOCK1_KEY"     # or api_key = "jxcd_..."
"""

from __future__ import annotations

import codecs
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hardware.framing import Framing, terminator_bytes
from hardware.keymaps import KEYMAPS

MAX_CONFIG_BYTES = 1 << 20


class ConfigError(ValueError):
    """A configuration that cannot be used; the message says where and why."""


def _listed(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _relative(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base")
    return value if value.is_absolute() or base is None else Path(base) / value


class _Device(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        pattern=r"^[A-Za-z0-9._\-]{2,64}$",
        description="The device's name on the server (jxc device add NAME).",
    )
    api_key: str | None = Field(default=None, min_length=8, repr=False)
    api_key_env: str | None = Field(default=None, min_length=1)
    reference: str | None = Field(default=None, max_length=128)

    @model_validator(mode="after")
    def _one_key(self) -> _Device:
        if (self.api_key is None) == (self.api_key_env is None):
            raise ValueError("give the device's key as api_key or api_key_env (one of them)")
        return self

    @property
    def key(self) -> str:
        """The API key; read from the environment when named there (checked at start)."""
        if self.api_key is not None:
            return self.api_key
        value = os.environ.get(self.api_key_env or "", "")
        if not value:
            raise ConfigError(f"device {self.name}: the variable {self.api_key_env} is not set")
        return value


class _Framed(_Device):
    """Line framing shared by TCP and serial scanners."""

    holdoff: float = Field(default=1.0, ge=0, le=3600)
    terminator: str = "CR"
    prefix: str = ""
    noread: Annotated[list[str], BeforeValidator(_listed)] = ["NOREAD"]
    aim: bool = False
    encoding: str = "utf-8"
    max_line: int = Field(default=4096, ge=16, le=1 << 20)
    flush_on_close: bool = True

    @field_validator("terminator")
    @classmethod
    def _terminator(cls, value: str) -> str:
        try:
            terminator_bytes(value)
        except (ValueError, UnicodeEncodeError) as exc:
            raise ValueError("CR, LF, CRLF, ETX, EOT, TAB or the terminator's characters") from exc
        return value

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError as exc:
            raise ValueError(f"unknown encoding {value!r}") from exc
        return value

    def framing(self) -> Framing:
        return Framing(
            terminator=terminator_bytes(self.terminator),
            prefix=self.prefix.encode(self.encoding),
            noread=tuple(self.noread),
            aim=self.aim,
            encoding=self.encoding,
            max_line=self.max_line,
            flush_on_close=self.flush_on_close,
        )


class TcpClientDevice(_Framed):
    kind: Literal["tcp-client"]
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    connect_timeout: float = Field(default=5.0, gt=0, le=120)
    idle_timeout: float | None = Field(default=None, gt=0)


class TcpServerDevice(_Framed):
    kind: Literal["tcp-server"]
    host: str = "0.0.0.0"
    port: int = Field(ge=0, le=65535)
    max_clients: int = Field(default=8, ge=1, le=256)


_PARITY = {"none": "N", "even": "E", "odd": "O", "mark": "M", "space": "S"}


class SerialDevice(_Framed):
    kind: Literal["serial"]
    port: str = Field(min_length=1, description="/dev/ttyUSB0, /dev/serial/by-id/..., COM3")
    baudrate: int = Field(default=9600, ge=50, le=4_000_000)
    bytesize: Literal[5, 6, 7, 8] = 8
    parity: Literal["N", "E", "O", "M", "S"] = "N"
    stopbits: float = 1

    @field_validator("stopbits")
    @classmethod
    def _stopbits(cls, value: float) -> float:
        if value not in (1, 1.5, 2):
            raise ValueError("1, 1.5 or 2")
        return value

    xonxoff: bool = False
    rtscts: bool = False

    @field_validator("parity", mode="before")
    @classmethod
    def _parity(cls, value: Any) -> Any:
        return _PARITY.get(value.lower(), value.upper()) if isinstance(value, str) else value


class HidDevice(_Device):
    kind: Literal["hid"]
    path: str = Field(min_length=1, description="/dev/input/by-id/...-event-kbd")
    keymap: str = "us"
    terminators: Annotated[list[Literal["enter", "tab"]], BeforeValidator(_listed)] = ["enter"]
    aim: bool = False
    grab: bool = True
    holdoff: float = Field(default=0.0, ge=0, le=3600)
    max_len: int = Field(default=4096, ge=16, le=1 << 16)

    @field_validator("keymap")
    @classmethod
    def _keymap(cls, value: str) -> str:
        if value.lower() not in KEYMAPS:
            raise ValueError(f"one of {', '.join(sorted(KEYMAPS))}")
        return value.lower()


class CameraDevice(_Device):
    kind: Literal["camera"]
    source: str | int = Field(description="a device index, a video file or an RTSP URL")
    holdoff: float = Field(default=1.0, ge=0, le=3600)
    formats: list[str] | None = None
    max_fps: float | None = Field(default=None, gt=0, le=240)


class LlrpDevice(_Device):
    kind: Literal["llrp"]
    host: str = Field(min_length=1)
    port: int = Field(default=5084, ge=1, le=65535)
    antennas: list[int] = Field(default=[1, 2], min_length=1)
    idle_gap: float = Field(default=2.0, gt=0, le=600)
    max_tags: int = Field(default=100_000, ge=1, le=10_000_000)

    @field_validator("antennas")
    @classmethod
    def _antennas(cls, value: list[int]) -> list[int]:
        if any(not 1 <= a <= 65535 for a in value):
            raise ValueError("antenna ids are 1..65535")
        return value


class SimulateDevice(_Device):
    kind: Literal["simulate"]
    script: Path
    repeat: int = Field(default=1, ge=1, le=1_000_000)
    speed: float = Field(default=1.0, gt=0, le=1_000_000)
    holdoff: float = Field(default=0.0, ge=0, le=3600)

    @field_validator("script", mode="after")
    @classmethod
    def _script(cls, value: Path, info: ValidationInfo) -> Path:
        return _relative(value, info)


DeviceConfig = Annotated[
    TcpClientDevice
    | TcpServerDevice
    | SerialDevice
    | HidDevice
    | CameraDevice
    | LlrpDevice
    | SimulateDevice,
    Field(discriminator="kind"),
]


class AgentConfig(BaseModel):
    """The whole file: where the server is, where the outbox lives, the devices."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    server: HttpUrl
    outbox: Path = Path("agent-outbox.db")
    health_interval: float = Field(default=15.0, ge=1, le=3600)
    window: int = Field(default=256, ge=1, le=10_000)
    devices: list[DeviceConfig] = Field(alias="device", min_length=1)

    @field_validator("outbox", mode="after")
    @classmethod
    def _outbox(cls, value: Path, info: ValidationInfo) -> Path:
        return _relative(value, info)

    @model_validator(mode="after")
    def _unique(self) -> AgentConfig:
        names = [d.name for d in self.devices]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"device names must be unique: {', '.join(twice)}")
        return self

    @property
    def base_url(self) -> str:
        return str(self.server).rstrip("/")

    @property
    def ws_url(self) -> str:
        """``WS /ws/scans`` on the same host: http → ws, https → wss."""
        scheme, rest = self.base_url.split("://", 1)
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ws/scans"

    def device(self, name: str) -> DeviceConfig:
        for d in self.devices:
            if d.name == name:
                return d
        raise ConfigError(f"no device {name!r} in the configuration")


def parse_config(text: str, *, base: Path | None = None, source: str = "config") -> AgentConfig:
    """Validate TOML text; a ``ConfigError`` lists every problem, one per line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return AgentConfig.model_validate(data, context={"base": base})
    except ValidationError as exc:
        problems = [f"  {_where(e['loc'], data)}{_message(e)}" for e in exc.errors()]
        raise ConfigError(f"{source}: invalid configuration\n" + "\n".join(problems)) from exc


def load_config(path: Path) -> AgentConfig:
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text") from exc
    return parse_config(text, base=path.resolve().parent, source=str(path))


def _where(loc: tuple[int | str, ...], data: dict[str, Any]) -> str:
    """``device[1] "dock-2" port`` from pydantic's ``("device", 1, "tcp-client", "port")``."""
    if len(loc) >= 2 and loc[0] == "device" and isinstance(loc[1], int):
        devices = data.get("device")
        name = ""
        if (
            isinstance(devices, list)
            and loc[1] < len(devices)
            and isinstance(devices[loc[1]], dict)
        ):
            name = f' "{devices[loc[1]].get("name", "")}"'
        rest = (
            [str(p) for p in loc[3:]]
            if len(loc) > 2 and loc[2] in _KINDS
            else [str(p) for p in loc[2:]]
        )
        return f"device[{loc[1]}]{name}" + (f" {'.'.join(rest)}" if rest else "")
    return ".".join(str(p) for p in loc) or "(top level)"


def _message(error: Any) -> str:
    kinds = ", ".join(_KINDS)
    if error["type"] == "union_tag_invalid":
        return f" kind: {error['ctx']['tag']!r} is not one of {kinds}"
    if error["type"] == "union_tag_not_found":
        return f" kind: missing (one of {kinds})"
    return f": {error['msg']}"


_KINDS = ("tcp-client", "tcp-server", "serial", "hid", "camera", "llrp", "simulate")
