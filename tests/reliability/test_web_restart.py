"""The web process crashing and restarting mid-interview: the candidate carries on.

Sessions (Django's, in the database), drafts and the deadline all live in the database, so
a SIGKILLed gunicorn loses nothing: the same browser continues after the restart with its
text and its clock as they were.
"""

from __future__ import annotations

import re

import pytest
import requests
from django.utils.html import escape

from tests.reliability.stack import free_port

pytestmark = pytest.mark.slow

DEADLINE_RE = re.compile(r'data-deadline="(\d+)"')
TEXT = "Same state after repeats — safe to retry. <b>PUT</b> & DELETE; 🚀 עברית"


def test_web_restart_mid_interview_keeps_text_deadline_and_login(stack):
    env = stack.env()  # no REDIS_URL: the filesystem broker, under this test's var/
    port = free_port()
    web, base = stack.web(env, port)
    candidate = stack.browser(base, 0)
    session_id = candidate.start()
    deadline = DEADLINE_RE.search(candidate.page(session_id).text).group(1)
    assert candidate.save(session_id, 0, TEXT).status_code == 200
    response = candidate.save(session_id, 1, "second answer")
    assert response.status_code == 200 and response.headers["X-Viva-Deadline"] == deadline

    web.kill()  # SIGKILL master and workers: a crash, not a graceful restart
    with pytest.raises(requests.ConnectionError):  # the page's autosave fails meanwhile...
        candidate.save(session_id, 2, "typed during the restart")

    stack.web(env, port)  # ...the process manager restarts it on the same port
    page = candidate.page(session_id, 0)  # same browser, same cookies
    assert page.status_code == 200, "the login did not survive the restart"
    assert escape(TEXT) in page.text and "<b>PUT</b>" not in page.text
    assert DEADLINE_RE.search(page.text).group(1) == deadline  # the clock did not restart
    assert "second answer" in candidate.page(session_id, 1).text

    # The autosave retry lands; the interview goes on to the end.
    response = candidate.save(session_id, 2, "typed during the restart")
    assert response.status_code == 200 and response.headers["X-Viva-Deadline"] == deadline
    assert candidate.submit(session_id).status_code == 204
    assert stack.status(session_id) == "submitted"
    assert stack.answers(session_id) == {
        0: TEXT,
        1: "second answer",
        2: "typed during the restart",
    }
