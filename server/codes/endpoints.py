"""``/api/codes/resolve`` (what is this code?) and ``/api/decode`` (which codes are in
this picture?): thin endpoints over ``CodesService``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from server.codes.repository import CodesRepository
from server.codes.schemas import DecodeResponse, ResolvedCode, ResolveRequest
from server.codes.service import CodesService
from server.deps import PrincipalDep, SessionDep, StateDep

router = APIRouter(prefix="/api", tags=["codes"])


@router.get("/codes/resolve")
async def resolve_code(
    code: Annotated[str, Query(min_length=1, max_length=512)],
    session: SessionDep,
    who: PrincipalDep,
) -> ResolvedCode:
    """What one scanned code is: a product (with GS1 lot, expiry, quantity), a location, a
    serial number, an SSCC, a document, or unknown with everything the code itself says."""
    return (await CodesService(CodesRepository(session), who).resolve([code]))[0]


@router.post("/codes/resolve")
async def resolve_codes(
    body: ResolveRequest, session: SessionDep, who: PrincipalDep
) -> list[ResolvedCode]:
    """Several codes at once, answered in order."""
    return await CodesService(CodesRepository(session), who).resolve(body.codes)


@router.post("/decode")
async def decode_image(
    image: Annotated[UploadFile, File(description="A PNG, JPEG or WebP photo or frame.")],
    state: StateDep,
    session: SessionDep,
    who: PrincipalDep,
) -> DecodeResponse:
    """Find every barcode in an image (zxing-cpp, then zbar and preprocessing where they
    add reads) and resolve each one."""
    data = await image.read()
    return await CodesService(CodesRepository(session), who).decode(state.decoder, data)
