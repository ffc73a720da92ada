"""Invitation tokens never reach a log line (S9): gunicorn's access log and Django's."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings

from core.logredact import GunicornLogger, RedactTokens, redact

TOKEN = "q8Zr0k2-JdYtVnq9C0lA7w"


def test_redact_replaces_the_token_in_paths_and_full_urls():
    assert redact(f"GET /hiring/invite/{TOKEN}/ HTTP/1.1") == "GET /hiring/invite/[token]/ HTTP/1.1"
    assert TOKEN not in redact(f"https://viva.example/hiring/invite/{TOKEN}/?x=1")
    assert redact("GET /practice/s/4/ HTTP/1.1") == "GET /practice/s/4/ HTTP/1.1"


def test_the_access_log_line_carries_no_token():
    cfg = SimpleNamespace(
        errorlog="-",
        accesslog="-",
        access_log_format='%(h)s "%(r)s" %(s)s "%(f)s" %(U)s',
        loglevel="info",
        syslog=False,
        capture_output=False,
        logconfig=None,
        logconfig_dict={},
        logconfig_json=None,
        disable_redirect_access_to_syslog=False,
        user=0,
        group=0,
        umask=0,
    )
    logger = GunicornLogger.__new__(GunicornLogger)
    logger.cfg = cfg
    environ = {
        "REMOTE_ADDR": "203.0.113.9",
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/hiring/invite/{TOKEN}/",
        "PATH_INFO": f"/hiring/invite/{TOKEN}/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://viva.example/hiring/invite/{TOKEN}/",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=5))
    line = cfg.access_log_format % atoms
    assert TOKEN not in line and "/hiring/invite/[token]/" in line


def test_django_log_lines_are_redacted_by_the_console_handler():
    assert "redact_tokens" in settings.LOGGING["handlers"]["console"]["filters"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactTokens())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("Not Found: %s", f"/hiring/invite/{TOKEN}/")
    finally:
        logger.removeHandler(handler)
    assert TOKEN not in stream.getvalue() and "[token]" in stream.getvalue()
