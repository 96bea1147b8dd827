"""Generic staff views: every lookup goes through the person's scope.

A record out of the person's scope answers 404 (its existence is not leaked); a record
they see but may not change answers 403. Lists filter (django-filter, in the URL),
sort and paginate. Forms that belong together are saved together with their formsets,
in one transaction; an edit form carries the version of the record (and each row of its
formsets the version of the row) it was loaded from, and saving over a newer version is
refused with the others' changes shown and the person's input kept (partnership.core.concurrency).
Lifecycle transitions ask for confirmation, then call the service.
"""

import datetime
import decimal
import enum
import functools
import uuid

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.db.models.expressions import Col
from django.db.models.lookups import Lookup
from django.db.models.sql.where import WhereNode
from django.forms.utils import ErrorDict
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import DeleteView, DetailView, FormView, UpdateView
from django.views.generic.edit import BaseUpdateView, CreateView
from django_filters.views import FilterView

from partnership.core import concurrency, deletion, fragments, history
from partnership.core.lifecycle import TransitionError


def permission_name(model, action):
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def check_permission(user, permission, obj=None):
    if not user.has_perm(permission, obj):
        raise PermissionDenied(_("You are not allowed to do this."))


class ScopedMixin:
    """Fetch through the person's scope; check one named permission on the object."""

    model = None
    permission_action = "view"

    def base_queryset(self):
        return self.model._default_manager.all()

    def get_queryset(self):
        return self.base_queryset().visible_to(self.request.user)

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        check_permission(
            self.request.user, permission_name(self.model, self.permission_action), obj
        )
        return obj

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["opts"] = self.model._meta
        return context


class ParentMixin:
    """Views of a record created under a parent (an action under a programme...)."""

    parent_model = None
    parent_kwarg = "parent_pk"
    parent_permission = None  # e.g. "partnership.add_action", checked against the parent

    def dispatch(self, request, *args, **kwargs):
        self.parent = get_object_or_404(
            self.parent_model._default_manager.all().visible_to(request.user),
            pk=kwargs[self.parent_kwarg],
        )
        if self.parent_permission:
            check_permission(request.user, self.parent_permission, self.parent)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["parent"] = self.parent
        return context


