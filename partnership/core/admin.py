"""What the admin pages of the three apps share.

- ``OneLineAdminMixin``: one-line text fields refuse line breaks, as on the staff pages.
- ``HistoryAdmin``: the base of every model admin (change history from django-simple-history,
  author stamped on records created through inlines). Its change form carries the version
  of the record, and each inline row the version of the row: saving over a newer version
  is refused with the other person's changes (partnership.core.concurrency), where Django's
  admin would overwrite them.
- ``transition_action``: a lifecycle service offered as an admin action, on the change list
  and on the change page; each selected record goes through the service on its own, and the
  page says which ones moved and why the others were refused.
- ``lifecycle_action``: the same, labelled with the transition's label in the model's
  lifecycle.
- ``ReasonActionForm``: the action bar with a "reason" box, for the transitions that need one
  (terminate, stop, reopen).
- ``SharedLabelsMixin`` (in ``HistoryAdmin`` and ``Inline``, the base of every inline): the
  chosen records of an autocomplete field are read in one query for the whole page, not one
  per row: a change page costs the same queries with 3 rows or 300.
- ``back_office_only``: who enters the back office: an active account marked ``is_staff`` that
  the rule module lets in by the permission name ``BACK_OFFICE`` (``is_staff`` alone opens
  nothing). The "Back office" link of the pages asks the same function.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import router
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from partnership.core import concurrency, reasons
from partnership.core.forms import OneLineMixin, one_line_form

# The permission that opens the back office and every model admin in it (partnership.rules).
BACK_OFFICE = "partnership.use_back_office"


def back_office_only(request):
    """``AdminSite.has_permission``: an active staff account the rule module lets in."""
    return request.user.is_active and request.user.is_staff and request.user.has_perm(BACK_OFFICE)


ON_LIST_AND_PAGE = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]

# Fields that name the person who created a record; filled in with the administrator.
AUTHOR_FIELDS = ("uploaded_by", "recorded_by")


def stamp_author(obj, user):
    for name in AUTHOR_FIELDS:
        if hasattr(obj, f"{name}_id") and getattr(obj, f"{name}_id") is None:
            setattr(obj, name, user)
    obj._history_user = user


class OneLineAdminMixin:
    """The admin's forms and inline rows refuse line breaks in one-line text fields, as the
    staff pages' forms do (``partnership.core.forms.OneLineMixin``)."""

    def get_form(self, request, *args, **kwargs):
        return one_line_form(super().get_form(request, *args, **kwargs))

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            formset.form = one_line_form(formset.form)
            yield formset, inline


# Autocomplete fields read for the whole page at once ---------------------------------------


class _SharedLabels:
    """The labels of the records chosen in one autocomplete field on every row of a page:
    those the rows were read with (``select_related``) as they are, the others (a form sent
    back with other choices, a many-to-many field) read in one query the first time a row
    draws its field."""

    def __init__(self, field, known, missing):
        self.field, self._labels, self.missing = field, known, missing

    def get(self, widget):
        if self.missing:
            to_field = widget.to_field_attname()
            for obj in self.field.queryset.using(widget.db).filter(
                **{f"{to_field}__in": self.missing}
            ):
                value = getattr(obj, to_field)
                self._labels[str(value)] = (value, self.field.label_from_instance(obj))
            self.missing = set()
        return self._labels


class SharedLabelsWidgetMixin:
    """An autocomplete widget that takes its chosen records' labels from ``shared`` (set
    by the formset or the form on every row's copy of the widget) instead of asking the
    database for its own."""

    shared = None

    def to_field_attname(self):
        remote = self.field.remote_field.model._meta
        name = getattr(self.field.remote_field, "field_name", remote.pk.attname)
        return remote.get_field(name).attname

    def optgroups(self, name, value, attr=None):
        if self.shared is None:
            return super().optgroups(name, value, attr)
        default = (None, [], 0)
        selected = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        if not self.is_required and not self.allow_multiple_selected:
            default[1].append(self.create_option(name, "", "", False, 0))
        labels = self.shared.get(self)
        for key in sorted(selected & labels.keys(), key=lambda key: labels[key][1]):
            option_value, option_label = labels[key]
            default[1].append(
                self.create_option(name, option_value, option_label, selected, len(default[1]))
            )
        return [default]


