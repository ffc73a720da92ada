from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questionbank.services import bank_import
from questionbank.yaml_format import BankFormatError


class Command(BaseCommand):
    help = "Import question-bank YAML files (default: the bundled bank). Atomic and idempotent."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path, help="YAML files or folders")

    def handle(self, *args, paths: list[Path], **options):
        try:
            report = bank_import(paths=paths or None)
        except BankFormatError as exc:
            lines = "\n".join(f"  - {problem}" for problem in exc.problems)
            raise CommandError(f"Nothing was imported; fix these problems first:\n{lines}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {report.files} file(s): {report.created} created, "
                f"{report.updated} updated, {report.unchanged} unchanged."
            )
        )
