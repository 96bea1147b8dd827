"""The global search's indexes for conventions on PostgreSQL (partnership/overview/search.py)."""

from django.db import migrations

from partnership.overview.search import search_indexes_operation


class Migration(migrations.Migration):
    dependencies = [
        ("conventions", "0003_versions"),
        ("partnership", "0004_search_indexes"),  # creates the pg_trgm extension
    ]

    operations = [search_indexes_operation("conventions")]
