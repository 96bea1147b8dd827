"""Indexes for the global search on PostgreSQL (partnership/overview/search.py): without them every
search computes the French full-text vector of every action and meeting (130 ms for 6,000
actions in the benchmark data; 38 ms with them)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from partnership.overview.search import search_indexes_operation


class Migration(migrations.Migration):
    dependencies = [("partnership", "0003_calendar_key_out_of_history")]

    operations = [
        TrigramExtension(),
        search_indexes_operation("actions", "meetings"),
    ]
