"""The global search: agreements, conventions, actions, meetings, organisations, contacts.

On PostgreSQL the text fields are matched with the full-text search in its French
configuration (stemming: "préventions" finds "Prévention des TMS"), ranked by relevance.
Everywhere, every word typed must also be found, case and accent insensitive, somewhere in
the fields: that is the whole search on SQLite, and on PostgreSQL it adds what the
full-text search misses (the start of a word, a reference, typing without accents).

Every result goes through ``visible_to(user)``: one never finds a record one may not see. One query
per kind of record, whatever the number of matches: the count of all matches comes from a
window function over the same query as the first results.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.postgres.search import SearchVectorField
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Expression,
    F,
    FloatField,
    Func,
    Q,
    Value,
    When,
    Window,
)
from django.db.models.functions import Concat, Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from conventions.models import Convention
from partnership.agreements.models import Agreement
from partnership.core.text import fold
from partnership.directory.models import Contact, Organisation
from partnership.meetings.models import Meeting
from partnership.programmes.models import Action

RESULTS_PER_KIND = 10
MAX_QUERY_LENGTH = 200
MAX_WORDS = 10
QUOTES = "\"'«»“”‘’"  # stripped around the words

# Accented letters (both cases) and their plain lower-case letter, for PostgreSQL's translate().
_ACCENTED = "àáâãäåçèéêëìíîïñòóôõöùúûüýÿÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŸ"
_PLAIN = "aaaaaaceeeeiiiinooooouuuuyyaaaaaaceeeeiiiinooooouuuuyy"
_SQLITE_FOLD = "partnership_fold"
# On PostgreSQL, the same fold as an SQL function created by the search's migrations. translate()
# over the accented letters is slow (about 14 µs a row: 80 ms for the 6,000 actions of the
# benchmark data) but the planner prices it as one operator, so it preferred reading every row to
# the trigram index, and with it the whole full-text search. The function declares its real cost;
# written in PL/pgSQL, PostgreSQL never inlines it (which would forget the cost) and it costs no
# more than translate() alone.
_FOLD_FUNCTION_COST = 500
_PG_FOLD_FUNCTION = (
    "CREATE OR REPLACE FUNCTION partnership_fold(text) RETURNS text"
    f" LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST {_FOLD_FUNCTION_COST}"
    f" AS $$ BEGIN RETURN pg_catalog.translate(pg_catalog.lower($1), '{_ACCENTED}', '{_PLAIN}');"
    " END $$"
)


class Fold(Func):
    """fold() in SQL: a registered Python function on SQLite, translate() on PostgreSQL."""

    output_field = CharField()
    arity = 1

    def as_sql(self, compiler, connection, **extra_context):
        return Lower(*self.source_expressions).as_sql(compiler, connection, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function=_SQLITE_FOLD, **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"partnership_fold({sql})", params


# On PostgreSQL, the big tables keep two searched texts in generated columns the models do
# not declare (the database fills them on every insert and update): the French vector of the
# fields and their folded text. Matching reads them instead of computing them from the text of
# each candidate row, and so does the ranking: on the benchmark data the actions' search spent
# 26 ms rechecking and 19 ms ranking the 645 matches of one word.
STORED_VECTOR = "search_vector"
STORED_FOLDED = "search_folded"
STORED_HEADLINE = "search_headline"


class StoredColumn(Expression):
    """One of the stored search columns of the queried table."""

    def __init__(self, column, output_field):
        super().__init__(output_field=output_field)
        self.column = column

    def as_sql(self, compiler, connection):
        table = compiler.quote_name(compiler.query.get_initial_alias())
        return f"{table}.{connection.ops.quote_name(self.column)}", []


def _prepare_connection():
    """Teach the SQLite connection of this thread the fold() function (no query is run)."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.connection.create_function(_SQLITE_FOLD, 1, fold, deterministic=True)


