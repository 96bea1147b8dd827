"""Staff pages of the history: a record's full history, restoring an earlier version, and
bringing back a deleted record.

- Full history: a record's changes and those of its rows (parties, commitments, agenda
  items...), field by field, with who and when.
- Restore a version (coordinators): an action, a convention, or a meeting's minutes, as
  they were at one entry of the history. A confirmation page shows what would change; the
  restore is refused if someone changed the record since the page was opened.
- Deleted records (administrators): the deletions, newest first; restoring one brings back
  the record and the rows deleted with it.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import CharField, Exists, F, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from conventions import services as convention_services
from conventions.models import Amendment, Convention
from experimentations.models import EnrolledCompany, Experimentation
from partnership.agreements.models import Agreement
from partnership.core import crud, history
from partnership.core.lifecycle import TransitionError
from partnership.core.restore import record_restore_deleted
from partnership.directory.models import Contact, Organisation
from partnership.documents.models import Document
from partnership.meetings.models import Meeting
from partnership.meetings.services import MEETING_RESTORED_FIELDS, meeting_minutes_restore
from partnership.programmes.models import Action, Deliverable, Programme
from partnership.programmes.services import ACTION_RESTORED_FIELDS, action_restore
from partnership.programming.models import PlannedProject
from partnership.rules import AGREEMENT_PATHS

# A record's full history ---------------------------------------------------------------------

HISTORY_PAGES = {
    Agreement: "accords",
    Programme: "programmes",
    Action: "actions",
    Meeting: "rendez-vous",
    Convention: "conventions",
    Experimentation: "experimentations",
    Organisation: "organismes",
    Contact: "contacts",
    PlannedProject: "projets",
}


def history_url(obj):
    """The full history page of a record, if it has one."""
    try:
        return reverse(f"{obj._meta.model_name}_history", args=[obj.pk])
    except NoReverseMatch:
        return None


def _with_agreement(model):
    """The model's records with the agreement they hang from (the access rule reads it)."""
    path = AGREEMENT_PATHS.get(model._meta.label_lower)
    queryset = model._default_manager.all()
    return queryset.select_related(path) if path else queryset


class RecordHistory(crud.StaffDetailView):
    template_name = "partnership/history/record_history.html"

    def base_queryset(self):
        return _with_agreement(self.model)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entries = history.record_history(self.object)
        add_restore_links(self.object, self.request.user, entries)
        row_kinds = [fk.model._meta.verbose_name_plural for fk in history.row_relations(self.model)]
        context.update(entries=entries, row_kinds=row_kinds)
        return context


# Restoring an earlier version ----------------------------------------------------------------


@dataclass(frozen=True)
class Restorable:
    url_name: str
    permission: str
    fields: tuple
    service: object  # callable(record, *, user, history_id, version)
    what: str  # "record" or "minutes"


RESTORABLE = {
    Action: Restorable(
        "action_restore",
        "partnership.restore_action",
        ACTION_RESTORED_FIELDS,
        lambda obj, **kwargs: action_restore(action=obj, **kwargs),
        "record",
    ),
    Convention: Restorable(
        "convention_restore",
        "conventions.restore_convention",
        convention_services.CONVENTION_RESTORED_FIELDS,
        lambda obj, **kwargs: convention_services.convention_restore(convention=obj, **kwargs),
        "record",
    ),
    Meeting: Restorable(
        "meeting_minutes_restore",
        "partnership.restore_meeting",
        MEETING_RESTORED_FIELDS,
        lambda obj, **kwargs: meeting_minutes_restore(meeting=obj, **kwargs),
        "minutes",
    ),
}


def add_restore_links(obj, user, entries):
    """A "restore this version" link on the record's own entries, but the newest one, when
    the person may restore it."""
    target = RESTORABLE.get(type(obj))
    if target is None or not user.has_perm(target.permission, obj):
        return
    own = [entry for entry in entries if not entry.get("row")]
    for entry in own[1:]:
        if entry["record"].history_type != "-":
            entry["restore_url"] = reverse(target.url_name, args=[entry["record"].history_id])


class RestoreVersion(TemplateView):
    """Confirm (GET), then restore (POST) the version of one history entry."""

    model = None
    template_name = "partnership/history/restore_version.html"

    def dispatch(self, request, *args, **kwargs):
        self.target = RESTORABLE[self.model]
        self.record = get_object_or_404(
            history.history_manager(self.model).exclude(history_type="-"),
            history_id=kwargs["pk"],
        )
        self.object = get_object_or_404(
            _with_agreement(self.model).visible_to(request.user), pk=self.record.id
        )
        crud.check_permission(request.user, self.target.permission, self.object)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            object=self.object,
            record=self.record,
            author=history.author_name(self.record),
            opts=self.model._meta,
            target=self.target,
            changes=history.restore_changes(self.object, self.record, self.target.fields),
            missing=history.missing_related(
                self.model, history.version_values(self.record, self.target.fields)
            ),
            read_only=getattr(self.object, "is_read_only", False),
        )
        return context

    def post(self, request, *args, **kwargs):
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        try:
            self.target.service(
                self.object, user=request.user, history_id=self.record.history_id, version=version
            )
        except TransitionError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(request.path)
        when = formats.date_format(
            timezone.localtime(self.record.history_date), "SHORT_DATETIME_FORMAT"
        )
        messages.success(request, _("The version of %(date)s was restored.") % {"date": when})
        return HttpResponseRedirect(self.object.get_absolute_url())


