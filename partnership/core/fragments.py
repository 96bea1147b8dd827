"""Parts of pages kept in the shared cache, for as long as the tables they are drawn from do
not change.

Every write made through Django is seen where it is executed: a model's ``save``,
``QuerySet.update``, a bulk create, a deletion, raw SQL, a migration, the flush of a test
database (a wrapper on every connection's cursor, Django's ``execute_wrappers``). The tables a
statement writes are noted and, when its transaction commits, each gets a new *version*: a
random token in the shared cache. A fragment is kept under a key made of what it shows (its
name, whose scope, which day, which language, which release of the code) and of the versions
of the tables it is drawn from. A commit to one of those tables, through whichever server,
worker or command, gives another key: what is kept is never out of date and nothing needs
invalidating. Old keys expire.

Three rules keep it right:

- the versions are read *before* the fragment is drawn: a transaction that commits while it is
  drawn changes a version after it was read, so what was drawn is never found again;
- a connection with writes not yet committed keeps nothing (what it would draw may be rolled
  back): it draws every fragment, as if nothing were kept;
- a fragment reads only the tables it names: while one is drawn, the tables its queries read
  are noted, and one it does not name is an error in development and tests (the key would miss
  a change to it), logged in production, where the fragment is then not kept.

A table written often for one person or one agreement at a time (the notifications, the rows
an action's edit writes) can also be followed by *parts* (``partitioned``): a fragment that
shows one person's rows (the bell's count) names the part ``partnership_notification:
recipient=7`` beside the table, and the code that writes such rows says whose they are
(``written_for``): its writes change the versions of those parts (and of the part of any
value) only, so that a notification for one person does not draw everyone's bell again. A
fragment that names none of a partitioned table's parts follows the part of any value. Any
other write to the table (the admin, a deletion cascading from a record) changes the table's
version, which every fragment drawn from it follows.

A write whose tables its SQL does not say plainly (TRUNCATE, DDL, a CTE that writes...) changes
the version of every table. Writes made outside Django (psql by hand, ``pg_restore``) are not
seen: ``restore_backup`` changes every version itself. When Redis does not answer, every
fragment is drawn as if nothing were kept (a slower page, never a wrong one); when a version
could not be changed at a commit, what was kept before may show for up to ``KEPT_SECONDS``.
"""

import functools
import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

KEPT_SECONDS = 600
EVERY_TABLE = "*"
_VERSION = "table-version:"

# What Django's SQL (and plain SQL) says it writes: INSERT [OR ...] INTO, UPDATE, DELETE FROM.
_WRITES = re.compile(
    r"\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)"
    r'\s+"?(\w+)"?',
    re.IGNORECASE,
)
# Statements that write no table's rows.
_NO_WRITE = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SET", "SHOW")
_NO_WRITE += ("EXPLAIN", "PRAGMA", "VALUES")
# The tables a statement of Django's reads: its quoted names after FROM or JOIN (a quoted name
# followed by a dot is a column's table alias, as in EXTRACT(YEAR FROM "T3"."day")).
_READS = re.compile(r'\b(?:FROM|JOIN)\s+"(\w+)"(?!\.)', re.IGNORECASE)


# An UPDATE that sets columns to plain parameters, nothing else: UPDATE "t" SET "a" = %s, ...
_SETS = re.compile(
    r'\s*UPDATE\s+"(\w+)"\s+SET\s+("\w+"\s*=\s*%s(?:\s*,\s*"\w+"\s*=\s*%s)*)\s+WHERE\s',
    re.IGNORECASE,
)


@functools.cache
def unshown_columns() -> dict[str, frozenset[str]]:
    """Columns written often that no fragment shows (a fragment whose queries read one is
    refused, like a table its key does not name): an UPDATE that sets only these changes no
    version. Each login sets the person's ``last_login``: it would otherwise draw again every
    section that names people (the dashboard's recent changes, for everyone)."""
    return {get_user_model()._meta.db_table: frozenset({"last_login"})}


@functools.cache
def _unshown_in_sql() -> tuple[str, ...]:
    """The unshown columns as Django's SQL names them: ``"auth_user"."last_login"``."""
    return tuple(
        f'"{table}"."{column}"'
        for table, columns in unshown_columns().items()
        for column in columns
    )


def written_tables(sql: str) -> frozenset[str]:
    """The tables a statement writes: none for a read, ``EVERY_TABLE`` when it cannot say."""
    head = sql.lstrip(" \t\r\n(")[:9].upper()  # a compound query starts with its "(SELECT"
    if head.startswith(_NO_WRITE):
        return frozenset()
    if head.startswith("UPDATE") and (sets := _SETS.match(sql)):
        unshown = unshown_columns().get(sets[1], frozenset())
        if unshown and set(re.findall(r'"(\w+)"\s*=', sets[2])) <= unshown:
            return frozenset()
    if head.startswith("WITH"):  # a CTE: a read, unless it writes
        if not re.search(r"\b(?:INSERT|UPDATE|DELETE|MERGE)\b", sql, re.IGNORECASE):
            return frozenset()
        return frozenset({EVERY_TABLE})
    match = _WRITES.match(sql)
    return frozenset({match[1]}) if match else frozenset({EVERY_TABLE})


