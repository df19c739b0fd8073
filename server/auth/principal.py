"""Who is calling: a user (bearer JWT) or a device (bearer API key), and what they may do."""

from __future__ import annotations

from dataclasses import dataclass

from server.errors import Forbidden
from server.models import MoveKind, Role

# Which roles may post which kind of scan.
SCAN_ROLES: dict[MoveKind, frozenset[Role]] = {
    MoveKind.receive: frozenset({Role.receiver, Role.supervisor, Role.admin}),
    MoveKind.pick: frozenset({Role.picker, Role.supervisor, Role.admin}),
    MoveKind.count: frozenset({Role.counter, Role.supervisor, Role.admin}),
    MoveKind.transfer: frozenset(
        {Role.picker, Role.receiver, Role.counter, Role.supervisor, Role.admin}
    ),
    MoveKind.adjust: frozenset({Role.supervisor, Role.admin}),
}
CATALOG_ROLES = frozenset({Role.supervisor, Role.admin})
ADMIN_ROLES = frozenset({Role.admin})


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str  # "user" | "device"
    id: int
    name: str
    role: Role | None = None
    warehouse_id: int | None = None  # None: every warehouse (users only)
    location_id: int | None = None  # a device's bound location
    scan_type: MoveKind | None = None  # a device's default (and only) scan type

    @property
    def user_id(self) -> int | None:
        return self.id if self.kind == "user" else None

    @property
    def device_id(self) -> int | None:
        return self.id if self.kind == "device" else None

    @property
    def warehouse_scope(self) -> list[int] | None:
        """The warehouse ids a listing is limited to; None: all of them."""
        return None if self.warehouse_id is None else [self.warehouse_id]

    def can_access(self, warehouse_id: int) -> bool:
        return self.warehouse_id is None or self.warehouse_id == warehouse_id

    def check_warehouse(self, warehouse_id: int, code: str = "") -> None:
        if not self.can_access(warehouse_id):
            raise Forbidden(f"{self.name} may not work in warehouse {code or warehouse_id}.")

    def may_scan(self, kind: MoveKind) -> bool:
        if self.kind == "device":
            return kind == self.scan_type
        return self.role in SCAN_ROLES[kind]

    def check_role(self, roles: frozenset[Role], action: str) -> None:
        if self.kind != "user" or self.role not in roles:
            allowed = ", ".join(sorted(roles))
            raise Forbidden(f"Only {allowed} may {action}.")
