"""Typed business errors and the one handler that turns them into JSON.

Services raise an ``AppError`` subclass; the API answers
``{"error": {"code": ..., "message": ...}}`` with the class's 4xx status.
"""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class AppError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            err["details"] = self.details
        return {"error": err}


class NotAuthenticated(AppError):
    status, code = 401, "not_authenticated"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"


class AlreadyExists(AppError):
    status, code = 409, "already_exists"


class InUse(AppError):
    status, code = 409, "in_use"


class Invalid(AppError):
    status, code = 422, "validation_error"


class InvalidJSON(AppError):
    status, code = 400, "invalid_json"


class InvalidImage(AppError):
    status, code = 422, "invalid_image"


class PayloadTooLarge(AppError):
    status, code = 413, "payload_too_large"


class Unavailable(AppError):
    status, code = 503, "unavailable"


# The scan API's rejection codes (pinned: clients switch on them).
class InsufficientStock(AppError):
    status, code = 409, "insufficient_stock"


class UnknownCode(AppError):
    status, code = 422, "unknown_code"


class NotAnItem(AppError):
    """A known code that is not a product: a location, a pallet's SSCC, a document."""

    status, code = 422, "not_an_item"


class UnknownLocation(AppError):
    status, code = 422, "unknown_location"


class UnknownLot(AppError):
    status, code = 422, "unknown_lot"


class InvalidQuantity(AppError):
    status, code = 422, "invalid_quantity"


class LotRequired(AppError):
    status, code = 422, "lot_required"


class SerialInStock(AppError):
    status, code = 409, "serial_in_stock"


class InvalidLocation(AppError):
    status, code = 422, "invalid_location"


class InvalidScan(AppError):
    status, code = 422, "invalid_scan"


class ReservedReference(AppError):
    """A plain scan may not carry a document's number: the document counts its own moves."""

    status, code = 422, "reserved_reference"


class InvalidCode(AppError):
    status, code = 422, "invalid_code"


class ReasonRequired(AppError):
    status, code = 422, "reason_required"


class ProductInactive(AppError):
    status, code = 422, "product_inactive"


class LotExpired(AppError):
    status, code = 409, "lot_expired"


class NotInCount(AppError):
    status, code = 422, "not_in_count"


class LocationClaimed(AppError):
    """Another counter is counting that location of the session."""

    status, code = 409, "location_claimed"


class InvalidState(AppError):
    """The document is not in a state that allows this (a closed count, a received transfer)."""

    status, code = 409, "invalid_state"


class OverReceipt(AppError):
    status, code = 409, "over_receipt"


class BarcodeInUse(AppError):
    status, code = 409, "barcode_in_use"


class InvalidBarcode(AppError):
    status, code = 422, "invalid_barcode"


def status_for(code: str) -> int:
    """The HTTP status that goes with an error code (422 when unknown)."""
    pending: list[type[AppError]] = [AppError]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls.status
        pending.extend(cls.__subclasses__())
    return 422


def from_code(code: str, message: str, details: dict[str, Any] | None = None) -> AppError:
    """The typed error for a code (a rejection the ledger answered), to raise it again."""
    pending: list[type[AppError]] = [AppError]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls(message, **(details or {}))
        pending.extend(cls.__subclasses__())
    return Invalid(message, **(details or {}))


def error_response(err: AppError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else None
    return JSONResponse(err.body(), status_code=err.status, headers=headers)


def _validation_message(exc: RequestValidationError) -> tuple[str, str]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return "invalid_json", "The request body is not valid JSON."
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    return "validation_error", f"{where or 'request'}: {first.get('msg', 'invalid value')}"


def install_error_handlers(app: FastAPI) -> None:
    async def on_app_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        return error_response(exc)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        code, message = _validation_message(exc)
        status = 400 if code == "invalid_json" else 422
        details = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        body = {"error": {"code": code, "message": message, "details": details}}
        return JSONResponse(body, status_code=status)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        codes = {
            400: "bad_request",
            401: "not_authenticated",
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
        }
        code = codes.get(exc.status_code, "http_error")
        body = {"error": {"code": code, "message": str(exc.detail)}}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)


# Inbound (suppliers, purchase orders, receiving).
class QualificationExpired(AppError):
    """The supplier's licence or certificate has expired: a supervisor may override."""

    status, code = 409, "qualification_expired"


class BudgetExceeded(AppError):
    """Confirming the PO would take the month's purchasing budget past its hard limit."""

    status, code = 409, "budget_exceeded"


class UnexpectedItem(AppError):
    """A receiving scan of a product that is not on the purchase order."""

    status, code = 409, "unexpected_item"


class ShortDated(AppError):
    """A lot with less remaining shelf life than receiving accepts."""

    status, code = 409, "short_dated"


# Outbound (issue 6): orders, picking, returns. Pinned like the scan codes: a handheld
# switches on them to tell a picker what went wrong.
class InsufficientAvailable(AppError):
    """Confirming an order needs more than is available to promise (on hand - reserved)."""

    status, code = 409, "insufficient_available"


class CreditLimitExceeded(AppError):
    """Shipping would take the customer's receivables over the credit limit."""

    status, code = 409, "credit_limit_exceeded"


class WrongLocation(AppError):
    status, code = 422, "wrong_location"


class WrongItem(AppError):
    status, code = 422, "wrong_item"


class WrongLot(AppError):
    status, code = 422, "wrong_lot"


class OverPick(AppError):
    status, code = 409, "over_pick"


class PickListClaimed(AppError):
    """Another picker has taken that pick list."""

    status, code = 409, "pick_list_claimed"


class OverReturn(AppError):
    status, code = 409, "over_return"