class StaffListView(ScopedMixin, FilterView):
    paginate_by = 25
    template_name_suffix = "_list"

    def get_queryset(self):
        # A stable default order (the model's, then pk) that the list's sort filter overrides.
        return super().get_queryset().order_by(*self.model._meta.ordering, "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = self.request.user.has_perm(permission_name(self.model, "add"))
        return context


class StaffDetailView(ScopedMixin, DetailView):
    pass


def share_choices(forms):
    """Read each list of options once for the whole page, and keep it for the next pages.

    Every row of a formset has its own copy of its fields, and a model select reads its
    options from the database when it is drawn: three rows choosing an organisation were
    three identical queries (and the main form's organisation fields more). The fields
    whose options come from the same query, drawn the same way, get the options read by
    the first. Only the drawing is concerned: checking a submitted value still asks the
    database.

    A list whose query and labels can be named (``query_signature``, ``_label_name``) is
    also kept in the shared cache, as values and labels, until a table it is read from
    changes (partnership.core.fragments): a form's page then reads none of its lists.
    """
    groups = {}
    for form in forms:
        for field in form.fields.values():
            if (
                not isinstance(field, django_forms.ModelChoiceField)
                or not isinstance(field.widget, django_forms.Select)  # not a row's hidden id
                or hasattr(field, "_choices")
            ):
                continue
            label = field.label_from_instance
            label_name = _label_name(label)
            signature = query_signature(field.queryset.query)
            key = (
                label_name or getattr(label, "__func__", label),
                field.to_field_name,
                signature or str(field.queryset.query),
            )
            named = label_name is not None and signature is not None
            groups.setdefault(key, (named, []))[1].append(field)
    kept = {}  # the lists that can be kept, by their fragments' names
    for key, (named, fields) in groups.items():
        tables = _tables_read(fields[0].queryset.query) if named else None
        if tables:
            kept[f"options {key!r}"] = fragments.Fragment(
                key=(timezone.get_current_timezone_name(),),
                tables=tables,
                draw=functools.partial(_options, fields[0]),
            )
    drawn = fragments.drawn(kept) if kept else {}
    for key, (_named, fields) in groups.items():
        name = f"options {key!r}"
        options = drawn[name] if name in drawn else _options(fields[0])
        for field in fields:
            empty = [] if field.empty_label is None else [("", field.empty_label)]
            field.choices = empty + options


def _options(field):
    """A model select's options, without its empty one, as values and labels: what is kept."""
    skip = 0 if field.empty_label is None else 1
    # iter(): list() would first ask the database for the number of options.
    return [(str(value), str(label)) for value, label in list(iter(field.choices))[skip:]]


def _label_name(label):
    """What names a label function in every process (its module, name and line), or None
    for one that holds values of its own (a closure, an object): its labels are not kept.
    A field's ``label_from_instance`` method must draw the label from the record alone (and
    the language and time zone, which are part of the key), as every one here does."""
    code = getattr(label, "__code__", None)
    if code is None or getattr(label, "__closure__", None):
        return None
    return (label.__module__, label.__qualname__, code.co_firstlineno)


def _tables_read(query):
    """The tables a query named by ``query_signature`` reads: its joins and the models it
    follows with ``select_related``; None when it follows every relation."""
    tables = {table.table_name for table in query.alias_map.values()}
    tables.add(query.model._meta.db_table)

    def follow(model, related):
        for name, further in related.items():
            target = model._meta.get_field(name).related_model
            tables.add(target._meta.db_table)
            follow(target, further)

    if query.select_related is True:
        return None
    if query.select_related:
        follow(query.model, query.select_related)
    return frozenset(tables)


_PLAIN = (str, int, bool, type(None), datetime.date, decimal.Decimal, uuid.UUID)


def query_signature(query):
    """What decides the rows of a simple query (``share_choices``' key), without compiling it
    into SQL: its model, tables and joins, conditions, order and slice. None for a query it
    cannot vouch for (an annotation, a subquery, an expression...): the SQL decides then.

    Compiling the SQL of every model select of a page (the row of each formset has its own
    copy) cost an action form about a quarter of its time; two rows' copies of one field
    have the same signature.
    """
    if (
        query.annotations
        or query.extra
        or query.combinator
        or query.select
        or query.values_select
        or query.extra_order_by
        or query.group_by is not None
        or query.distinct_fields
        or not all(isinstance(name, str) for name in query.order_by)
    ):
        return None
    tables = []
    for alias, table in query.alias_map.items():
        if getattr(table, "filtered_relation", None) is not None:
            return None
        tables.append(
            (
                alias,
                table.table_name,
                getattr(table, "parent_alias", None),
                getattr(table, "join_type", None),
                getattr(table, "join_field", None),
                query.alias_refcount.get(alias),
            )
        )
    where = _where_signature(query.where)
    if where is None:
        return None
    return (
        query.model,
        tuple(tables),
        where,
        tuple(query.order_by),
        query.default_ordering,
        query.standard_ordering,
        query.distinct,
        query.low_mark,
        query.high_mark,
        repr(query.select_related),
    )


def _where_signature(node):
    """The conditions of a where node made only of lookups of a column against plain
    values, as a tuple; None for anything else."""
    if isinstance(node, WhereNode):
        children = []
        for child in node.children:
            signature = _where_signature(child)
            if signature is None:
                return None
            children.append(signature)
        return (type(node), node.connector, node.negated, tuple(children))
    if not isinstance(node, Lookup) or type(node.lhs) is not Col:
        return None
    value = node.rhs
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(item) for item in value]
        if not all(type(item) in _PLAIN for item in items):
            return None
        value = (type(node.rhs), tuple(sorted(items, key=repr)))
    else:
        value = _plain(value)
        if type(value) not in _PLAIN:
            return None
    return (type(node), node.lhs.alias, node.lhs.target, value)


def _plain(value):
    """A choice of a model's choices (``PartyStatus.ACCEPTED``) as its plain value."""
    return value.value if isinstance(value, enum.Enum) else value


# The name of the "add a row" buttons of the formsets; their value is the formset's prefix.
ADD_ROW = "add_row"


