"""Kept only for ``load.py --celery-variant db-reuse``: the app itself now keeps the
worker's database connection between tasks (``CELERY_DB_REUSE_MAX`` in config/settings.py,
the hand-back in config/celery.py), so this is the app's settings unchanged. Delete it
with that option.
"""

from __future__ import annotations

from config.settings import *  # noqa: F403