# Deleted records -----------------------------------------------------------------------------


def _text(name):
    return Cast(name, CharField())


# The records whose deletion an administrator may undo, each with a name to list it by.
DELETABLE = {
    Agreement: Concat("reference", Value(" – "), "title", output_field=CharField()),
    Programme: Concat(_text("year"), Value(" – "), "title", output_field=CharField()),
    Action: F("title"),
    Deliverable: F("title"),
    Meeting: F("title"),
    Convention: Concat(_text("annex_number"), Value(" – "), "title", output_field=CharField()),
    Amendment: _text("number"),
    Experimentation: F("title"),
    EnrolledCompany: F("name"),
    Organisation: F("name"),
    Contact: Concat("first_name", Value(" "), "last_name", output_field=CharField()),
    Document: F("title"),
}
DELETED_LIMIT = 200


def _deletions(model, name):
    historical = history.historical_model(model)
    return (
        historical._default_manager.filter(history_type="-")
        .order_by()
        .annotate(
            back=Exists(model._base_manager.filter(pk=OuterRef("id"))),
            later=Exists(
                historical._default_manager.filter(
                    id=OuterRef("id"), history_id__gt=OuterRef("history_id")
                )
            ),
        )
        .filter(back=False, later=False)
        .annotate(label=Value(model._meta.label_lower, output_field=CharField()), record_name=name)
        .values(
            "label",
            "history_id",
            "id",
            "record_name",
            "history_date",
            "history_user_id",
            "history_change_reason",
        )
    )


def deleted_records():
    """The deletions not undone, newest first: one query over every model's history."""
    parts = [_deletions(model, name) for model, name in DELETABLE.items()]
    rows = list(parts[0].union(*parts[1:], all=True).order_by("-history_date")[:DELETED_LIMIT])
    users = get_user_model()._default_manager.in_bulk(
        {row["history_user_id"] for row in rows if row["history_user_id"]}
    )
    models = {model._meta.label_lower: model for model in DELETABLE}
    for row in rows:
        model = models[row["label"]]
        row["kind"] = capfirst(model._meta.verbose_name)
        row["name"] = row["record_name"]
        if model is Amendment:
            row["name"] = _("Amendment no. %(number)s") % {"number": row["name"]}
        row["user"] = users.get(row["history_user_id"])
        query = urlencode({"modele": row["label"], "version": row["history_id"]})
        row["restore_url"] = f"{reverse('deleted_record_restore')}?{query}"
    return rows


class AdministratorMixin:
    def dispatch(self, request, *args, **kwargs):
        crud.check_permission(request.user, "partnership.restore_deleted")
        return super().dispatch(request, *args, **kwargs)


class DeletedRecords(AdministratorMixin, TemplateView):
    template_name = "partnership/history/deleted_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(rows=deleted_records(), limit=DELETED_LIMIT)
        return context


def _tree_counts(tree, counts):
    for record, children in tree:
        name = capfirst(record.instance_type._meta.verbose_name_plural)
        counts[name] = counts.get(name, 0) + 1
        _tree_counts(children, counts)
    return counts


class DeletedRecordRestore(TemplateView):
    """Confirm (GET), then bring back (POST) a deleted record and the rows deleted with it."""

    template_name = "partnership/history/deleted_restore.html"

    def dispatch(self, request, *args, **kwargs):
        crud.check_permission(request.user, "partnership.restore_deleted")
        models = {model._meta.label_lower: model for model in DELETABLE}
        model = models.get(request.GET.get("modele", ""))
        try:
            history_id = int(request.GET.get("version", ""))
        except ValueError:
            history_id = None
        if model is None or history_id is None:
            raise Http404
        self.record = get_object_or_404(
            history.history_queryset(model), history_id=history_id, history_type="-"
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        record = self.record
        model = record.instance_type
        values = [
            {"label": capfirst(field.verbose_name), "value": history.record_value(record, field)}
            for field in history.tracked_fields(model)
        ]
        context.update(
            record=record,
            author=history.author_name(record),
            name=str(history.instance_of(record)),
            kind=capfirst(model._meta.verbose_name),
            values=values,
            rows=sorted(_tree_counts(history.deleted_with(record), {}).items()),
            exists=model._base_manager.filter(pk=record.id).exists(),
        )
        return context

    def post(self, request, *args, **kwargs):
        try:
            restored = record_restore_deleted(record=self.record, user=request.user)
        except TransitionError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(request.get_full_path())
        messages.success(request, _("“%(record)s” was restored.") % {"record": restored})
        url = getattr(restored, "get_absolute_url", None)
        return HttpResponseRedirect(url() if url else reverse("deleted_records"))
