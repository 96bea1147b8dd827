"""The folded title of actions and meetings kept in a generated column on PostgreSQL
(partnership/overview/search.py, ``stored_headline_column_operation``): the search ranks the
matches in a title first without folding each match's title again."""

from django.db import migrations

from partnership.overview.search import stored_headline_column_operation


class Migration(migrations.Migration):
    dependencies = [("partnership", "0022_plannedproject_words")]

    operations = [stored_headline_column_operation("actions", "meetings")]
