"""Backups of the database and of the uploaded documents, in one tar archive.

An archive holds:

- ``manifest.json``: when, from which database engine, how many documents;
- ``database.pgdump`` (PostgreSQL: ``pg_dump`` in its custom format) or ``database.sqlite3``
  (SQLite: a consistent copy through SQLite's online backup API, never a file copy that a
  write could tear);
- ``media/``: the files under MEDIA_ROOT (documents and their earlier versions), when the
  documents are on the local disk. With object storage (MEDIA_STORAGE_BACKEND), the bucket's
  own versioning or replication keeps them; the archive then holds the database only.

Restoring replaces the database's content with the archive's (PostgreSQL: ``pg_restore
--clean`` in a single transaction; SQLite: the backup API again) and puts the files back
under MEDIA_ROOT (files already there are kept). Stop the application servers first.
"""

import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connections

from partnership.core import fragments

FORMAT = 1
POSTGRESQL = "postgresql"
SQLITE = "sqlite"


class BackupError(Exception):
    pass


def engine(alias="default") -> str:
    vendor = connections[alias].vendor
    if vendor not in (POSTGRESQL, SQLITE):
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    return vendor


def pg_environment(database_name=None, alias="default") -> dict:
    """libpq's environment for pg_dump and pg_restore: no password on a command line."""
    db = settings.DATABASES[alias]
    env = dict(os.environ)
    values = {
        "PGHOST": db.get("HOST") or "",
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": db.get("USER") or "",
        "PGPASSWORD": db.get("PASSWORD") or "",
        "PGDATABASE": database_name or db["NAME"],
        "PGSSLMODE": (db.get("OPTIONS") or {}).get("sslmode", ""),
    }
    env.update({name: value for name, value in values.items() if value})
    return env


def _run(command, env):
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed (Debian package postgresql-client).")
    result = subprocess.run([tool, *command[1:]], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def _media_root() -> Path | None:
    """The local folder of the documents, or None when they are in object storage."""
    if isinstance(default_storage, FileSystemStorage):
        return Path(default_storage.location)
    return None


def create_backup(output_dir, *, alias="default") -> Path:
    """Write a backup archive into ``output_dir`` and return its path."""
    vendor = engine(alias)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    archive_path = output_dir / f"sauvegarde-{stamp}.tar"
    media_root = _media_root()
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        if vendor == POSTGRESQL:
            database_file = work / "database.pgdump"
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    "-f",
                    database_file,
                ],
                pg_environment(alias=alias),
            )
        else:
            database_file = work / "database.sqlite3"
            source = sqlite3.connect(settings.DATABASES[alias]["NAME"])
            target = sqlite3.connect(database_file)
            try:
                with target:
                    source.backup(target)
            finally:
                target.close()
                source.close()
        # The database was written outside Django: what the shared cache keeps of its tables
        # is drawn again (partnership/core/fragments.py).
        fragments.change_every_version()
        files = sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root else []
        manifest = {
            "format": FORMAT,
            "engine": vendor,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "database": database_file.name,
            "media": media_root is not None,
            "media_files": len(files),
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2))
        partial = archive_path.with_suffix(".tar.partial")
        with tarfile.open(partial, "w") as archive:
            archive.add(work / "manifest.json", arcname="manifest.json")
            archive.add(database_file, arcname=database_file.name)
            for path in files:
                archive.add(path, arcname=f"media/{path.relative_to(media_root).as_posix()}")
        partial.rename(archive_path)  # a failed backup never looks like a finished one
    return archive_path


def read_manifest(archive_path) -> dict:
    with tarfile.open(archive_path) as archive:
        member = archive.extractfile("manifest.json")
        if member is None:
            raise BackupError("This archive has no manifest: it is not a backup.")
        manifest = json.load(member)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    return manifest


def restore_backup(
    archive_path, *, database_name=None, sqlite_file=None, media_root=None, alias="default"
) -> dict:
    """Restore an archive into the configured database and MEDIA_ROOT, or into the given
    database name (PostgreSQL, same server), SQLite file and media folder."""
    archive_path = Path(archive_path)
    manifest = read_manifest(archive_path)
    vendor = engine(alias)
    if manifest["engine"] != vendor:
        raise BackupError(
            f"This backup comes from {manifest['engine']}; the database is {vendor}. "
            "Restore it on the same engine."
        )
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        with tarfile.open(archive_path) as archive:
            archive.extractall(work, filter="data")  # no path leaves the folder
        database_file = work / manifest["database"]
        if vendor == POSTGRESQL:
            connections[alias].close()
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    "-d",
                    database_name or settings.DATABASES[alias]["NAME"],
                    database_file,
                ],
                pg_environment(database_name, alias=alias),
            )
        else:
            target_name = sqlite_file or settings.DATABASES[alias]["NAME"]
            if sqlite_file is None:
                connections[alias].close()
            source = sqlite3.connect(database_file)
            target = sqlite3.connect(target_name)
            try:
                with target:
                    source.backup(target)
            finally:
                target.close()
                source.close()
        # The database was written outside Django: what the shared cache keeps of its tables
        # is drawn again (partnership/core/fragments.py).
        fragments.change_every_version()
        restored_files = 0
        media_source = work / "media"
        if manifest["media"] and media_source.is_dir():
            media_target = Path(media_root) if media_root else _media_root()
            if media_target is None:
                raise BackupError(
                    "The documents are in object storage: restore them there, not from here."
                )
            for path in media_source.rglob("*"):
                if path.is_file():
                    destination = media_target / path.relative_to(media_source)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, destination)
                    restored_files += 1
    return {**manifest, "restored_files": restored_files}
