"""The French full-text vector and the folded text of conventions kept in generated
columns on PostgreSQL (partnership/overview/search.py, ``stored_search_columns_operation``): the
search reads them instead of computing them from the text of each candidate and ranked match."""

from django.db import migrations

from partnership.overview.search import stored_search_columns_operation


class Migration(migrations.Migration):
    dependencies = [("conventions", "0007_search_fold_function")]

    operations = [stored_search_columns_operation("conventions")]