class SharedAutocompleteSelect(SharedLabelsWidgetMixin, AutocompleteSelect):
    pass


class SharedAutocompleteSelectMultiple(SharedLabelsWidgetMixin, AutocompleteSelectMultiple):
    pass


def _loaded_choice(form, name, widget):
    """The record chosen in the foreign key ``name`` of the form's instance, when the form
    shows it as it is and it was read with the instance (None otherwise)."""
    instance = getattr(form, "instance", None)
    if instance is None or widget.allow_multiple_selected or form.is_bound:
        return None
    field = instance._meta.get_field(name)
    if not field.is_cached(instance):
        return None
    return getattr(instance, name)


def share_labels(forms):
    """Give every autocomplete widget of ``forms`` (the rows of one formset, or one form)
    the labels of all the rows' chosen records, taken from the rows or read once."""
    if not forms:
        return
    for name, field in forms[0].fields.items():
        widget = getattr(field.widget, "widget", field.widget)  # inside the "+" wrapper
        if not isinstance(widget, SharedLabelsWidgetMixin):
            continue
        to_field = widget.to_field_attname()
        known, missing = {}, set()
        for form in forms:
            chosen = _loaded_choice(form, name, widget)
            if chosen is not None:
                value = getattr(chosen, to_field)
                known[str(value)] = (value, field.label_from_instance(chosen))
                continue
            value = form[name].value()
            for item in value if isinstance(value, (list, tuple)) else [value]:
                if item not in field.empty_values:
                    missing.add(str(getattr(item, to_field, item)))
        shared = _SharedLabels(field, known, missing - known.keys())
        for form in forms:
            row_field = form.fields[name]
            getattr(row_field.widget, "widget", row_field.widget).shared = shared


def _foreign_keys(model, but=None):
    return [
        field.name
        for field in model._meta.concrete_fields
        if field.many_to_one and field.name != but
    ]


def shared_labels_formset(formset):
    class SharedLabelsFormSet(formset):
        @cached_property
        def forms(self):
            forms = super().forms
            share_labels(forms)
            return forms

    SharedLabelsFormSet.__name__ = formset.__name__
    return SharedLabelsFormSet


