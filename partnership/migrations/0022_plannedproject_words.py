"""The words of each party's planned project kept by PostgreSQL in a generated column: the
lexemes of its folded title and summary in the French full-text configuration, which the
side-by-side programming compares to find projects with close words
(``partnership.programming.services.close_word_pairs``). Nothing on SQLite, where the words
are found in Python. A later change of the fold function must drop and add the column again (a
generated column is not recomputed when its function changes)."""

from django.db import migrations

COLUMN = (
    "ALTER TABLE partnership_plannedproject ADD COLUMN words tsvector GENERATED ALWAYS AS"
    " (to_tsvector('french'::regconfig, partnership_fold(title || ' ' || summary))) STORED"
)


def add_column(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COLUMN)


def drop_column(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE partnership_plannedproject DROP COLUMN words")


class Migration(migrations.Migration):
    dependencies = [("partnership", "0021_search_stored_columns")]

    operations = [migrations.RunPython(add_column, drop_column)]