class FormsetsMixin:
    """Save the main form and its inline formsets together, all or nothing.

    Editing an existing record, the form and the rows carry their versions: a save over a
    newer version is refused (``conflict_response``).
    """

    formset_classes: dict = {}
    success_message = ""
    merge = None  # after a refused save: what the re-displayed forms show (concurrency.Merge)

    def get_formset_kwargs(self, name):
        return {}

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        concurrency.add_version_field(form)
        return form

    def get_formsets(self, instance, data=None):
        bound = self.request.method == "POST" and self.merge is None
        formsets = {}
        for name, formset_class in self.formset_classes.items():
            kwargs = self.get_formset_kwargs(name)
            extra_rows = self.merge.row_extra.get(name) if self.merge else None
            if extra_rows:
                kwargs["initial"] = extra_rows
            formset = concurrency.versioned_formset(formset_class)(
                (self.request.POST if data is None else data) if bound else None,
                self.request.FILES if bound else None,
                instance=instance,
                prefix=name,
                **kwargs,
            )
            if self.merge is not None:
                formset.row_initial = self.merge.row_initial.get(name, {})
                if extra_rows:
                    formset.extra = max(formset.extra, len(extra_rows) + 1)
            formsets[name] = formset
        return formsets

    def post(self, request, *args, **kwargs):
        prefix = request.POST.get(ADD_ROW)
        if prefix is None:
            return super().post(request, *args, **kwargs)
        return self.redraw_with_a_row(prefix)

    def redraw_with_a_row(self, prefix):
        """The page again with what was typed and one more blank row: nothing is saved.

        The "add a row" button of a page drawn without JavaScript (with it, the row is
        added in the page). Nothing is checked either: no error is shown for a form that is
        still being filled in.
        """
        self.object = self.get_object() if isinstance(self, BaseUpdateView) else None
        form = self.get_form()
        data = self.request.POST.copy()
        total_key = f"{prefix}-TOTAL_FORMS"
        formset_class = self.formset_classes.get(prefix)
        if formset_class is None or not data.get(total_key, "").isdigit():
            raise BadRequest("unknown formset in the add-a-row button")
        total = int(data[total_key])
        if total < formset_class.max_num:
            data[total_key] = str(total + 1)
            # The new row shows its fields' initial values, as the blank row of a new page.
            blank = formset_class(
                instance=form.instance, prefix=prefix, **self.get_formset_kwargs(prefix)
            ).empty_form
            for name, field in blank.fields.items():
                value = blank[name].value()
                if value not in (None, "") and not field.widget.is_hidden:
                    key = f"{prefix}-{total}-{name}"
                    data.setlist(
                        key, [str(v) for v in value] if isinstance(value, list) else [str(value)]
                    )
        else:
            messages.warning(self.request, _("This list is at its maximum number of rows."))
        formsets = self.get_formsets(form.instance, data=data)
        for unchecked in [form, *(f for formset in formsets.values() for f in formset)]:
            unchecked._errors = ErrorDict()
        for formset in formsets.values():
            formset._errors = [f._errors for f in formset.forms]
            formset._non_form_errors = formset.error_class()
        return self.render_to_response(self.get_context_data(form=form, formsets=formsets))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "formsets" not in kwargs:
            context["formsets"] = self.get_formsets(self.object or self.model())
        context["formset_sections"] = [
            (formset, formset.model._meta.verbose_name_plural)
            for formset in context["formsets"].values()
        ]
        for formset in context["formsets"].values():
            # The blank row the page's script copies (``empty_form`` is a new form each time).
            formset.row_template = formset.empty_form
        share_choices(
            [
                *([context["form"]] if context.get("form") is not None else []),
                *(
                    form
                    for formset in context["formsets"].values()
                    for form in [*formset, formset.row_template]
                ),
            ]
        )
        context["formsets_have_errors"] = any(
            formset.is_bound and formset.total_error_count()
            for formset in context["formsets"].values()
        )
        return context

    def form_valid(self, form):
        instance = form.save(commit=False)
        formsets = self.get_formsets(instance)
        unsaved = [
            obj
            for obj in [form.instance, *(f.instance for fs in formsets.values() for f in fs)]
            if obj.pk is None
        ]
        try:
            with transaction.atomic():
                # The versions first, on locked rows: a row deleted meanwhile is a conflict
                # to explain, not a formset error.
                conflict = concurrency.check_versions(form, formsets)
                if conflict is not None:
                    raise conflict
                if not all(formset.is_valid() for formset in formsets.values()):
                    return self.render_to_response(
                        self.get_context_data(form=form, formsets=formsets)
                    )
                self.object = self.save_form(form)
                for formset in formsets.values():
                    formset.instance = self.object
                    formset.save()
                self.after_save(form, formsets)
        except concurrency.Conflict as conflict:
            return self.conflict_response(form, formsets, conflict)
        except ValidationError as error:
            # The transaction was rolled back: what it created does not exist any more.
            for obj in unsaved:
                obj.pk = None
                obj._state.adding = True
            if form.instance.pk is None:
                self.object = None
            form.add_error(None, error)
            return self.render_to_response(self.get_context_data(form=form, formsets=formsets))
        if self.success_message:
            messages.success(self.request, self.success_message % {"object": self.object})
        return HttpResponseRedirect(self.get_success_url())

    def conflict_response(self, form, formsets, conflict):
        """Someone saved the record (or some of its rows) since this form was loaded.

        Nothing is saved. The page comes back with the record as it is now, what the person
        typed merged into it, the others' changes and the fields both changed.
        """
        if conflict.deleted:
            form.add_error(None, _("Someone else deleted this record while you were editing it."))
            return self.render_to_response(self.get_context_data(form=form, formsets=formsets))
        current = self.get_object()
        self.merge = concurrency.Merge.build(form, formsets, current, conflict)
        self.object = current
        kwargs = self.get_form_kwargs()
        kwargs.pop("data", None)
        kwargs.pop("files", None)
        kwargs["instance"] = current
        kwargs["initial"] = {**kwargs.get("initial", {}), **self.merge.form_initial}
        merged_form = self.get_form_class()(**kwargs)
        concurrency.add_version_field(merged_form)
        return self.render_to_response(
            self.get_context_data(
                form=merged_form, formsets=self.get_formsets(current), conflict=self.merge
            )
        )

    def save_form(self, form):
        instance = form.save(commit=False)
        instance._history_user = self.request.user
        instance.save()
        form.save_m2m()
        return instance

    def after_save(self, form, formsets):
        """Hook for what must happen in the same transaction."""

    def form_invalid(self, form):
        formsets = self.get_formsets(form.instance)
        for formset in formsets.values():
            formset.is_valid()  # show the formsets' errors too
        return self.render_to_response(self.get_context_data(form=form, formsets=formsets))


