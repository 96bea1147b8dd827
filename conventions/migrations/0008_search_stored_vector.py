"""The French full-text vector of conventions kept in a generated column on PostgreSQL
(partnership/overview/search.py, ``stored_vectors_operation``)."""

from django.db import migrations

from partnership.overview.search import stored_vectors_operation


class Migration(migrations.Migration):
    dependencies = [("conventions", "0007_search_fold_function")]

    operations = [stored_vectors_operation("conventions")]
