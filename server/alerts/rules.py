"""Alert kinds: an open registry. Stock alerts are registered here; other domains (supplier
qualification, …) register theirs with ``register_alert_kind`` and raise/clear them through
``AlertsRepository``, sharing ``GET /api/alerts`` and the stream's ``alert`` messages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AlertKind:
    name: str
    severity: str  # "info" | "warning" | "critical"
    description: str


ALERT_KINDS: dict[str, AlertKind] = {}


def register_alert_kind(kind: AlertKind) -> AlertKind:
    ALERT_KINDS[kind.name] = kind
    return kind


BELOW_SAFETY = register_alert_kind(
    AlertKind("below_safety_stock", "warning", "On hand in a warehouse below the safety stock.")
)
OVERSTOCK = register_alert_kind(
    AlertKind("overstock", "info", "On hand in a warehouse above the maximum stock.")
)
NEGATIVE = register_alert_kind(
    AlertKind("negative_available", "critical", "Available stock in a warehouse below zero.")
)
EXPIRING = register_alert_kind(
    AlertKind("expiring", "warning", "A lot on the shelves expires within the alert window.")
)
EXPIRED = register_alert_kind(
    AlertKind("expired", "critical", "An expired lot is still on sellable shelves.")
)
# The kinds the stock evaluator owns: it raises and clears these, and only these.
STOCK_KINDS = frozenset(k.name for k in (BELOW_SAFETY, OVERSTOCK, NEGATIVE, EXPIRING, EXPIRED))
