"""``manage.py backup``: the database and the documents in one archive (``make backup``)."""

from django.core.management.base import BaseCommand, CommandError

from partnership.core.backups import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Write a backup archive (database: pg_dump on PostgreSQL, a consistent copy on SQLite; "
        "plus the documents under MEDIA_ROOT) into the output folder and print its path."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", default="backups", help="Folder of the archives (default: backups/)."
        )

    def handle(self, *args, output, **options):
        try:
            archive = create_backup(output)
        except BackupError as error:
            raise CommandError(str(error)) from error
        return str(archive)
