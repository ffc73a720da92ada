from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questionbank.services import bank_import
from questionbank.yaml_format import BankFormatError


class Command(BaseCommand):
    help = "Import question-bank YAML files (default: the bundled bank). Atomic and idempotent."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path, help="YAML files or folders")
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="replace questions edited here since their last import with the files' version",
        )

    def handle(self, *args, paths: list[Path], overwrite: bool, **options):
        try:
            report = bank_import(paths=paths or None, overwrite=overwrite)
        except BankFormatError as exc:
            lines = "\n".join(f"  - {problem}" for problem in exc.problems)
            raise CommandError(f"Nothing was imported; fix these problems first:\n{lines}") from exc
        self.stdout.write(self.style.SUCCESS(report.summary()))
        for line in report.conflicts():
            self.stdout.write(self.style.WARNING(line))
