"""What deleting a record would do, read in one query.

The confirmation page says which records go with the one deleted, kind by kind, or which
records refuse its deletion. Django's deletion collector knows it, but walks the records
level by level, one query per kind of related record (an organisation's confirmation took 30
queries). The same walk is done here on the models instead, and every count asked at once:
the records deleted in cascade that the collector would list (those it cannot delete in bulk:
the rest, rows of a many-to-many table, are not records people know), and the records
that protect (PROTECT) or restrict (RESTRICT) the deletion. Only when records refuse are
their keys read, in one more query, for the page to name them. tests/test_deletion_plan.py
checks the answer against the collector's on every record of the demonstration data.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import router
from django.db.models import (
    CASCADE,
    PROTECT,
    RESTRICT,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.deletion import Collector, get_candidate_relations_to_delete

MAX_DEPTH = 8  # levels of cascade followed from the record (the models have four at most)


@dataclass
class _Graph:
    # model deleted in cascade -> the lookups from it to the deleted record
    cascades: dict = field(default_factory=lambda: defaultdict(list))
    # (model, lookup to the deleted record, PROTECT or RESTRICT)
    guards: list = field(default_factory=list)


def _walk(graph, collector, model, lookup, depth):
    if depth > MAX_DEPTH:
        raise RecursionError(f"Deletion cascades deeper than {MAX_DEPTH} levels from {model}")
    for relation in get_candidate_relations_to_delete(model._meta):
        related, on_delete = relation.related_model, relation.field.remote_field.on_delete
        path = f"{relation.field.name}__{lookup}" if lookup else relation.field.name
        if on_delete is CASCADE:
            if collector.can_fast_delete(related, from_field=relation.field):
                continue  # deleted in bulk by the collector, not listed
            graph.cascades[related].append(path)
            _walk(graph, collector, related, path, depth + 1)
        elif on_delete in (PROTECT, RESTRICT):
            graph.guards.append((related, path, on_delete))
        # SET_NULL, SET_DEFAULT, SET(), DO_NOTHING: the related records stay.


def _any_of(paths, value):
    condition = Q()
    for path in paths:
        condition |= Q(**{path: value})
    return condition


def _count(queryset):
    counted = queryset.order_by().annotate(
        counted=Func(F("pk"), function="COUNT", template="COUNT(DISTINCT %(expressions)s)")
    )
    return Subquery(counted.values("counted")[:1], output_field=IntegerField())


def _refusing(graph, model, path, on_delete, value):
    """The records of ``model`` that refuse the deletion through ``path``: all of them for
    PROTECT; for RESTRICT, those not deleted in cascade themselves (the collector's rule)."""
    refusing = model._base_manager.filter(**{path: value})
    if on_delete is RESTRICT and model in graph.cascades:
        refusing = refusing.exclude(_any_of(graph.cascades[model], value))
    return refusing


def deletion_plan(obj):
    """``({model: refusing pks}, {model: number deleted with it})`` for deleting ``obj``:
    nothing refusing when the deletion is possible, no numbers when it is not. One query,
    and one more when records refuse (their keys, all kinds at once)."""
    model = type(obj)
    collector = Collector(using=router.db_for_write(model), origin=obj)
    graph = _Graph()
    _walk(graph, collector, model, "", 1)
    counts = {
        f"cascade_{index}": _count(related._base_manager.filter(_any_of(paths, OuterRef("pk"))))
        for index, (related, paths) in enumerate(graph.cascades.items())
    }
    counts |= {
        f"guard_{index}": _count(_refusing(graph, related, path, on_delete, OuterRef("pk")))
        for index, (related, path, on_delete) in enumerate(graph.guards)
    }
    if not counts:
        return {}, {}
    row = model._base_manager.filter(pk=obj.pk).values(**counts).get()
    refusing = [
        _refusing(graph, related, path, on_delete, obj.pk)
        .order_by()
        .annotate(guard=Value(index, output_field=IntegerField()))
        .values_list("guard", "pk")
        for index, (related, path, on_delete) in enumerate(graph.guards)
        if row[f"guard_{index}"]
    ]
    if refusing:
        first, *others = refusing
        refusing_pks = defaultdict(set)
        for index, pk in first.union(*others, all=True).order_by() if others else first:
            refusing_pks[graph.guards[index][0]].add(pk)
        return dict(refusing_pks), {}
    deleted = {related: row[f"cascade_{index}"] for index, related in enumerate(graph.cascades)}
    return {}, {related: number for related, number in deleted.items() if number}
