"""The conventions' folded-text search index made again on ``partnership_fold`` (see
partnership/migrations/0014_search_fold_function.py)."""

from django.db import migrations

from partnership.overview.search import search_indexes_operation


class Migration(migrations.Migration):
    dependencies = [
        ("conventions", "0006_history_reason_text"),
        ("partnership", "0014_search_fold_function"),
    ]

    operations = [search_indexes_operation("conventions", rebuild_fold=True)]
