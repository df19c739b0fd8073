"""Warehouses, locations and products: thin endpoints over ``CatalogService``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from server.catalog.repository import CatalogRepository
from server.catalog.schemas import (
    BarcodeCreate,
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
from server.catalog.service import CatalogService
from server.deps import PrincipalDep, SessionDep, WriteSessionDep
from server.models import LocationKind

router = APIRouter(prefix="/api", tags=["catalog"])


@router.post("/warehouses", status_code=201)
async def create_warehouse(
    data: WarehouseCreate, session: WriteSessionDep, who: PrincipalDep
) -> WarehousePublic:
    return await CatalogService(CatalogRepository(session), who).create_warehouse(data)


@router.get("/warehouses")
async def list_warehouses(session: SessionDep, who: PrincipalDep) -> list[WarehousePublic]:
    return await CatalogService(CatalogRepository(session), who).list_warehouses()


@router.get("/warehouses/{code}")
async def get_warehouse(code: str, session: SessionDep, who: PrincipalDep) -> WarehousePublic:
    wh = await CatalogService(CatalogRepository(session), who).get_warehouse(code)
    return WarehousePublic(code=wh.code, name=wh.name)


@router.patch("/warehouses/{code}")
async def update_warehouse(
    code: str, data: WarehouseUpdate, session: WriteSessionDep, who: PrincipalDep
) -> WarehousePublic:
    return await CatalogService(CatalogRepository(session), who).update_warehouse(code, data)


@router.delete("/warehouses/{code}", status_code=204)
async def delete_warehouse(code: str, session: WriteSessionDep, who: PrincipalDep) -> Response:
    await CatalogService(CatalogRepository(session), who).delete_warehouse(code)
    return Response(status_code=204)


@router.post("/locations", status_code=201)
async def create_location(
    data: LocationCreate, session: WriteSessionDep, who: PrincipalDep
) -> LocationPublic:
    return await CatalogService(CatalogRepository(session), who).create_location(data)


@router.get("/locations")
async def list_locations(
    session: SessionDep,
    who: PrincipalDep,
    warehouse: str | None = None,
    kind: LocationKind | None = None,
    include_virtual: bool = False,
) -> list[LocationPublic]:
    service = CatalogService(CatalogRepository(session), who)
    return await service.list_locations(warehouse, kind, include_virtual)


@router.get("/locations/{code}")
async def get_location(code: str, session: SessionDep, who: PrincipalDep) -> LocationPublic:
    return await CatalogService(CatalogRepository(session), who).get_location(code)


@router.patch("/locations/{code}")
async def update_location(
    code: str, data: LocationUpdate, session: WriteSessionDep, who: PrincipalDep
) -> LocationPublic:
    return await CatalogService(CatalogRepository(session), who).update_location(code, data)


@router.delete("/locations/{code}", status_code=204)
async def delete_location(code: str, session: WriteSessionDep, who: PrincipalDep) -> Response:
    await CatalogService(CatalogRepository(session), who).delete_location(code)
    return Response(status_code=204)


@router.post("/products", status_code=201)
async def create_product(
    data: ProductCreate, session: WriteSessionDep, who: PrincipalDep
) -> ProductPublic:
    return await CatalogService(CatalogRepository(session), who).create_product(data)


@router.get("/products")
async def list_products(
    session: SessionDep,
    who: PrincipalDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ProductPublic]:
    return await CatalogService(CatalogRepository(session), who).list_products(q, limit, offset)


@router.get("/products/{sku}")
async def get_product(sku: str, session: SessionDep, who: PrincipalDep) -> ProductPublic:
    return await CatalogService(CatalogRepository(session), who).get_product(sku)


@router.patch("/products/{sku}")
async def update_product(
    sku: str, data: ProductUpdate, session: WriteSessionDep, who: PrincipalDep
) -> ProductPublic:
    return await CatalogService(CatalogRepository(session), who).update_product(sku, data)


@router.delete("/products/{sku}", status_code=204)
async def delete_product(sku: str, session: WriteSessionDep, who: PrincipalDep) -> Response:
    await CatalogService(CatalogRepository(session), who).delete_product(sku)
    return Response(status_code=204)


@router.post("/products/{sku}/barcodes", status_code=201)
async def add_barcode(
    sku: str, data: BarcodeCreate, session: WriteSessionDep, who: PrincipalDep
) -> ProductPublic:
    return await CatalogService(CatalogRepository(session), who).add_barcode(sku, data.code)