def tables_of(*models) -> frozenset[str]:
    return frozenset(model._meta.db_table for model in models)


# The tables whose writes can be said to be for some rows (``written_for``): the field that
# names their parts. Filled when the application is ready (``partitioned``).
_PARTITIONS: dict[str, str] = {}
ANY = "*"


def _table(model_or_table) -> str:
    return model_or_table if isinstance(model_or_table, str) else model_or_table._meta.db_table


def partitioned(field: str, *models):
    """Let writes to the models' tables be said to be for some values of ``field``
    (``written_for``). A fragment drawn from one of these tables follows the parts it names
    (``Fragment.parts``), or, if it names none of the table's, the writes for any value."""
    for model in models:
        _PARTITIONS[_table(model)] = field


def partition_of(model_or_table) -> str | None:
    """The field a table's parts are named by, or None for a table followed whole."""
    return _PARTITIONS.get(_table(model_or_table))


def part(model_or_table, field: str, value) -> str:
    """The name of the rows of a table whose ``field`` is ``value``:
    ``"partnership_notification:recipient=7"`` (no table's name holds a colon)."""
    return f"{_table(model_or_table)}:{field}={value}"


@contextmanager
def written_for(models, field: str, values: Iterable, using=DEFAULT_DB_ALIAS):
    """Inside, the writes to the tables of ``models`` (a model or a tuple of them,
    ``partitioned`` by ``field``) are writes to rows whose ``field`` is one of ``values``, and
    to no other row: when they commit they change the versions of those parts (and of the
    part of any value), not the tables'. The caller vouches for it: it writes only rows it
    built for those values, or selected by them. Writes to other tables are noted as usual."""
    values = [*values, ANY]
    claims = connections[using].__dict__.setdefault("fragments_parts", {})
    tables = [_table(model) for model in (models if isinstance(models, tuple) else (models,))]
    for table in tables:
        if _PARTITIONS.get(table) != field:
            raise ValueError(f"The writes to {table} cannot be said to be for some {field}.")
        if table in claims:
            raise RuntimeError(f"The writes to {table} are already said to be for some rows.")
    for table in tables:
        claims[table] = frozenset(part(table, field, value) for value in values)
    try:
        yield
    finally:
        for table in tables:
            del claims[table]


# Seeing the writes -------------------------------------------------------------------------


def install(sender=None, connection=None, **kwargs):
    """Receiver of ``connection_created``: every new connection notes the tables it writes."""
    if _note_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(_note_writes)


def _note_writes(execute, sql, params, many, context):
    result = execute(sql, params, many, context)  # noted once it is done: it may fail
    tables = written_tables(sql if isinstance(sql, str) else str(sql))
    if tables:
        db = context["connection"]
        if claims := db.__dict__.get("fragments_parts"):
            tables = frozenset().union(*(claims.get(table, {table}) for table in tables))
        db.__dict__.setdefault("fragments_written", set()).update(tables)
        if not db.in_atomic_block and not db.get_autocommit():
            # Manual transaction management (the application uses none): no commit to wait
            # for, on_commit would refuse. The versions change now, before that commit.
            _committed(db)
        elif not _commit_awaited(db):
            callback = functools.partial(_committed, db)
            db.fragments_awaited = (callback, len(db.run_on_commit))
            # Outside a transaction, on_commit runs at once: the statement is committed.
            db.on_commit(callback, robust=True)
    return result


def _commit_awaited(db) -> bool:
    """Whether the connection's transaction will change the versions when it commits: the
    callback is still where it was put in the list of what runs on commit (a rollback empties
    the list; the rollback of a savepoint removes what was put since, and may move the rest,
    which then only registers the callback twice). O(1): a bulk write runs this for each row."""
    callback, index = getattr(db, "fragments_awaited", (None, 0))
    waiting = db.run_on_commit
    return callback is not None and index < len(waiting) and waiting[index][1] is callback


def _committed(db):
    tables, db.fragments_written = db.fragments_written, set()
    if tables:
        change_versions(tables)


def change_versions(tables):
    """Give the tables new versions: every fragment drawn from one of them is drawn again."""
    try:
        cache.set_many({_VERSION + table: secrets.token_hex(8) for table in tables}, None)
    except redis.exceptions.RedisError as error:
        logger.warning("shared cache unreachable, table versions not changed: %s", error)


def change_every_version():
    change_versions([EVERY_TABLE])


def uncommitted_writes(db=connection) -> bool:
    return db.in_atomic_block and _commit_awaited(db)


# Keeping fragments -------------------------------------------------------------------------