class StaffCreateView(FormsetsMixin, CreateView):
    """Create a record; under a parent (ParentMixin) the parent's permission is checked."""

    template_name_suffix = "_form"

    def dispatch(self, request, *args, **kwargs):
        if not isinstance(self, ParentMixin):
            check_permission(request.user, permission_name(self.model, "add"))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["opts"] = self.model._meta
        return context


class StaffUpdateView(ScopedMixin, FormsetsMixin, UpdateView):
    permission_action = "change"
    template_name_suffix = "_form"


def _with_named_records(model, pks):
    """The records ``pks`` of ``model`` with the records their names may mention (their
    foreign keys, and theirs) read in the same query, not one query per record."""
    related = []
    for field in model._meta.concrete_fields:
        if field.many_to_one:
            related.append(field.name)
            related.extend(
                f"{field.name}__{inner.name}"
                for inner in field.related_model._meta.concrete_fields
                if inner.many_to_one and inner.related_model is not model
            )
    return list(model._base_manager.filter(pk__in=pks).select_related(*related))


def describe_records(objects, per_kind=5) -> str:
    """Records by kind, counted and named: "2 programmes (2025, 2026), 1 convention (…)"."""
    pks = {}
    for obj in objects:
        pks.setdefault(obj._meta.model, []).append(obj.pk)
    return describe_keys(pks, per_kind)


NAMED_KINDS = 5  # kinds of records named in a description; the others are counted


def _has_page(model):
    return hasattr(model, "get_absolute_url")


