"""Reading the environment: environs for values, dj-database-url for DATABASE_URL.

Only the process environment is read (compose passes its env file in); a malformed value
stops start-up with a message naming the variable.
"""

from __future__ import annotations

from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from environs import Env

env = Env(expand_vars=False)

SQLITE_OPTIONS = {"transaction_mode": "IMMEDIATE", "timeout": 20}


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; blanks around and between items are ignored."""
    return [item for item in env.list(name, default, subcast=str.strip) if item]


def database_from_url(url: str, *, pool: bool) -> dict[str, Any]:
    """A Django DATABASES entry for a DATABASE_URL (SQLite or PostgreSQL): PostgreSQL
    gets psycopg's connection pool unless ``pool`` is off."""
    try:
        database: dict[str, Any] = dict(dj_database_url.parse(url))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not usable: {exc}") from None
    engine = database["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        database["OPTIONS"] = dict(SQLITE_OPTIONS)
    elif engine == "django.db.backends.postgresql":
        options = database.setdefault("OPTIONS", {})
        if pool:
            options["pool"] = {
                "min_size": 1,
                "max_size": env.int("DATABASE_POOL_MAX", 10),
                # While the database is away, answer with the 503 page after this many
                # seconds instead of psycopg's 30 s (gunicorn's own timeout is 30 s).
                "timeout": env.float("DATABASE_POOL_TIMEOUT", 5.0),
            }
        # The pool owns connection lifetime; persistent connections would fight it.
        database["CONN_MAX_AGE"] = 0 if pool else env.int("DATABASE_CONN_MAX_AGE", 60)
    else:
        raise ImproperlyConfigured(
            f"DATABASE_URL names {engine}; Viva runs on sqlite:/// or postgres:// only"
        )
    return database
