from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from questionbank.services import bank_export


class Command(BaseCommand):
    help = "Export the shared question bank as YAML, one file per topic."

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, required=True, help="folder to write into")

    def handle(self, *args, out: Path, **options):
        written = bank_export(out_dir=out)
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(written)} file(s) to {out}"))