@dataclass
class Kind:
    key: str
    label: str
    model: type
    fields: tuple  # the searched text fields
    headline: tuple  # the fields naming the record: matches there come first
    related: tuple = ()  # select_related for the result lines
    # On PostgreSQL, the French vector and the folded text of the fields, and the folded
    # headline, are columns of the table (STORED_VECTOR, STORED_FOLDED, STORED_HEADLINE): the
    # big tables'.
    stored: bool = False

    def describe(self, obj):
        """The second line of a result: where the record belongs."""
        return DESCRIBERS[self.key](obj)


def _agreement_line(agreement):
    return agreement.reference


def _convention_line(convention):
    return convention.agreement.reference


def _action_line(action):
    return f"{action.programme.agreement.reference} · {action.programme.year}"


def _meeting_line(meeting):
    return meeting.agreement.reference


def _organisation_line(organisation):
    return organisation.name if organisation.acronym else ""


def _contact_line(contact):
    return str(contact.organisation) if contact.organisation_id else ""


DESCRIBERS = {
    "agreements": _agreement_line,
    "conventions": _convention_line,
    "actions": _action_line,
    "meetings": _meeting_line,
    "organisations": _organisation_line,
    "contacts": _contact_line,
}

KINDS = (
    Kind(
        "agreements",
        _("Framework agreements"),
        Agreement,
        ("reference", "title", "purpose"),
        ("reference", "title"),
    ),
    Kind(
        "conventions",
        _("Ad hoc conventions"),
        Convention,
        ("title", "purpose"),
        ("title",),
        ("agreement",),
        stored=True,
    ),
    Kind(
        "actions",
        _("Joint actions"),
        Action,
        ("title", "description", "objectives"),
        ("title",),
        ("programme__agreement",),
        stored=True,
    ),
    Kind(
        "meetings",
        _("Meetings"),
        Meeting,
        ("title", "place", "minutes"),
        ("title",),
        ("agreement",),
        stored=True,
    ),
    Kind(
        "organisations",
        _("Organisations"),
        Organisation,
        ("name", "acronym"),
        ("name", "acronym"),
    ),
    Kind(
        "contacts",
        _("Contacts"),
        Contact,
        ("last_name", "first_name", "email", "job_title"),
        ("last_name", "first_name"),
        ("organisation",),
    ),
)


@dataclass
class KindResults:
    kind: Kind
    results: list = field(default_factory=list)
    count: int = 0

    @property
    def key(self):
        return self.kind.key

    @property
    def label(self):
        return self.kind.label

    @property
    def truncated(self):
        return self.count > len(self.results)


@dataclass
class Result:
    obj: object
    description: str

    @property
    def url(self):
        return self.obj.get_absolute_url()


def clean_query(text) -> str:
    # No null character: PostgreSQL refuses them in a query's parameters.
    return " ".join((text or "").replace("\x00", " ").split())[:MAX_QUERY_LENGTH]


def _words(query):
    """The folded words to find, and those to leave out (typed with a leading minus sign)."""
    wanted, unwanted = [], []
    for word in query.split()[:MAX_WORDS]:
        target = wanted
        if word.startswith("-"):
            target, word = unwanted, word[1:]
        word = fold(word.strip(QUOTES))
        if word:
            target.append(word)
    return wanted, unwanted


def _haystack(fields):
    """All the searched fields in one folded text, separated by spaces."""
    if len(fields) == 1:
        return Fold(F(fields[0]))
    parts = []
    for name in fields:
        parts.extend([F(name), Value(" ")])
    return Fold(Concat(*parts[:-1], output_field=CharField()))


