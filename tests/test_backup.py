"""A backup restores to the same data: database rows and document files.

The data is committed (transactional tests) so that pg_dump and SQLite's backup, which use
their own connections, see it. On PostgreSQL the archive is restored into a scratch database
of the same server; on SQLite into a fresh file.
"""

import io
import json
import sqlite3
import tarfile
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from partnership.core import fragments
from partnership.core.backups import read_manifest
from partnership.models import Agreement, Document
from tests.factories import (
    PDF_BYTES,
    AgreementPartyFactory,
    ConventionFactory,
    DocumentFactory,
    MeetingFactory,
    OrganisationFactory,
    SignedAgreementFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def data():
    agreement = SignedAgreementFactory(reference="AC-ANACT-INRS", title="Accord-cadre « 2024 »")
    for acronym in ("Anact", "INRS"):
        AgreementPartyFactory(
            agreement=agreement, organisation=OrganisationFactory(acronym=acronym)
        )
    convention = ConventionFactory(agreement=agreement, title="Convention TMS – prévention")
    MeetingFactory(agreement=agreement)
    signed = DocumentFactory(agreement=agreement, original_name="Accord signé.pdf")
    annex = DocumentFactory(convention=convention, title="Annexe financière")
    return {"agreement": agreement, "documents": [signed, annex]}


def table_counts(cursor):
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


def current_counts():
    with connection.cursor() as cursor:
        return table_counts(cursor)


def test_the_archive_holds_a_manifest_the_database_and_the_documents(tmp_path, data):
    archive = call_command("backup", output=str(tmp_path))

    manifest = read_manifest(archive)
    assert manifest["engine"] == connection.vendor
    assert manifest["media_files"] == 2
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    database = "database.pgdump" if ON_POSTGRESQL else "database.sqlite3"
    assert {"manifest.json", database} <= names
    for document in data["documents"]:
        assert f"media/{document.file.name}" in names


def test_restore_refuses_an_archive_of_another_engine(tmp_path, data):
    archive = Path(call_command("backup", output=str(tmp_path)))
    other = tmp_path / "other.tar"
    with tarfile.open(archive) as source, tarfile.open(other, "w") as target:
        for member in source.getmembers():
            content = source.extractfile(member)
            if member.name == "manifest.json":
                manifest = json.load(content)
                manifest["engine"] = "sqlite" if ON_POSTGRESQL else "postgresql"
                payload = json.dumps(manifest).encode()
                member.size = len(payload)
                content = io.BytesIO(payload)
            target.addfile(member, content)

    with pytest.raises(CommandError, match="Restore it on the same engine"):
        call_command("restore", str(other), interactive=False, sqlite_file=str(tmp_path / "x"))


@pytest.mark.skipif(ON_POSTGRESQL, reason="the SQLite backup (this run is on PostgreSQL)")
def test_sqlite_backup_restores_to_the_same_data(tmp_path, data):
    expected = current_counts()
    archive = call_command("backup", output=str(tmp_path / "backups"))
    restored_file = tmp_path / "restored.sqlite3"
    restored_media = tmp_path / "restored-media"
    before = fragments._versions([fragments.EVERY_TABLE])

    call_command(
        "restore",
        archive,
        interactive=False,
        sqlite_file=str(restored_file),
        media_root=str(restored_media),
    )

    restored = sqlite3.connect(restored_file)
    try:
        assert table_counts(restored.cursor()) == expected
        row = restored.execute(
            f"SELECT reference, title FROM {Agreement._meta.db_table} WHERE id = ?",
            [data["agreement"].pk],
        ).fetchone()
        names = restored.execute(
            f"SELECT original_name, file FROM {Document._meta.db_table} ORDER BY id"
        ).fetchall()
    finally:
        restored.close()
    assert row == ("AC-ANACT-INRS", "Accord-cadre « 2024 »")
    assert names == [(d.original_name, d.file.name) for d in data["documents"]]
    for document in data["documents"]:
        assert (restored_media / document.file.name).read_bytes() == PDF_BYTES
    # Written outside Django: every fragment kept in the shared cache is drawn again.
    assert fragments._versions([fragments.EVERY_TABLE]) != before


@pytest.fixture
def scratch_database():
    """An empty database on the test server, dropped afterwards."""
    settings_dict = connection.settings_dict
    name = f"{settings_dict['NAME']}_restore"[:63]
    params = {
        "host": settings_dict["HOST"] or None,
        "port": settings_dict["PORT"] or None,
        "user": settings_dict["USER"] or None,
        "password": settings_dict["PASSWORD"] or None,
    }
    admin = psycopg.connect(dbname="postgres", **params)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name, params
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the PostgreSQL backup (this run is on SQLite)")
def test_postgresql_backup_restores_to_the_same_data(tmp_path, data, scratch_database):
    name, params = scratch_database
    expected = current_counts()
    archive = call_command("backup", output=str(tmp_path / "backups"))
    restored_media = tmp_path / "restored-media"
    before = fragments._versions([fragments.EVERY_TABLE])

    call_command(
        "restore", archive, interactive=False, database_name=name, media_root=str(restored_media)
    )
    # pg_restore writes outside Django: every fragment kept in the shared cache is drawn again.
    assert fragments._versions([fragments.EVERY_TABLE]) != before

    restored = psycopg.connect(dbname=name, **params)
    try:
        with restored.cursor() as cursor:
            assert table_counts(cursor) == expected
            cursor.execute(
                f"SELECT reference, title FROM {Agreement._meta.db_table} WHERE id = %s",
                [data["agreement"].pk],
            )
            row = cursor.fetchone()
            cursor.execute(f"SELECT original_name, file FROM {Document._meta.db_table} ORDER BY id")
            names = cursor.fetchall()
    finally:
        restored.close()
    assert row == ("AC-ANACT-INRS", "Accord-cadre « 2024 »")
    assert names == [(d.original_name, d.file.name) for d in data["documents"]]
    for document in data["documents"]:
        assert (restored_media / document.file.name).read_bytes() == PDF_BYTES


def test_restore_asks_before_replacing(tmp_path, data, monkeypatch):
    archive = call_command("backup", output=str(tmp_path))
    monkeypatch.setattr("builtins.input", lambda prompt: "non")

    with pytest.raises(CommandError, match="Restore cancelled"):
        call_command("restore", archive, sqlite_file=str(tmp_path / "x.sqlite3"))
