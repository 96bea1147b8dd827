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
- ``back_office_only``: who enters the back office: an active account marked ``is_staff`` that
  the rule module lets in by the permission name ``BACK_OFFICE`` (``is_staff`` alone opens
  nothing). The "Back office" link of the pages asks the same function.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from partnership.core import concurrency
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


class HistoryAdmin(OneLineAdminMixin, SimpleHistoryAdmin):
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
        return super().get_form(request, obj, change, **kwargs)

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
            yield concurrency.versioned_formset(formset), inline

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
