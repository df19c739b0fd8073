"""SQL for warehouses, locations and products."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, exists, or_, select
from sqlmodel import col

from server.kit.repository import SessionRepository
from server.models import (
    VIRTUAL_KINDS,
    Device,
    Location,
    Lot,
    Product,
    ProductBarcode,
    StockMove,
    StockQuant,
    User,
    Warehouse,
)


def _contains(text: str) -> str:
    """A LIKE pattern (escape ``\\``) matching ``text`` literally anywhere."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class CatalogRepository(SessionRepository):
    # warehouses
    async def warehouse(self, code: str) -> Warehouse | None:
        stmt = select(Warehouse).where(col(Warehouse.code) == code)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def warehouse_by_id(self, wid: int) -> Warehouse | None:
        return await self.session.get(Warehouse, wid)

    async def warehouses(self, ids: Sequence[int] | None) -> list[Warehouse]:
        stmt = select(Warehouse).order_by(col(Warehouse.code))
        if ids is not None:
            stmt = stmt.where(col(Warehouse.id).in_(ids))
        return list((await self.session.execute(stmt)).scalars())

    async def warehouse_has_moves(self, wid: int) -> bool:
        stmt = select(exists().where(col(StockMove.warehouse_id) == wid))
        return bool((await self.session.execute(stmt)).scalar())

    async def warehouse_has_accounts(self, wid: int) -> bool:
        """Users bound to it, or devices in it."""
        users = exists().where(col(User.warehouse_id) == wid)
        devices = exists().where(col(Device.warehouse_id) == wid)
        return bool((await self.session.execute(select(or_(users, devices)))).scalar())

    # locations
    async def location(self, code: str) -> Location | None:
        stmt = select(Location).where(col(Location.code) == code)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def location_by_id(self, lid: int) -> Location | None:
        return await self.session.get(Location, lid)

    async def location_by_ref(self, ref: str) -> Location | None:
        stmt = select(Location).where(or_(col(Location.code) == ref, col(Location.barcode) == ref))
        return (await self.session.execute(stmt)).scalars().first()

    async def locations(
        self, warehouse_ids: Sequence[int] | None, kind: str | None, include_virtual: bool
    ) -> list[tuple[Location, str]]:
        stmt = (
            select(Location, col(Warehouse.code))
            .join(Warehouse, col(Warehouse.id) == col(Location.warehouse_id))
            .order_by(col(Warehouse.code), col(Location.code))
        )
        if warehouse_ids is not None:
            stmt = stmt.where(col(Location.warehouse_id).in_(warehouse_ids))
        if kind is not None:
            stmt = stmt.where(col(Location.kind) == kind)
        elif not include_virtual:
            stmt = stmt.where(col(Location.kind).not_in(list(VIRTUAL_KINDS)))
        return [(loc, code) for loc, code in await self.session.execute(stmt)]

    async def location_in_use(self, lid: int) -> bool:
        """Moved through, holding a quant (even an empty one), or a device's place."""
        moved = exists().where(
            or_(col(StockMove.from_location_id) == lid, col(StockMove.to_location_id) == lid)
        )
        held = exists().where(col(StockQuant.location_id) == lid)
        bound = exists().where(col(Device.location_id) == lid)
        return bool((await self.session.execute(select(or_(moved, held, bound)))).scalar())

    async def warehouse_locations(self, wid: int) -> list[Location]:
        stmt = select(Location).where(col(Location.warehouse_id) == wid)
        return list((await self.session.execute(stmt)).scalars())

    # products
    async def product(self, sku: str) -> Product | None:
        stmt = select(Product).where(col(Product.sku) == sku)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def products(self, q: str | None, limit: int, offset: int) -> list[Product]:
        stmt = select(Product).order_by(col(Product.sku)).limit(limit).offset(offset)
        if q:
            like = _contains(q)
            stmt = stmt.where(
                or_(
                    col(Product.sku).ilike(like, escape="\\"),
                    col(Product.name).ilike(like, escape="\\"),
                )
            )
        return list((await self.session.execute(stmt)).scalars())

    async def barcodes(self, product_ids: Sequence[int]) -> dict[int, list[ProductBarcode]]:
        stmt = (
            select(ProductBarcode)
            .where(col(ProductBarcode.product_id).in_(product_ids))
            .order_by(col(ProductBarcode.id))
        )
        found: dict[int, list[ProductBarcode]] = {pid: [] for pid in product_ids}
        for bc in (await self.session.execute(stmt)).scalars():
            found[bc.product_id].append(bc)
        return found

    async def barcode_taken(self, code: str, gtin14: str | None) -> ProductBarcode | None:
        cond = col(ProductBarcode.code) == code
        if gtin14:
            cond = or_(cond, col(ProductBarcode.gtin14) == gtin14)
        return (await self.session.execute(select(ProductBarcode).where(cond))).scalars().first()

    async def product_has_moves(self, pid: int) -> bool:
        stmt = select(exists().where(col(StockMove.product_id) == pid))
        return bool((await self.session.execute(stmt)).scalar())

    async def delete_product_leftovers(self, pid: int) -> None:
        """Lots and empty quants left by rejected scans of a product that never moved."""
        await self.session.execute(
            delete(StockQuant).where(col(StockQuant.product_id) == pid, col(StockQuant.qty) == 0)
        )
        await self.session.execute(delete(Lot).where(col(Lot.product_id) == pid))

    async def product_has_stock(self, pid: int) -> bool:
        stmt = select(exists().where(col(StockQuant.product_id) == pid, col(StockQuant.qty) != 0))
        return bool((await self.session.execute(stmt)).scalar())
