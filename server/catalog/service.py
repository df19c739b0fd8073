"""Rules for warehouses, locations and products."""

from __future__ import annotations

from scanner import gtin14
from server import errors
from server.auth.principal import ADMIN_ROLES, CATALOG_ROLES, Principal
from server.catalog.repository import CatalogRepository
from server.catalog.schemas import (
    BarcodePublic,
    LocationCreate,
    LocationPublic,
    LocationUpdate,
    ProductCreate,
    ProductPublic,
    ProductUpdate,
    WarehouseCreate,
    WarehousePublic,
    WarehouseUpdate,
)
from server.models import (
    AbcClass,
    BarcodeKind,
    Location,
    LocationKind,
    PickStrategy,
    Product,
    ProductBarcode,
    Tracking,
    Warehouse,
)

# Every warehouse gets these, so every move has a "from" and a "to".
VIRTUAL_LOCATIONS = {
    LocationKind.supplier: "SUPPLIER",
    LocationKind.customer: "CUSTOMER",
    LocationKind.inventory_loss: "LOSS",
    LocationKind.scrap: "SCRAP",
    LocationKind.in_transit: "TRANSIT",
}
_GTIN_KINDS = {
    8: BarcodeKind.ean8,
    12: BarcodeKind.upc_a,
    13: BarcodeKind.ean13,
    14: BarcodeKind.gtin14,
}


def classify_barcode(code: str) -> tuple[BarcodeKind, str | None]:
    """A GTIN-shaped code must carry a valid check digit; anything else is internal."""
    if code.isdigit() and len(code) in _GTIN_KINDS:
        g = gtin14(code)
        if g is None:
            raise errors.InvalidBarcode(f"{code} looks like a GTIN but its check digit is wrong.")
        return _GTIN_KINDS[len(code)], g
    return BarcodeKind.internal, None


