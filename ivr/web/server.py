"""Run the report app under uvicorn: one process, one worker (sessions' revocations and the login
throttle live in memory; the database does the sharing)."""

from __future__ import annotations

import logging

import uvicorn

from ivr.config import Settings
from ivr.log import event
from ivr.web.app import create_app

log = logging.getLogger(__name__)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    host = host or settings.report_host
    port = port or settings.report_port
    if host not in LOCAL_HOSTS:
        event(
            log,
            logging.WARNING,
            "report view reachable from the network: use TLS in front",
            host=host,
            port=port,
        )
    app = create_app(settings)
    # no access log (every URL of every household), and log_config=None so uvicorn's own lines
    # go through our root logger and its phone-number masking
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        log_config=None,
        proxy_headers=False,
        server_header=False,
    )
