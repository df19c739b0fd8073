from __future__ import annotations

from fastapi import APIRouter

from server.accounts.repository import AccountsRepository
from server.accounts.schemas import (
    DeviceCreate,
    DeviceCreated,
    DeviceHealthIn,
    DevicePublic,
    UserCreate,
    UserPublic,
)
from server.accounts.service import AccountsService
from server.deps import PrincipalDep, SessionDep, WriteSessionDep

router = APIRouter(prefix="/api", tags=["accounts"])


@router.post("/users", status_code=201)
async def create_user(data: UserCreate, session: WriteSessionDep, who: PrincipalDep) -> UserPublic:
    return await AccountsService(AccountsRepository(session), who).create_user(data)


@router.get("/users")
async def list_users(session: SessionDep, who: PrincipalDep) -> list[UserPublic]:
    return await AccountsService(AccountsRepository(session), who).list_users()


@router.get("/users/me")
async def me(session: SessionDep, who: PrincipalDep) -> UserPublic:
    return await AccountsService(AccountsRepository(session), who).me()


@router.post("/devices", status_code=201)
async def create_device(
    data: DeviceCreate, session: WriteSessionDep, who: PrincipalDep
) -> DeviceCreated:
    return await AccountsService(AccountsRepository(session), who).create_device(data)


@router.get("/devices")
async def list_devices(session: SessionDep, who: PrincipalDep) -> list[DevicePublic]:
    return await AccountsService(AccountsRepository(session), who).list_devices()


@router.post("/devices/health")
async def report_device_health(
    data: DeviceHealthIn, session: WriteSessionDep, who: PrincipalDep
) -> DevicePublic:
    """A dock agent reports one device's state, authenticated with that device's key;
    supervisors see it in ``GET /api/devices``."""
    return await AccountsService(AccountsRepository(session), who).report_health(data)
