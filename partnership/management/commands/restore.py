"""``manage.py restore ARCHIVE``: put a backup back (``make restore BACKUP=...``)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from partnership.core.backups import BackupError, read_manifest, restore_backup


class Command(BaseCommand):
    help = (
        "Replace the database's content with a backup archive's and put its documents back "
        "under MEDIA_ROOT. Stop the application servers first."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="A file written by `manage.py backup`.")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )
        parser.add_argument(
            "--database-name", help="PostgreSQL: restore into this database of the same server."
        )
        parser.add_argument("--sqlite-file", help="SQLite: restore into this file.")
        parser.add_argument("--media-root", help="Put the documents in this folder.")

    def handle(self, *args, archive, interactive, database_name, sqlite_file, media_root, **o):
        try:
            manifest = read_manifest(archive)
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from error
        target = database_name or sqlite_file or settings.DATABASES["default"]["NAME"]
        if interactive:
            answer = input(
                f"The backup of {manifest['created_at']} will replace the content of {target} "
                "and restore its documents. Type 'yes' to go on: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled.")
        try:
            result = restore_backup(
                archive, database_name=database_name, sqlite_file=sqlite_file, media_root=media_root
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {target} and {result['restored_files']} document files from {archive}."
        )
