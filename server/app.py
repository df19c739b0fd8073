"""The FastAPI application: built by ``create_app(settings)``; everything it needs is made
in the lifespan and kept on ``app.state.jxc`` (no module-level engines or clients)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from scanner.decode import missing_engine_notice
from server import errors
from server.accounts.endpoints import router as accounts_router
from server.adjustments.endpoints import router as adjustments_router
from server.alerts.endpoints import router as alerts_router
from server.alerts.service import AlertEvaluator
from server.auth.endpoints import router as auth_router
from server.auth.service import Authenticator
from server.catalog.endpoints import router as catalog_router
from server.codes.decoding import ImageDecoder
from server.codes.endpoints import router as codes_router
from server.codes.resolver import register_document_kind
from server.counts.endpoints import router as counts_router
from server.counts.repository import COUNT_SESSION_DOCUMENT
from server.customers.endpoints import router as customers_router
from server.db import Database
from server.deps import AppState
from server.health.endpoints import router as health_router
from server.kit.body_limit import BodyLimit
from server.ledger.endpoints import router as ledger_router
from server.ledger.writer import ScanWriter
from server.migrate import upgrade
from server.picking.endpoints import router as pick_lists_router
from server.picking.repository import PICK_LIST_DOCUMENT
from server.purchasing.endpoints import router as purchasing_router
from server.purchasing.repository import PURCHASE_ORDER_DOCUMENT
from server.receiving.endpoints import router as receiving_router
from server.receiving.repository import RECEIPT_DOCUMENT
from server.returns.endpoints import router as returns_router
from server.returns.repository import RETURN_DOCUMENT
from server.sales.endpoints import availability_router
from server.sales.endpoints import router as sales_orders_router
from server.sales.repository import SALES_ORDER_DOCUMENT
from server.scans.endpoints import router as scans_router
from server.scans.schemas import ScanIn
from server.settings import Settings
from server.stream.broker import broker_from_url
from server.stream.endpoints import router as stream_router
from server.stream.hub import StockHub
from server.suppliers.endpoints import router as suppliers_router
from server.suppliers.service import QualificationAlerts
from server.transfers.endpoints import router as transfers_router
from server.transfers.repository import TRANSFER_DOCUMENT

log = logging.getLogger("jxc")
STATIC = Path(__file__).parent / "static"
# Swagger UI and ReDoc served from the package (fastapi-offline ships them), not a CDN:
# warehouse networks are often closed, and the API page must work there.
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"


def create_app(settings: Settings, *, migrate: bool = False) -> FastAPI:
    """``migrate``: bring the database up to date at start (the embedded SQLite default)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        if migrate:
            await upgrade(db)
        broker = broker_from_url(settings.broker_url)
        hub = StockHub(
            db,
            broker,
            f"{settings.broker_channel}:moves",
            events_channel=f"{settings.broker_channel}:events",
            queue_size=settings.stream_queue,
            poll_interval=settings.stream_poll_seconds,
        )
        alerts = AlertEvaluator(db, hub.publish_events, settings)
        alerts.add_sweeper(QualificationAlerts(db, hub.publish_events, settings).evaluate)

        async def after_commit(messages: list[dict[str, Any]]) -> None:
            await hub.publish(messages)
            alerts.notify(messages)  # re-judge the stock alerts of what moved

        writer = ScanWriter(
            db,
            after_commit,
            max_qty=settings.max_scan_qty,
            max_batch=settings.max_batch,
            queue_size=settings.writer_queue,
        )
        if notice := missing_engine_notice():
            log.warning(notice)  # decoding still works, with zxing-cpp alone
        await hub.start()
        await writer.start()
        await alerts.start()
        app.state.jxc = AppState(
            settings,
            db,
            broker,
            hub,
            writer,
            Authenticator(db, settings),
            ImageDecoder(settings.decode_concurrency),
            alerts,
        )
        try:
            yield
        finally:
            await alerts.stop()
            await writer.stop()
            await hub.close()
            await db.dispose()

    app = FastAPI(
        title="jxc",
        summary="Real-time, scan-first purchase · sales · inventory (进销存).",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        telemetry={"tracing": settings.otel, "metrics": settings.otel, "logs": settings.otel},
    )
    errors.install_error_handlers(app)
    for document in (COUNT_SESSION_DOCUMENT, TRANSFER_DOCUMENT):
        register_document_kind(document)  # their barcodes resolve (GET /api/codes/resolve)
    for document in (PURCHASE_ORDER_DOCUMENT, RECEIPT_DOCUMENT):
        register_document_kind(document)
    for router in (
        health_router,
        auth_router,
        accounts_router,
        adjustments_router,
        alerts_router,
        catalog_router,
        codes_router,
        counts_router,
        ledger_router,
        scans_router,
        stream_router,
        transfers_router,
    ):
        app.include_router(router)
    # Outbound (issue 6).
    for document in (SALES_ORDER_DOCUMENT, PICK_LIST_DOCUMENT, RETURN_DOCUMENT):
        register_document_kind(document)
    for router in (
        suppliers_router,  # inbound (issue 5)
        purchasing_router,
        receiving_router,
        customers_router,  # outbound (issue 6)
        sales_orders_router,
        availability_router,
        pick_lists_router,
        returns_router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    _serve_api_docs(app)
    _document_scan_body(app)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        per_path={"/api/decode": settings.max_image_bytes},
    )
    return app


def _serve_api_docs(app: FastAPI) -> None:
    app.mount("/docs-assets", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title="jxc · API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title="jxc · API",
            redoc_js_url="/docs-assets/redoc.standalone.js",
            redoc_favicon_url="/docs-assets/favicon.png",
        )


def _document_scan_body(app: FastAPI) -> None:
    """``POST /api/scans`` reads its body itself (per-item validation); show its schema."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            defs = ScanIn.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(defs.pop("$defs", {}))
            components["ScanIn"] = defs
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
