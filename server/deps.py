"""Dependency aliases for endpoints: state, sessions, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from server.alerts.service import AlertEvaluator
from server.auth.principal import Principal
from server.auth.service import Authenticator
from server.codes.decoding import ImageDecoder
from server.db import Database
from server.ledger.writer import ScanWriter
from server.settings import Settings
from server.stream.broker import Broker
from server.stream.hub import StockHub


@dataclass
class AppState:
    settings: Settings
    db: Database
    broker: Broker
    hub: StockHub
    writer: ScanWriter
    auth: Authenticator
    decoder: ImageDecoder
    alerts: AlertEvaluator


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.jxc
    return state


StateDep = Annotated[AppState, Depends(get_state)]


async def _read_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    async with state.db.session() as session:
        yield session


async def _write_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    # Committed after the endpoint returns and before the response is sent.
    async with state.db.session(write=True) as session:
        yield session


async def _snapshot_write_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    # A write whose reads must all see one point in time (a count's snapshot of the book
    # with the ledger head): REPEATABLE READ on PostgreSQL, BEGIN IMMEDIATE on SQLite.
    async with state.db.session(write=True, snapshot=True) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_read_session, scope="function")]
WriteSessionDep = Annotated[AsyncSession, Depends(_write_session, scope="function")]
SnapshotWriteSessionDep = Annotated[
    AsyncSession, Depends(_snapshot_write_session, scope="function")
]

bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


async def _principal(state: StateDep, token: Annotated[str | None, Depends(bearer)]) -> Principal:
    return await state.auth.principal(token)


PrincipalDep = Annotated[Principal, Depends(_principal)]


async def _reader(
    state: StateDep, header: Annotated[str | None, Depends(bearer)], token: str | None = None
) -> Principal:
    """The bearer header, or ``?token=``: a browser tab opened on a printable document (or
    a WebSocket) cannot send a header."""
    return await state.auth.principal(header or token)


# For printable documents (GET, read only): the token may come in the query string.
DocumentReaderDep = Annotated[Principal, Depends(_reader)]
