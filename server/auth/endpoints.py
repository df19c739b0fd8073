from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from server.deps import StateDep

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


@router.post("/token")
async def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], state: StateDep) -> Token:
    """OAuth2 password flow: form fields ``username`` and ``password``."""
    return Token(access_token=await state.auth.login(form.username, form.password))