class Drawn(dict):
    """The fragments' values by name, and how many of them were found kept."""

    kept = 0

    def told(self, response):
        """The page's response, saying in a ``Server-Timing`` header how many of its fragments
        were found kept (a browser's developer tools show it; ``make loadtest`` sums it into a
        hit rate)."""
        response["Server-Timing"] = f'fragments;desc="{self.kept}/{len(self)} kept"'
        return response


def partial(name: str, context: dict) -> str:
    """A fragment drawn with a template's partial (``"page.html#partial"``), alone: HTML the
    page prints as it is (the template escaped what it drew)."""
    return mark_safe(render_to_string(name, context).strip())  # noqa: S308


@dataclass(frozen=True)
class Fragment:
    """What a fragment shows (``key``: plain values), the tables it is drawn from, the parts
    of them whose writes it follows besides (``part``: the table's own writes are followed
    too), and how it is drawn."""

    key: tuple
    tables: frozenset[str]
    draw: Callable[[], object]
    parts: frozenset[str] = frozenset()


def drawn(fragments: dict[str, Fragment]) -> Drawn:
    """Each fragment's value: kept from an earlier drawing whose tables have not changed
    since, or drawn now (and kept). Two round trips to the cache whatever their number."""
    values = Drawn()
    if uncommitted_writes():
        values.update((name, _checked(name, fragment)[0]) for name, fragment in fragments.items())
        return values
    try:
        keys = _keys(fragments)
        found = cache.get_many([key for key in keys.values() if key])
    except redis.exceptions.RedisError as error:
        logger.warning("shared cache unreachable, fragments drawn again: %s", error)
        values.update((name, _checked(name, fragment)[0]) for name, fragment in fragments.items())
        return values
    new = {}
    for name, fragment in fragments.items():
        key = keys[name]
        if key in found:
            values[name] = found[key]
            values.kept += 1
            continue
        values[name], complete = _checked(name, fragment)
        if key and complete:
            new[key] = values[name]
    if new:
        try:
            cache.set_many(new, KEPT_SECONDS)
        except redis.exceptions.RedisError as error:
            logger.warning("shared cache unreachable, fragments not kept: %s", error)
    return values


def _keys(fragments):
    followed = {name: _followed(fragment) for name, fragment in fragments.items()}
    versions = _versions([EVERY_TABLE, *sorted(set().union(*followed.values()))])
    context = (release(), get_language(), versions.get(EVERY_TABLE))
    keys = {}
    for name, fragment in fragments.items():
        of_tables = tuple(versions.get(table) for table in followed[name])
        if context[2] is None or None in of_tables:
            keys[name] = None  # a version the cache lost just now: drawn, not kept
            continue
        content = repr((name, fragment.key, context, of_tables)).encode()
        keys[name] = "fragment:" + hashlib.blake2b(content, digest_size=20).hexdigest()
    return keys


def _followed(fragment) -> list[str]:
    """The tables and parts whose versions key a fragment: a partitioned table whose parts it
    does not name is followed by the part of any value, which every said write changes."""
    named = {name.split(":", 1)[0] for name in fragment.parts}
    followed = set(fragment.tables | fragment.parts)
    for table in fragment.tables:
        if table in _PARTITIONS and table not in named:
            followed.add(part(table, _PARTITIONS[table], ANY))
    return sorted(followed)


def _versions(tables):
    keys = {_VERSION + table: table for table in tables}
    found = cache.get_many(list(keys))
    missing = [key for key in keys if key not in found]
    if missing:  # never written since Redis started: a version of its own, never reused
        for key in missing:
            cache.add(key, secrets.token_hex(8), None)
        found.update(cache.get_many(missing))
    return {keys[key]: value for key, value in found.items()}


def _checked(name, fragment):
    """The fragment drawn, and whether it read only the tables it names."""
    read = set()

    def note_reads(execute, sql, params, many, context):
        if isinstance(sql, str):
            read.update(_READS.findall(sql))
            read.update(column for column in _unshown_in_sql() if column in sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note_reads):
        value = fragment.draw()
    unnamed = read - fragment.tables
    if unnamed:
        message = (
            f"The fragment {name!r} reads tables its key does not name, or columns whose "
            f"changes no version follows: {sorted(unnamed)}."
        )
        if settings.DEBUG or settings.TESTING:
            raise ImproperlyConfigured(message)
        logger.error("%s It is not kept.", message)
    return value, not unnamed


@functools.cache
def release() -> str:
    """The code and catalogues this process draws with: a fragment drawn by another release
    (during a deployment, the servers not yet updated) is not shown by this one. Reading them
    costs about 30 ms: ``partnership.wsgi`` computes it when the application loads (once, in
    gunicorn's master process, which preloads it), not on a worker's first page."""
    digest = hashlib.blake2b(digest_size=16)
    root = Path(settings.BASE_DIR)
    for folder in ("partnership", "conventions", "experimentations", "templates", "locale"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".py", ".html", ".mo") and path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()
