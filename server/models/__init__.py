"""All table models, in one place so domains never import each other to reach a model."""

from server.models.alert import Alert
from server.models.inventory import (
    Adjustment,
    AdjustmentReason,
    AdjustmentStatus,
    CountEntry,
    CountLine,
    CountLineStatus,
    CountLocation,
    CountLocationStatus,
    CountPlan,
    CountSession,
    CountStatus,
    CountTask,
    CountTaskStatus,
    Transfer,
    TransferLine,
    TransferStatus,
)
from server.models.location import VIRTUAL_KINDS, Location, LocationKind
from server.models.product import AbcClass, BarcodeKind, Lot, Product, ProductBarcode, Tracking
from server.models.stock import (
    LedgerHead,
    MoveKind,
    PostingCap,
    ScanEvent,
    StockMove,
    StockQuant,
)
from server.models.user import Device, Role, User
from server.models.warehouse import Warehouse

__all__ = [
    "VIRTUAL_KINDS",
    "AbcClass",
    "Adjustment",
    "AdjustmentReason",
    "AdjustmentStatus",
    "Alert",
    "BarcodeKind",
    "CountEntry",
    "CountLine",
    "CountLineStatus",
    "CountLocation",
    "CountLocationStatus",
    "CountPlan",
    "CountSession",
    "CountStatus",
    "CountTask",
    "CountTaskStatus",
    "Device",
    "LedgerHead",
    "Location",
    "LocationKind",
    "Lot",
    "MoveKind",
    "PostingCap",
    "Product",
    "ProductBarcode",
    "Role",
    "ScanEvent",
    "StockMove",
    "StockQuant",
    "Tracking",
    "Transfer",
    "TransferLine",
    "TransferStatus",
    "User",
    "Warehouse",
]
