"""Settings for the pipeline's ``--variant db-reuse`` worker: the app's settings plus
the change bench/README.md recommends (not yet in the app).

Celery's Django fixup closes every database connection around every task and, in
prefork workers with Django's psycopg pool, the whole pool (celery/celery#10554), so
each grading task opens a new PostgreSQL connection. With ``CELERY_DB_REUSE_MAX`` the
fixup keeps connections between tasks; ``close_old_connections()`` after each task
then hands the connection back to the pool (or drops a broken one), exactly as Django
does after each web request.
"""

from __future__ import annotations

from celery.signals import task_postrun

from config.settings import *  # noqa: F403

CELERY_DB_REUSE_MAX = 1000


@task_postrun.connect(weak=False)
def _release_database_connection(task=None, **_kwargs) -> None:
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
