from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from config.lib.backup import backup


class Command(BaseCommand):
    help = "Write a consistent backup of the database and media files to a .tar.gz."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="The file to write (default: paddock-backup-<date-time>.tar.gz here).",
        )

    def handle(self, *args, output: Path | None, **options):
        target = output or Path(f"paddock-backup-{timezone.now():%Y%m%d-%H%M%S}.tar.gz")
        manifest = backup(target)
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {target}: {manifest['rows']} rows, {manifest['files']} files."
            )
        )
