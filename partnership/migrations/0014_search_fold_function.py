"""The folded text's search indexes on PostgreSQL, made again on the ``partnership_fold`` function
(partnership/overview/search.py): the same fold, with a cost the planner believes, so that it
reads the trigram and full-text indexes instead of every action (search: 7 requests per second on
the benchmark data before)."""

from django.db import migrations

from partnership.overview.search import search_indexes_operation


class Migration(migrations.Migration):
    dependencies = [("partnership", "0012_history_reasons_as_data")]

    operations = [search_indexes_operation("actions", "meetings", rebuild_fold=True)]