class CatalogService:
    def __init__(self, repo: CatalogRepository, who: Principal) -> None:
        self.repo = repo
        self.who = who

    # --- warehouses ---
    async def create_warehouse(self, data: WarehouseCreate) -> WarehousePublic:
        self.who.check_role(ADMIN_ROLES, "create warehouses")
        if await self.repo.warehouse(data.code):
            raise errors.AlreadyExists(f"Warehouse {data.code} already exists.")
        wh = Warehouse(code=data.code, name=data.name)
        await self.repo.add(wh)
        assert wh.id is not None
        for kind, suffix in VIRTUAL_LOCATIONS.items():
            await self.repo.add(Location(warehouse_id=wh.id, code=f"{wh.code}:{suffix}", kind=kind))
        return WarehousePublic(code=wh.code, name=wh.name)

    async def get_warehouse(self, code: str) -> Warehouse:
        wh = await self.repo.warehouse(code)
        if wh is None or wh.id is None or not self.who.can_access(wh.id):
            raise errors.NotFound(f"No warehouse {code}.")
        return wh

    async def list_warehouses(self) -> list[WarehousePublic]:
        return [
            WarehousePublic(code=w.code, name=w.name)
            for w in await self.repo.warehouses(self.who.warehouse_scope)
        ]

    async def update_warehouse(self, code: str, data: WarehouseUpdate) -> WarehousePublic:
        self.who.check_role(ADMIN_ROLES, "change warehouses")
        wh = await self.get_warehouse(code)
        for k, v in data.model_dump(exclude_unset=True).items():
            setattr(wh, k, v)
        await self.repo.add(wh)
        return WarehousePublic(code=wh.code, name=wh.name)

    async def delete_warehouse(self, code: str) -> None:
        self.who.check_role(ADMIN_ROLES, "delete warehouses")
        wh = await self.get_warehouse(code)
        assert wh.id is not None
        if await self.repo.warehouse_has_moves(wh.id):
            raise errors.InUse(f"Warehouse {code} has stock history; it cannot be deleted.")
        if await self.repo.warehouse_has_accounts(wh.id):
            raise errors.InUse(f"Users or devices are bound to warehouse {code}; move them first.")
        for loc in await self.repo.warehouse_locations(wh.id):
            await self.repo.delete(loc)
        await self.repo.delete(wh)

    # --- locations ---
    async def create_location(self, data: LocationCreate) -> LocationPublic:
        self.who.check_role(CATALOG_ROLES, "create locations")
        if data.kind.is_virtual:
            raise errors.Invalid(
                "Virtual locations are made with their warehouse; create a bin, dock or staging.",
                field="kind",
            )
        wh = await self.get_warehouse(data.warehouse)
        assert wh.id is not None
        self.who.check_warehouse(wh.id, wh.code)
        await self._check_location_refs(data.code, data.barcode)
        loc = Location(
            warehouse_id=wh.id,
            code=data.code,
            kind=data.kind,
            barcode=data.barcode,
            name=data.name,
            zone=data.zone,
            pick_sequence=data.pick_sequence,
        )
        await self.repo.add(loc)
        return _location_public(loc, wh.code)

    async def _check_location_refs(
        self, code: str | None, barcode: str | None, own: Location | None = None
    ) -> None:
        """Codes and barcodes share one namespace: a scanned reference names one location."""
        for ref in (code, barcode):
            found = await self.repo.location_by_ref(ref) if ref else None
            if found is not None and found is not own:
                raise errors.AlreadyExists(f"A location already uses the code {ref}.")

    async def get_location(self, code: str) -> LocationPublic:
        loc, wh = await self._location(code)
        return _location_public(loc, wh.code)

    async def _location(self, code: str) -> tuple[Location, Warehouse]:
        loc = await self.repo.location(code)
        wh = await self.repo.warehouse_by_id(loc.warehouse_id) if loc else None
        if loc is None or wh is None or wh.id is None or not self.who.can_access(wh.id):
            raise errors.NotFound(f"No location {code}.")
        return loc, wh

    async def list_locations(
        self, warehouse: str | None, kind: LocationKind | None, include_virtual: bool
    ) -> list[LocationPublic]:
        ids = self.who.warehouse_scope
        if warehouse is not None:
            wh = await self.get_warehouse(warehouse)
            assert wh.id is not None
            ids = [wh.id]
        rows = await self.repo.locations(ids, kind.value if kind else None, include_virtual)
        return [_location_public(loc, code) for loc, code in rows]

    async def update_location(self, code: str, data: LocationUpdate) -> LocationPublic:
        self.who.check_role(CATALOG_ROLES, "change locations")
        loc, wh = await self._location(code)
        changes = data.model_dump(exclude_unset=True)
        if LocationKind(loc.kind).is_virtual and set(changes) - {"name"}:
            raise errors.Invalid(
                "A virtual location is never scanned nor switched off; only its name changes."
            )
        if changes.get("barcode") and changes["barcode"] != loc.barcode:
            await self._check_location_refs(None, changes["barcode"], own=loc)
        for k, v in changes.items():
            setattr(loc, k, v)
        await self.repo.add(loc)
        return _location_public(loc, wh.code)

    async def delete_location(self, code: str) -> None:
        self.who.check_role(CATALOG_ROLES, "delete locations")
        loc, _ = await self._location(code)
        assert loc.id is not None
        if LocationKind(loc.kind).is_virtual:
            raise errors.Invalid("Virtual locations belong to their warehouse.")
        if await self.repo.location_in_use(loc.id):
            raise errors.InUse(
                f"Location {code} has stock, history or a device; deactivate it instead "
                "(active: false)."
            )
        await self.repo.delete(loc)

    # --- products ---
    async def create_product(self, data: ProductCreate) -> ProductPublic:
        self.who.check_role(CATALOG_ROLES, "create products")
        if await self.repo.product(data.sku):
            raise errors.AlreadyExists(f"Product {data.sku} already exists.")
        product = Product(**data.model_dump(exclude={"barcodes", "default_location"}))
        product.default_location_id = await self._default_location(data.default_location)
        await self.repo.add(product)
        for code in dict.fromkeys(data.barcodes):
            await self._add_barcode(product, code)
        return await self._public(product)

    async def _add_barcode(self, product: Product, code: str) -> None:
        kind, g = classify_barcode(code)
        taken = await self.repo.barcode_taken(code, g)
        if taken is not None:
            raise errors.BarcodeInUse(f"The barcode {code} already identifies a product.")
        assert product.id is not None
        await self.repo.add(ProductBarcode(product_id=product.id, code=code, kind=kind, gtin14=g))

    async def add_barcode(self, sku: str, code: str) -> ProductPublic:
        self.who.check_role(CATALOG_ROLES, "link barcodes")
        product = await self._product(sku)
        await self._add_barcode(product, code)
        return await self._public(product)

    async def _product(self, sku: str) -> Product:
        product = await self.repo.product(sku)
        if product is None:
            raise errors.NotFound(f"No product {sku}.")
        return product

    async def get_product(self, sku: str) -> ProductPublic:
        return await self._public(await self._product(sku))

    async def list_products(self, q: str | None, limit: int, offset: int) -> list[ProductPublic]:
        products = await self.repo.products(q, limit, offset)
        codes = await self.repo.barcodes([p.id for p in products if p.id is not None])
        out = [_product_public(p, codes.get(p.id or 0, [])) for p in products]
        for p, public in zip(products, out, strict=True):
            if p.default_location_id is not None:
                loc = await self.repo.location_by_id(p.default_location_id)
                public.default_location = loc.code if loc else None
        return out

    async def update_product(self, sku: str, data: ProductUpdate) -> ProductPublic:
        self.who.check_role(CATALOG_ROLES, "change products")
        product = await self._product(sku)
        changes = data.model_dump(exclude_unset=True)
        assert product.id is not None
        retracking = "tracking" in changes and changes["tracking"] != product.tracking
        if retracking and await self.repo.product_has_stock(product.id):
            raise errors.InUse(f"{sku} has stock; empty it before changing its tracking.")
        if "default_location" in changes:
            code = changes.pop("default_location")
            product.default_location_id = await self._default_location(code)
        for k, v in changes.items():
            setattr(product, k, v)
        await self.repo.add(product)
        return await self._public(product)

    async def _default_location(self, code: str | None) -> int | None:
        """A product's fixed bin (putaway suggests it first): an active bin."""
        if code is None:
            return None
        loc = await self.repo.location_by_ref(code)
        if loc is None or not loc.active:
            raise errors.UnknownLocation(f"No active location {code!r}.", field="default_location")
        if loc.kind != LocationKind.bin:
            raise errors.InvalidLocation(f"{loc.code} is a {loc.kind}; a fixed bin is a bin.")
        return loc.id

    async def delete_product(self, sku: str) -> None:
        self.who.check_role(CATALOG_ROLES, "delete products")
        product = await self._product(sku)
        assert product.id is not None
        if await self.repo.product_has_moves(product.id):
            raise errors.InUse(f"{sku} has stock history; archive it instead (active: false).")
        for bc in (await self.repo.barcodes([product.id]))[product.id]:
            await self.repo.delete(bc)
        await self.repo.delete_product_leftovers(product.id)
        await self.repo.delete(product)

    async def _public(self, product: Product) -> ProductPublic:
        assert product.id is not None
        public = _product_public(product, (await self.repo.barcodes([product.id]))[product.id])
        if product.default_location_id is not None:
            loc = await self.repo.location_by_id(product.default_location_id)
            public.default_location = loc.code if loc else None
        return public


def _location_public(loc: Location, warehouse: str) -> LocationPublic:
    kind = LocationKind(loc.kind)
    return LocationPublic(
        code=loc.code,
        warehouse=warehouse,
        kind=kind,
        barcode=loc.barcode,
        name=loc.name,
        zone=loc.zone,
        active=loc.active,
        virtual=kind.is_virtual,
        pick_sequence=loc.pick_sequence,
    )


def _product_public(p: Product, barcodes: list[ProductBarcode]) -> ProductPublic:
    return ProductPublic(
        sku=p.sku,
        name=p.name,
        unit=p.unit,
        tracking=Tracking(p.tracking),
        safety_stock=p.safety_stock,
        max_stock=p.max_stock,
        unit_cost=p.unit_cost,
        abc_class=AbcClass(p.abc_class) if p.abc_class else None,
        allow_negative=p.allow_negative,
        active=p.active,
        barcodes=[
            BarcodePublic(code=b.code, kind=BarcodeKind(b.kind), gtin14=b.gtin14) for b in barcodes
        ],
        category=p.category,
        min_shelf_life_days=p.min_shelf_life_days,
        pick_strategy=PickStrategy(p.pick_strategy),
    )
