#!/usr/bin/env python
"""Django's command-line utility for Viva."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from environs import EnvError

    try:
        execute_from_command_line(sys.argv)
    except (ImproperlyConfigured, EnvError) as exc:
        # A missing setting is the operator's to fix: say which, without a traceback.
        sys.exit(f"Viva cannot start: {exc}")


if __name__ == "__main__":
    main()
