"""jxc hardware layer: device adapters and the dock agent (``jxc agent CONFIG.toml``).

Each adapter parses bytes with a pure parser and does I/O in a thin transport; every read
becomes one envelope (``ScanRead``) that the agent writes to a durable outbox before
forwarding it to the server over ``WS /ws/scans``. ``CameraSource`` lives in
``hardware.camera`` and is not imported here: importing it loads OpenCV.
"""

from hardware.agent import Agent
from hardware.config import AgentConfig, ConfigError, load_config
from hardware.dedup import Debouncer
from hardware.forwarder import Forwarder
from hardware.framing import Framing, LineParser
from hardware.hid import HidSource, KeyDecoder
from hardware.keymaps import KEYMAPS, Keymap
from hardware.link import Backoff, Health
from hardware.llrp import LLRPSource, LLRPUnavailable, require_sllurp
from hardware.outbox import Outbox
from hardware.portal import RfidPassSource, pass_reads
from hardware.reads import Decoded, ScanRead, Source
from hardware.rfid import Pass, PassLine, PassTracker, TagRead, TagSummary
from hardware.serialport import SerialSettings, SerialSource
from hardware.simulate import ScriptSource, parse_script
from hardware.tcp import TcpClientSource, TcpServerSource

__all__ = [
    "KEYMAPS",
    "Agent",
    "AgentConfig",
    "Backoff",
    "ConfigError",
    "Debouncer",
    "Decoded",
    "Forwarder",
    "Framing",
    "Health",
    "HidSource",
    "KeyDecoder",
    "Keymap",
    "LLRPSource",
    "LLRPUnavailable",
    "LineParser",
    "Outbox",
    "Pass",
    "PassLine",
    "PassTracker",
    "RfidPassSource",
    "ScanRead",
    "ScriptSource",
    "SerialSettings",
    "SerialSource",
    "Source",
    "TagRead",
    "TagSummary",
    "TcpClientSource",
    "TcpServerSource",
    "load_config",
    "parse_script",
    "pass_reads",
    "require_sllurp",
]
