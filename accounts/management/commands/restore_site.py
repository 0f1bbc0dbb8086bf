from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from config.lib.backup import RestoreError, restore


class Command(BaseCommand):
    help = "Restore a backup made by backup_site into an empty, migrated site."

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path)

    def handle(self, *args, backup: Path, **options):
        if not backup.exists():
            raise CommandError(f"No such file: {backup}")
        try:
            manifest = restore(backup, is_empty=lambda: not User.objects.exists())
        except RestoreError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {manifest['rows']} rows and {manifest['files']} files "
                f"(backup of {manifest['created']})."
            )
        )
