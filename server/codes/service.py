"""Resolve scanned codes and decode uploaded images for a caller: the rules are in
``resolver``; this adds the caller's warehouse scope and the API's shapes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from scanner import split_aim
from server import errors
from server.auth.principal import Principal
from server.codes.decoding import ImageDecoder
from server.codes.repository import CodesRepository
from server.codes.resolver import CodeIndex, Resolution, resolve
from server.codes.schemas import (
    DecodedRead,
    DecodeResponse,
    DocumentPublic,
    GS1Public,
    LocationRef,
    ProductRef,
    ResolvedCode,
)
from server.models import LocationKind, Tracking
from server.scans.schemas import ErrorBody


class CodesService:
    def __init__(self, repo: CodesRepository, who: Principal) -> None:
        self.repo = repo
        self.who = who

    async def resolve(self, codes: list[str]) -> list[ResolvedCode]:
        index = await self.repo.index(codes)
        return [self._resolve_one(code, index) for code in codes]

    async def decode(self, decoder: ImageDecoder, data: bytes) -> DecodeResponse:
        found = await decoder.decode(data)
        resolved = await self.resolve([r.code for r in found.reads]) if found.reads else []
        return DecodeResponse(
            width=found.width,
            height=found.height,
            engines=decoder.engines,
            decode_ms=round(found.cpu_ms, 2),
            reads=[
                DecodedRead(
                    text=r.text,
                    raw_hex=r.raw.hex(),
                    symbology=r.symbology,
                    aim=r.aim or None,
                    content_type=r.content_type,
                    position=list(r.position),
                    decoder=r.decoder,
                    resolved=res,
                )
                for r, res in zip(found.reads, resolved, strict=True)
            ],
        )

    def _resolve_one(self, code: str, index: CodeIndex) -> ResolvedCode:
        try:
            found = resolve(code, index)
        except errors.InvalidCode as exc:
            aim, text = split_aim(code)
            return ResolvedCode(
                code=code,
                kind="invalid",
                text=text,
                aim=aim or None,
                content_type="gs1",
                gtin=None,
                error=ErrorBody(code=exc.code, message=exc.message),
            )
        loc = found.location
        if loc is not None and not self.who.can_access(loc.warehouse_id):
            found.kind, found.location = "unknown", None  # not this caller's warehouse
        return _public(found)


def _public(found: Resolution) -> ResolvedCode:
    error = None
    if found.kind in ("unknown", "sscc", "location", "document"):
        exc = found.not_a_product()
        error = ErrorBody(code=exc.code, message=exc.message)
    return ResolvedCode(
        code=found.code,
        kind=found.kind,
        text=found.text,
        aim=found.aim or None,
        content_type=found.content_type,
        gtin=found.gtin,
        gs1=GS1Public.model_validate(found.gs1.as_dict()) if found.gs1 is not None else None,
        product=_product(found.product) if found.product is not None else None,
        lot=found.lot if found.serial_lot is None else None,
        serial=found.serial,
        expiry=found.expiry if found.serial_lot is None else found.serial_lot.lot_expiry,
        quantity=found.quantity,
        location=_location(found.location) if found.location is not None else None,
        document=DocumentPublic(
            type=found.document.type, number=found.document.number, status=found.document.status
        )
        if found.document is not None
        else None,
        error=error,
    )


def _product(row: Row[Any]) -> ProductRef:
    return ProductRef(
        sku=row.sku, name=row.name, tracking=Tracking(row.tracking), active=row.active
    )


def _location(row: Row[Any]) -> LocationRef:
    return LocationRef(code=row.code, warehouse=row.warehouse_code, kind=LocationKind(row.kind))