def describe_keys(pks, per_kind=5) -> str:
    """``describe_records`` for ``{model: primary keys}``. The records that have a page of
    their own (an action, a person, an organisation: what one opens to settle it) are named,
    up to ``NAMED_KINDS`` kinds, one query each; the others (an organisation's rows in an
    agreement's parties, in an action's resources...) are counted: their names would only
    repeat the record's."""
    named_models = sorted((model for model in pks if _has_page(model)), key=lambda m: -len(pks[m]))
    named_models = named_models[:NAMED_KINDS]
    named = [record for model in named_models for record in _with_named_records(model, pks[model])]
    kinds = {}
    for obj in sorted(named, key=str):
        kinds.setdefault(obj._meta.model, []).append(obj)
    parts = []
    for model, records in kinds.items():
        meta = model._meta
        kind = meta.verbose_name if len(records) == 1 else meta.verbose_name_plural
        names = ", ".join(_("“%(record)s”") % {"record": record} for record in records[:per_kind])
        more = "…" if len(records) > per_kind else ""
        parts.append(f"{len(records)} {kind} ({names}{more})")
    for model, keys in sorted(pks.items(), key=lambda item: str(item[0]._meta.verbose_name)):
        if model not in kinds:
            meta = model._meta
            number = len(set(keys))
            parts.append(
                f"{number} {meta.verbose_name if number == 1 else meta.verbose_name_plural}"
            )
    return _("; ").join(parts)


def deletion_plan(obj):
    """What deleting a record would do: the records that refuse it (PROTECT, RESTRICT),
    described, or the kinds and numbers of records deleted with it."""
    refusing, deleted = deletion.deletion_plan(obj)
    if refusing:
        return describe_keys(refusing), []
    counts = {
        str(model._meta.verbose_name_plural).capitalize(): number
        for model, number in deleted.items()
    }
    return "", sorted(counts.items())


class StaffDeleteView(ScopedMixin, DeleteView):
    """Delete after confirmation. The confirmation page says what goes with the record, or
    which records refuse its deletion (a record others depend on is never orphaned); each
    deletion is recorded in the history, where an administrator can restore it."""

    permission_action = "delete"
    template_name = "includes/confirm_delete.html"
    success_url_name = None
    protected_message = ""

    def get_success_url(self):
        return reverse(self.success_url_name)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        blockers, deleted_with = deletion_plan(self.object)
        context.update(
            blockers=blockers,
            deleted_with=deleted_with,
            protected_message=self.protected_message,
        )
        return context

    def refusal(self, label, error):
        intro = self.protected_message or _(
            "“%(object)s” cannot be deleted: other records depend on it."
        ) % {"object": label}
        blockers = describe_records(
            getattr(error, "protected_objects", None) or getattr(error, "restricted_objects", ())
        )
        depending = _("Depending on it: %(records)s.") % {"records": blockers}
        return f"{intro} {depending}"

    def form_valid(self, form):
        label = str(self.object)
        try:
            with transaction.atomic():
                history.delete_with_history(self.object, self.request.user)
        except (ProtectedError, RestrictedError) as error:
            messages.error(self.request, self.refusal(label, error))
            return HttpResponseRedirect(self.object.get_absolute_url())
        messages.success(self.request, _("“%(object)s” was deleted.") % {"object": label})
        return HttpResponseRedirect(self.get_success_url())


class TransitionView(ScopedMixin, FormView):
    """Confirm, then run one lifecycle transition through its service.

    GET shows a confirmation page (with the form of what the transition needs, if any);
    POST runs it. A refused transition comes back with its reason.
    """

    permission_action = "change"
    template_name = "includes/confirm_transition.html"
    transitions: dict = {}  # name -> callable(view, obj, cleaned_data) running the service
    forms: dict = {}  # name -> form class for transitions that need input

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        self.transition_name = kwargs["transition"]
        if self.transition_name not in self.transitions:
            from django.http import Http404

            raise Http404
        self.transition = self.model.lifecycle[self.transition_name]
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        obj = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        check_permission(
            self.request.user, permission_name(self.model, self.permission_action), obj
        )
        return obj

    def get_form_class(self):
        from django import forms

        return self.forms.get(self.transition_name, forms.Form)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        form_class = self.get_form_class()
        if getattr(form_class, "needs_object", False):
            kwargs["obj"] = self.object
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            object=self.object,
            transition=self.transition,
            allowed=self.object.status in self.transition.sources,
        )
        return context

    def form_valid(self, form):
        try:
            self.transitions[self.transition_name](self, self.object, form.cleaned_data)
        except TransitionError as error:
            messages.error(self.request, " ".join(error.messages))
            return HttpResponseRedirect(self.object.get_absolute_url())
        messages.success(
            self.request,
            _("Done: %(action)s.") % {"action": self.transition.label},
        )
        return HttpResponseRedirect(self.object.get_absolute_url())
