"""jxc scanner library: what a scanned code says (GTINs, GS1 element strings).

A pure library: no web framework, no database, no sockets.
"""

from scanner.codes import GS1Data, InvalidCode, gtin14, interpret, split_aim

__all__ = ["GS1Data", "InvalidCode", "gtin14", "interpret", "split_aim"]
