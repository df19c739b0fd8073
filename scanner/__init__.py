"""jxc scanner library: read barcodes from images and video, and say what a code means
(GTINs, GS1 element strings, AIM symbology identifiers, RFID EPCs).

A pure library: no web framework, no database, no sockets. Images are decoded by
``scanner.decode`` (``decode``, ``Read``) and video by ``scanner.frames`` (``FrameDecoder``,
``read_video``); they are not imported here because they load OpenCV and zxing-cpp, which
code that only interprets texts does not need.
"""

from scanner.codes import GS1Data, InvalidCode, gtin14, interpret, split_aim
from scanner.epc import EPC, InvalidEPC, decode_epc, parse_epc_uri

__all__ = [
    "EPC",
    "GS1Data",
    "InvalidCode",
    "InvalidEPC",
    "decode_epc",
    "gtin14",
    "interpret",
    "parse_epc_uri",
    "split_aim",
]