def _matches(kind, query, words, postgresql):
    wanted, unwanted = words
    every_word = Q()
    in_headline = Q()
    for word in wanted:
        every_word &= Q(search_haystack__contains=word)
        in_headline &= Q(search_headline__contains=word)
    for word in unwanted:
        every_word &= ~Q(search_haystack__contains=word)
    stored = postgresql and kind.stored
    if stored:
        haystack = StoredColumn(STORED_FOLDED, CharField())
        headline = StoredColumn(STORED_HEADLINE, CharField())
    else:
        haystack, headline = _haystack(kind.fields), _haystack(kind.headline)
    # Aliases, not annotations: the folded texts are compared in SQL, never sent back.
    queryset = kind.model._default_manager.select_related(*kind.related).alias(
        search_haystack=haystack, search_headline=headline
    )
    if postgresql:
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        if stored:
            vector = StoredColumn(STORED_VECTOR, SearchVectorField())
        else:
            vector = SearchVector(*kind.fields, config="french")
        search_query = SearchQuery(query, config="french", search_type="websearch")
        queryset = queryset.alias(
            search_vector=vector, search_rank=SearchRank(vector, search_query)
        ).filter(Q(search_vector=search_query) | every_word)
    else:
        queryset = queryset.filter(every_word).alias(
            search_rank=Value(0.0, output_field=FloatField())
        )
    # Matches in the name or title first, then by relevance, then in the model's usual order.
    queryset = queryset.alias(
        search_in_headline=Case(
            When(in_headline, then=True), default=False, output_field=BooleanField()
        )
    )
    ordering = [*kind.model._meta.ordering, "pk"]
    return queryset.order_by("-search_in_headline", "-search_rank", *ordering)


def _compiled(kind, expression, schema_editor):
    """The SQL of an expression on the kind's table, its parameters written in."""
    from django.db.models.sql import Query

    query = Query(kind.model, alias_cols=False)
    compiler = query.get_compiler(connection=schema_editor.connection)
    sql, params = compiler.compile(expression.resolve_expression(query))
    return sql % tuple(schema_editor.quote_value(param) for param in params)


def _searched_texts(kind):
    """The two searched expressions of a kind, as the search compiles them: (index suffix,
    expression, the index's operator class, its stored column and type): the French full-text
    vector, and the folded text (trigrams, for "every word is found somewhere")."""
    from django.contrib.postgres.search import SearchVector

    return (
        ("fts", SearchVector(*kind.fields, config="french"), "", STORED_VECTOR, "tsvector"),
        ("fold", _haystack(kind.fields), " gin_trgm_ops", STORED_FOLDED, "text"),
    )


def _index_statements(kind, schema_editor):
    """CREATE INDEX (and DROP INDEX) for the searched expressions of a kind, compiled from the
    same code as the search itself so that PostgreSQL recognises them."""
    statements = []
    for suffix, expression, opclass, _column, _type in _searched_texts(kind):
        sql = _compiled(kind, expression, schema_editor)
        name = schema_editor.quote_name(f"search_{kind.key}_{suffix}")
        table = schema_editor.quote_name(kind.model._meta.db_table)
        statements.append(
            (
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (({sql}){opclass})",
                f"DROP INDEX IF EXISTS {name}",
            )
        )
    return statements


def _on_postgresql(keys, change):
    """A migration operation calling ``change(kind, schema_editor, table, forwards)`` for each of
    the given kinds, forwards and backwards, on PostgreSQL only: nothing on SQLite."""
    from django.db.migrations import RunPython

    kinds = [kind for kind in KINDS if kind.key in keys]

    def run(schema_editor, forwards):
        if schema_editor.connection.vendor != "postgresql":
            return
        for kind in kinds:
            table = schema_editor.quote_name(kind.model._meta.db_table)
            change(kind, schema_editor, table, forwards)

    return RunPython(
        lambda apps, schema_editor: run(schema_editor, True),
        lambda apps, schema_editor: run(schema_editor, False),
        elidable=False,
    )


def _add_generated_column(schema_editor, table, column, sql_type, kind, expression):
    sql = _compiled(kind, expression, schema_editor)
    schema_editor.execute(
        f"ALTER TABLE {table} ADD COLUMN {column} {sql_type} GENERATED ALWAYS AS ({sql}) STORED"
    )