class SharedLabelsMixin:
    """Autocomplete fields drawn with the shared widgets above (model admins and inlines)."""

    def _shared_widget(self, widget_class, db_field, request, kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            using = kwargs.get("using") or router.db_for_read(db_field.remote_field.model)
            kwargs["widget"] = widget_class(db_field, self.admin_site, using=using)
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = self._shared_widget(SharedAutocompleteSelect, db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs = self._shared_widget(SharedAutocompleteSelectMultiple, db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class RowsMixin(SharedLabelsMixin):
    """Each row's records named in its title (``str(row)``: the organisation of a party, the
    person of a participant) are read with the rows, not one query per row."""

    def get_queryset(self, request):
        related = _foreign_keys(self.model, but=getattr(self, "fk_name", None))
        return super().get_queryset(request).select_related(*related)


class Inline(RowsMixin, admin.TabularInline):
    """The base of every inline: a page costs the same queries with 3 rows or 300."""


class StackedInline(RowsMixin, admin.StackedInline):
    """``Inline``, one row under the other."""


class HistoryAdmin(SharedLabelsMixin, OneLineAdminMixin, SimpleHistoryAdmin):
    """Every model admin: history page, authors recorded, fifty rows a page.

    The back office is for administrators: partnership.rules decides who is one, as it
    decides everything else.
    """

    list_per_page = 50

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form = concurrency.versioned_admin_form(self.form)

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The version is a field of the form, not of the model form's fields.
        if kwargs.get("fields", ()) is not None:
            fields = kwargs.get("fields") or flatten_fieldsets(self.get_fieldsets(request, obj))
            kwargs["fields"] = [name for name in fields if name != concurrency.VERSION_FIELD]
        form = super().get_form(request, obj, change, **kwargs)

        class SharedLabelsForm(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                share_labels([self])

        SharedLabelsForm.__name__ = form.__name__
        return SharedLabelsForm

    def set_history_delta_changes(self, request, historical_records, *args, **kwargs):
        super().set_history_delta_changes(request, historical_records, *args, **kwargs)
        # simple-history's page shows the stored reason as it is: a code and its parameters
        # (partnership.core.reasons), worded here in the reader's language for the page.
        for record in historical_records:
            record.history_change_reason = reasons.word(record.history_change_reason, record)

    def get_object(self, request, object_id, from_field=None):
        """The record of the change page, with the records its foreign keys name (their
        labels on the page, without a query each)."""
        queryset = self.get_queryset(request).select_related(*_foreign_keys(self.model))
        model = queryset.model
        field = model._meta.pk if from_field is None else model._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (model.DoesNotExist, ValidationError, ValueError):
            return None

    def get_fieldsets(self, request, obj=None):
        """The change form's first fieldset ends with the version (hidden); an add form has
        no version."""
        version = concurrency.VERSION_FIELD
        fieldsets = [
            (name, {**options, "fields": [f for f in options["fields"] if f != version]})
            for name, options in super().get_fieldsets(request, obj)
        ]
        if obj is not None:
            (name, options), *others = fieldsets
            fieldsets = [(name, {**options, "fields": [*options["fields"], version]}), *others]
        return fieldsets

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            yield shared_labels_formset(concurrency.versioned_formset(formset)), inline

    def has_module_permission(self, request):
        return request.user.has_perm(BACK_OFFICE)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(BACK_OFFICE)

    def has_add_permission(self, request, *args):
        return request.user.has_perm(BACK_OFFICE)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(BACK_OFFICE)

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(BACK_OFFICE)

    def get_ordering(self, request):
        # Explicit, because a queryset with counts annotated (GROUP BY) drops Meta.ordering,
        # and the autocomplete views paginate it.
        return self.ordering or self.model._meta.ordering

    def save_model(self, request, obj, form, change):
        if not change:
            stamp_author(obj, request.user)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj._history_user = request.user
            obj.delete()
        for obj in instances:
            stamp_author(obj, request.user)
            obj.save()
        formset.save_m2m()


class ReasonActionForm(OneLineMixin, ActionForm):
    reason = forms.CharField(
        label=_("Reason (terminate, stop, reopen):"),
        required=False,
        max_length=1000,
    )


def action_inputs(modeladmin, request, names):
    """The extra fields of the action bar, read from the list or from the change page."""
    if not names:
        return {}
    on_page = f"{ActionLocation.CHANGE_FORM.value}-action" in request.POST
    form = modeladmin.action_form(
        request.POST, prefix=ActionLocation.CHANGE_FORM.value if on_page else None
    )
    # The admin has validated the whole action form before calling the action.
    return {name: form.fields[name].clean(form[name].data) for name in names}


def transition_action(name, label, service, *, inputs=()):
    """An admin action running ``service(record, user, **inputs)`` on each selected record.

    ``inputs`` names fields of the admin's ``action_form`` passed on to the service.
    A refusal (a ``TransitionError`` or any ``ValidationError``) is reported with its message
    and does not stop the other records.
    """

    def run(modeladmin, request, queryset):
        values = action_inputs(modeladmin, request, inputs)
        done = []
        for obj in queryset:
            try:
                service(obj, request.user, **values)
            except ValidationError as error:
                modeladmin.message_user(
                    request,
                    gettext("%(record)s: %(reason)s")
                    % {"record": obj, "reason": " ".join(error.messages)},
                    messages.ERROR,
                )
            else:
                done.append(str(obj))
        if done:
            modeladmin.message_user(
                request,
                gettext("“%(action)s” done: %(records)s.")
                % {"action": capfirst(label), "records": ", ".join(done)},
                messages.SUCCESS,
            )

    run.__name__ = name
    run.__qualname__ = name
    return admin.action(
        run, description=capfirst(label), permissions=["change"], location=ON_LIST_AND_PAGE
    )


def lifecycle_action(model, name, service, *, inputs=()):
    """``transition_action`` labelled with the transition's own label in the model's lifecycle."""
    return transition_action(name, model.lifecycle[name].label, service, inputs=inputs)
