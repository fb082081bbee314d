"""The FastAPI application: `create_app()` is what `pantau serve` runs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from pantau import __version__
from pantau.aggregation import endpoints as cron_endpoints
from pantau.alerts import endpoints as alert_endpoints
from pantau.audit import endpoints as audit_endpoints
from pantau.auth import endpoints as auth_endpoints
from pantau.auth.credential_cache import build_credential_cache
from pantau.business_settings import endpoints as settings_endpoints
from pantau.business_settings import page as settings_page
from pantau.cache.dashboard_cache import build_cache, process_cache
from pantau.core.config import Settings, get_settings
from pantau.core.database import get_engine, make_engine
from pantau.core.replica import ReadRouter
from pantau.dashboard import drill_down
from pantau.dashboard.router import router as dashboard_router
from pantau.exports import endpoints as export_endpoints
from pantau.ingest import endpoints as ingest_endpoints
from pantau.realtime import endpoint as realtime_endpoint
from pantau.realtime.service import install_realtime
from pantau.reports import endpoints as report_endpoints
from pantau.reports import page as reports_page
from pantau.reports import schedule_endpoints
from pantau.web import api_docs, dashboard_page, health, metrics
from pantau.web.assets import install_assets
from pantau.web.errors import install_error_handlers
from pantau.web.security import PageSecurityHeaders


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    # The live dashboard's listeners (Redis, PostgreSQL) end with the server.
    app.state.realtime.close()
    app.state.reads.dispose()
    await app.state.cache.aclose()


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    if engine is None:
        engine = get_engine() if settings is get_settings() else make_engine(settings.database_url)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    app = FastAPI(
        title="Pantau",
        version=__version__,
        description="CRM effectiveness dashboard for WhatsApp customer service.",
        openapi_url=api_docs.SCHEMA_URL,
        # Served by `pantau.web.api_docs` instead: FastAPI's own pages load from a CDN and run inline scripts.
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = sessionmaker(bind=engine, expire_on_commit=False)
    # The dashboard's reads: on the replica when DATABASE_READ_URL is set and it keeps up (pantau.core.replica).
    app.state.reads = ReadRouter(
        engine,
        make_engine(settings.database_read_url) if settings.database_read_url else None,
        max_lag_seconds=settings.database_read_max_lag_seconds,
        check_seconds=settings.database_read_check_seconds,
    )
    app.state.cache = process_cache(settings) if settings is get_settings() else build_cache(settings)
    app.state.credentials = build_credential_cache(settings)

    install_realtime(app, settings)
    install_error_handlers(app)
    app.add_middleware(PageSecurityHeaders)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(auth_endpoints.router)
    app.include_router(realtime_endpoint.router)
    app.include_router(export_endpoints.sections_router)
    app.include_router(drill_down.router)
    app.include_router(dashboard_router)
    app.include_router(export_endpoints.conversations_router)
    app.include_router(audit_endpoints.router)
    app.include_router(cron_endpoints.router)
    app.include_router(ingest_endpoints.router)
    app.include_router(report_endpoints.router)
    app.include_router(schedule_endpoints.router)
    app.include_router(settings_endpoints.router)
    app.include_router(alert_endpoints.router)
    app.include_router(dashboard_page.router)
    app.include_router(reports_page.router)
    app.include_router(settings_page.router)
    app.include_router(api_docs.router)
    install_assets(app)
    return app