def stored_search_columns_operation(*keys):
    """A migration operation keeping the French vector and the folded text of the given kinds
    in generated columns of their table (``search_vector``, ``search_folded``: computed by
    PostgreSQL from the same expressions as the search's), their indexes then on the columns;
    backwards, the expression indexes again; nothing on SQLite. A later change of the fold
    function must drop and add the folded column again (a generated column is not recomputed
    when its function changes)."""

    def change(kind, schema_editor, table, forwards):
        indexes = _index_statements(kind, schema_editor)
        for (suffix, expression, opclass, name, sql_type), (create, drop) in zip(
            _searched_texts(kind), indexes, strict=True
        ):
            column = schema_editor.quote_name(name)
            schema_editor.execute(drop)
            if forwards:
                _add_generated_column(schema_editor, table, column, sql_type, kind, expression)
                index = schema_editor.quote_name(f"search_{kind.key}_{suffix}")
                schema_editor.execute(
                    f"CREATE INDEX {index} ON {table} USING gin ({column}{opclass})"
                )
            else:
                schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
                schema_editor.execute(create)
        if forwards:
            schema_editor.execute(f"ANALYZE {table}")  # the planner's view of the columns

    return _on_postgresql(keys, change)


def stored_headline_column_operation(*keys):
    """A migration operation keeping the folded headline of the given kinds (the fields naming
    a record, whose matches come first) in a generated column of their table
    (``search_headline``), on PostgreSQL only: folding it for each match when ranking them cost
    the search of a common word about 7 ms of the actions' 9. Like ``search_folded``, a later
    change of the fold function must drop and add it again."""

    def change(kind, schema_editor, table, forwards):
        column = schema_editor.quote_name(STORED_HEADLINE)
        if forwards:
            headline = _haystack(kind.headline)
            _add_generated_column(schema_editor, table, column, "text", kind, headline)
        else:
            schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN {column}")

    return _on_postgresql(keys, change)


def search_indexes_operation(*keys, rebuild_fold=False):
    """A migration operation creating (and dropping, backwards) the search indexes of the
    given kinds on PostgreSQL, with the fold function they use; nothing on SQLite, where the
    tables stay small. ``rebuild_fold`` drops and creates again the folded text's indexes, for
    a database whose indexes were made with an earlier expression of the fold."""
    from django.db.migrations import RunPython

    kinds = [kind for kind in KINDS if kind.key in keys]

    def run(schema_editor, forwards):
        if schema_editor.connection.vendor != "postgresql":
            return
        if forwards:
            schema_editor.execute(_PG_FOLD_FUNCTION)
        for kind in kinds:
            for create, drop in _index_statements(kind, schema_editor):
                if rebuild_fold and "_fold" not in drop:
                    continue
                if rebuild_fold or not forwards:
                    schema_editor.execute(drop)
                if forwards:
                    schema_editor.execute(create)

    return RunPython(
        lambda apps, schema_editor: run(schema_editor, True),
        RunPython.noop if rebuild_fold else lambda apps, schema_editor: run(schema_editor, False),
        elidable=False,
    )


def search(text, user, per_kind=RESULTS_PER_KIND):
    """The results the person may see, kind by kind: one query per kind."""
    query = clean_query(text)
    words = _words(query)
    if not words[0]:
        return []
    _prepare_connection()
    postgresql = connection.vendor == "postgresql"
    groups = []
    for kind in KINDS:
        queryset = (
            _matches(kind, query, words, postgresql)
            .visible_to(user)
            .annotate(search_total=Window(Count("pk")))
        )
        rows = list(queryset[:per_kind])
        groups.append(
            KindResults(
                kind=kind,
                results=[Result(obj, kind.describe(obj)) for obj in rows],
                count=rows[0].search_total if rows else 0,
            )
        )
    return groups


def list_url(kind_key, query):
    """The list page of that kind searched with the same words, when the list can search."""
    names = {
        "agreements": "agreement_list",
        "organisations": "organisation_list",
        "contacts": "contact_list",
    }
    if kind_key not in names:
        return None
    return f"{reverse(names[kind_key])}?{urlencode({'q': query})}"
