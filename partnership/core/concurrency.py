"""Two people editing the same record: the second save is refused, nothing is lost.

Every record has a ``version`` (partnership.core.fields.VersionField) raised at each save.
An edit form carries, in a hidden field, the version of the record it was loaded from, and
each row of its inline formsets the version of that row. Saving checks them, inside the
transaction that saves, on rows locked until it ends (``locked_versions``): two saves
started from the same version cannot both pass.

When a version is out of date, nothing is saved and the person gets their form back:

- on the staff pages (partnership.core.crud), ``Merge`` compares, field by field, the version
  they loaded (from the history), what the others saved since, and what they typed. The
  form shows what they typed merged with the others' changes to the fields they did not
  touch; each field both changed is listed with both values, with who changed it and
  when; rows added, changed or deleted meanwhile are listed the same way. The form now
  carries the current versions: saving it again saves the merge.
- in the admin (partnership.core.admin.HistoryAdmin), the same comparison is reported as
  the form's error; the form keeps what was typed, takes the others' changes to the fields
  not touched, and carries the current version.
"""

import functools
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections, models, router
from django.db.models import QuerySet
from django.forms.widgets import ChoiceWidget
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from partnership.core import history
from partnership.core.fields import VersionField

VERSION_FIELD = "version"
MISSING = object()


def is_versioned(model) -> bool:
    try:
        return isinstance(model._meta.get_field(VERSION_FIELD), VersionField)
    except FieldDoesNotExist:
        return False


def _existing(instance) -> bool:
    return instance is not None and instance.pk is not None and not instance._state.adding


def version_field(widget=forms.HiddenInput):
    return forms.IntegerField(required=False, min_value=0, widget=widget)


def add_version_field(form):
    """The hidden field with the version of the record the form was loaded from.

    A form that edits no field of the record (only its rows, in formsets) has none: the
    rows carry their own versions.
    """
    instance = getattr(form, "instance", None)
    if not _existing(instance) or not is_versioned(type(instance)):
        return
    if not getattr(getattr(form, "_meta", None), "fields", True):
        return
    if VERSION_FIELD not in form.fields:
        form.fields[VERSION_FIELD] = version_field()
    form.fields[VERSION_FIELD].initial = current_version_of(instance)


def current_version_of(instance):
    """The version an edit form starts from. A form filled from an old version (the admin's
    "revert") starts from the record's current version, not from the old one."""
    if getattr(instance, "_history", None) is not None:
        return (
            type(instance)
            ._base_manager.filter(pk=instance.pk)
            .values_list(VERSION_FIELD, flat=True)
            .first()
        )
    return instance.version


def locked_versions(model, pks) -> dict:
    """{pk: current version} of the records, locked until the end of the transaction."""
    pks = [pk for pk in pks if pk is not None]
    if not pks:
        return {}
    queryset = model._base_manager.filter(pk__in=pks)
    if connections[router.db_for_write(model)].in_atomic_block:
        queryset = queryset.select_for_update()
    return dict(queryset.values_list("pk", VERSION_FIELD))


def submitted_version(form):
    """The version the bound form says it was loaded from (None when missing or garbled)."""
    if form.is_bound:
        try:
            return int(form.data.get(form.add_prefix(VERSION_FIELD), ""))
        except (TypeError, ValueError):
            return None
    return form.initial.get(VERSION_FIELD, form.fields[VERSION_FIELD].initial)


# Formset rows --------------------------------------------------------------------------


class _Unrendered(forms.HiddenInput):
    """A row's version is written next to the row's key (see ``RowKeyInput``)."""

    def render(self, name, value, attrs=None, renderer=None):
        return ""


class RowKeyInput(forms.HiddenInput):
    """The hidden key of a formset row followed by the row's version.

    The key is written by every formset template, the admin's included; so the version
    goes wherever the row goes.
    """

    def __init__(self, form, attrs=None):
        super().__init__(attrs)
        self.form = form

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.form = self.form
        return copy

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        if VERSION_FIELD not in self.form.fields:
            return html
        bound = self.form[VERSION_FIELD]
        version = forms.HiddenInput().render(
            bound.html_name, bound.value(), {"id": bound.auto_id}, renderer
        )
        return html + version


class VersionedFormSetMixin:
    """Rows carry their version; a row changed or deleted meanwhile is refused.

    ``row_initial`` ({pk: {field: value}}) overrides the values shown in the rows of an
    unbound formset: the rows as the person had typed them, after a refused save.
    """

    row_initial: dict = {}
    versions_checked = False  # set once the rows' versions were checked before validation

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if not _existing(form.instance) or not is_versioned(self.model):
            return
        form.fields[VERSION_FIELD] = version_field(widget=_Unrendered)
        form.fields[VERSION_FIELD].initial = form.instance.version
        key = form.fields.get(self.model._meta.pk.name)
        if key is not None:
            key.widget = RowKeyInput(form)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if (
            self.row_initial
            and not self.is_bound
            and index is not None
            and index < self.initial_form_count()
        ):
            overrides = self.row_initial.get(self.get_queryset()[index].pk)
            if overrides:
                kwargs["initial"] = {**kwargs.get("initial", {}), **overrides}
        return kwargs

    def submitted_rows(self) -> dict:
        """{pk: version} of the existing rows the bound formset sent back."""
        rows = {}
        if not self.is_bound:
            return rows
        pk_name = self.model._meta.pk.name
        try:
            # Bounded by the formset's own maximum: a tampered INITIAL_FORMS costs nothing.
            count = min(self.initial_form_count(), self.total_form_count())
        except ValidationError:  # a garbled management form: the formset refuses it
            return rows
        for index in range(count):
            prefix = self.add_prefix(index)
            try:
                pk = int(self.data.get(f"{prefix}-{pk_name}", ""))
            except (TypeError, ValueError):
                continue
            try:
                rows[pk] = int(self.data.get(f"{prefix}-{VERSION_FIELD}", ""))
            except (TypeError, ValueError):
                rows[pk] = None
        return rows

    def stale_rows(self) -> set:
        """The rows sent back that someone else changed or deleted since the page was loaded."""
        if not is_versioned(self.model):
            return set()
        rows = self.submitted_rows()
        current = locked_versions(self.model, rows)
        return {pk for pk, version in rows.items() if current.get(pk) != version}

    def clean(self):
        super().clean()
        if self.versions_checked:
            return
        stale = self.stale_rows()
        if stale:
            # The admin's path (the staff pages check before validating): the rows get
            # their current versions and the others' changes to the fields left as they
            # were; the error says what changed.
            merge = RowsMerge(self, self.instance, stale)
            merge.rewrite_data()
            raise ValidationError(merge.messages())


@functools.cache
def versioned_formset(formset_class):
    """The formset class whose rows carry their version (the class itself if they do)."""
    if issubclass(formset_class, VersionedFormSetMixin):
        return formset_class
    return type(formset_class.__name__, (VersionedFormSetMixin, formset_class), {})


# Conflicts -----------------------------------------------------------------------------


class Conflict(Exception):
    """The record or some of its rows changed since the form was loaded."""

    def __init__(self, *, current_version, submitted_version, stale_rows):
        super().__init__("conflict")
        self.current_version = current_version
        self.submitted_version = submitted_version
        self.stale_rows = stale_rows  # {formset name: {pk, ...}}

    @property
    def deleted(self):
        return self.current_version is None


def check_versions(form, formsets: dict) -> Conflict | None:
    """Compare the versions sent back with the current ones, locking the rows compared.

    Call it inside the transaction that saves: until it ends, nobody else saves them.
    """
    instance = form.instance
    if not _existing(instance):
        return None
    submitted = current = None
    checked = VERSION_FIELD in form.fields
    if checked:
        submitted = submitted_version(form)
        current = locked_versions(type(instance), [instance.pk]).get(instance.pk)
    stale_rows = {}
    for name, formset in formsets.items():
        if isinstance(formset, VersionedFormSetMixin):
            stale = formset.stale_rows()
            formset.versions_checked = True
            if stale:
                stale_rows[name] = stale
    if not checked:
        if not stale_rows:
            return None
        current = submitted = instance.version  # only rows changed: the record is as loaded
    elif current == submitted and current is not None and not stale_rows:
        instance.version = current
        return None
    return Conflict(current_version=current, submitted_version=submitted, stale_rows=stale_rows)


def comparable(value):
    """A value of a form or of a record, in a form that compares across the two."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, QuerySet | list | tuple | set | frozenset):
        return frozenset(comparable(item) for item in value)
    if value == "":
        return None
    return value


def _shown(field, value) -> str:
    """A value typed in a form or read from a record, as a person reads it."""
    if isinstance(value, QuerySet | list | tuple | set | frozenset):
        names = sorted(history.display(field, item) for item in value)
        return ", ".join(names) if names else history.EMPTY
    return history.display(field, value)


def _record_value(instance, model_field):
    if model_field.many_to_many:
        return list(getattr(instance, model_field.name).all())
    if model_field.many_to_one:
        try:
            return getattr(instance, model_field.name)
        except model_field.related_model.DoesNotExist:
            return None
    return getattr(instance, model_field.attname)


def _base_value(record, model_field, m2m):
    if record is None:
        return MISSING
    if model_field.many_to_many:
        return frozenset(history.base_m2m(record, model_field, m2m))
    return getattr(record, model_field.attname)


def _author(record):
    user = record.history_user if record is not None else None
    if user is None:
        return _("the system")
    return user.get_full_name() or user.get_username()


def _when(record):
    return formats.date_format(timezone.localtime(record.history_date), "SHORT_DATETIME_FORMAT")


def _typed_values(form) -> dict:
    """What the person typed in each field: cleaned when valid, as sent otherwise."""
    values = {}
    cleaned = getattr(form, "cleaned_data", {})
    for name, bound in ((name, form[name]) for name in form.fields):
        if name == VERSION_FIELD:
            continue
        if name in cleaned:
            values[name] = cleaned[name]
        elif form.is_bound:
            values[name] = bound.data
    return values


@dataclass
class FieldConflict:
    label: str
    mine: str
    theirs: str
    author: str = ""
    when: str = ""
    row: str = ""


@dataclass
class RowNote:
    """A row someone else added, changed or deleted since the page was loaded."""

    section: str
    label: str
    kind: str  # "added", "changed", "deleted", "deleted_kept"
    author: str
    when: str
    changes: list = field(default_factory=list)


def merge_fields(form, values, current, base, m2m, entries=()):
    """Three-way merge of one form's fields.

    Returns (the values to show in the form instead of the current ones, the conflicts).
    ``values``: what the person typed; ``current``: the record now; ``base``: its historical
    record at the version they loaded (None if unknown: then every difference conflicts).
    """
    model = type(current)
    keep, conflicts = {}, []
    for name, mine in values.items():
        model_field = history.model_field(model, name)
        form_field = form.fields.get(name)
        if form_field is not None and form_field.disabled:
            continue
        if model_field is None or not (model_field.concrete or model_field.many_to_many):
            keep[name] = mine
            continue
        if isinstance(model_field, models.FileField):
            continue  # a file input cannot be filled in again: the file is chosen anew
        theirs_value = _record_value(current, model_field)
        theirs, base_value = comparable(theirs_value), _base_value(base, model_field, m2m)
        mine_c = comparable(mine)
        base_c = base_value if base_value is MISSING else comparable(base_value)
        if base_c is not MISSING and mine_c == base_c:
            continue  # not touched: the others' value, if they changed it, is taken
        if mine_c == theirs:
            continue
        keep[name] = mine
        if base_c is MISSING or theirs != base_c:
            author, when = "", ""
            for entry in reversed(entries):
                if any(change["name"] == name for change in entry["changes"]):
                    author, when = _author(entry["record"]), _when(entry["record"])
                    break
            conflicts.append(
                FieldConflict(
                    label=capfirst(model_field.verbose_name),
                    mine=_shown(model_field, mine),
                    theirs=_shown(model_field, theirs_value),
                    author=author,
                    when=when,
                )
            )
    return keep, conflicts


def _deleting(form) -> bool:
    name = forms.formsets.DELETION_FIELD_NAME
    if name not in form.fields:
        return False
    cleaned = getattr(form, "cleaned_data", {})
    if name in cleaned:
        return bool(cleaned[name])
    return form.is_bound and bool(form[name].data)


class RowsMerge:
    """The rows of one inline formset: the person's against the current ones."""

    def __init__(self, formset, parent, stale):
        self.formset = formset
        self.parent = parent
        self.stale = set(stale)
        self.model = formset.model
        self.section = capfirst(self.model._meta.verbose_name_plural)
        self.row_initial = {}
        self.extra = []
        self.notes = []
        self.conflicts = []
        self._compute()

    def _current_rows(self):
        if self.parent is None or self.parent.pk is None:
            return {}
        fk = getattr(self.formset, "fk", None)
        queryset = self.model._default_manager.all()
        if fk is not None:
            queryset = queryset.filter(**{fk.name: self.parent})
        return {row.pk: row for row in queryset}

    def _histories(self, pks):
        by_pk = {}
        if not pks:
            return by_pk
        records = (
            history.history_queryset(self.model).filter(id__in=list(pks)).order_by("history_id")
        )
        for record in records:
            by_pk.setdefault(record.id, []).append(record)
        return by_pk

    @staticmethod
    def _base(records, version):
        candidates = [r for r in records if version is not None and r.version <= version]
        return candidates[-1] if candidates else None

    def _row_fields(self, form):
        skip = {VERSION_FIELD, self.model._meta.pk.name, forms.formsets.DELETION_FIELD_NAME}
        fk = getattr(self.formset, "fk", None)
        if fk is not None:
            skip.add(fk.name)
        return {name: value for name, value in _typed_values(form).items() if name not in skip}

    def _compute(self):
        formset = self.formset
        submitted = formset.submitted_rows()
        current = self._current_rows()
        added = set(current) - set(submitted)
        gone = set(submitted) - set(current)
        histories = self._histories(self.stale | added | gone)
        if formset.is_bound and formset._errors is None:
            formset.versions_checked = True
            formset.is_valid()  # every row's typed values, cleaned where they are valid
        initial_count = formset.initial_form_count() if formset.is_bound else 0
        for index, form in enumerate(formset.forms):
            deleting = _deleting(form)
            values = self._row_fields(form)
            if index >= initial_count:
                if form.has_changed() and not deleting:
                    self.extra.append(values)
                continue
            try:
                pk = int(form.data.get(form.add_prefix(self.model._meta.pk.name), ""))
            except (TypeError, ValueError):
                continue
            self._merge_row(form, pk, values, deleting, submitted.get(pk), current, histories)
        for pk in sorted(added):
            records = histories.get(pk, [])
            last = records[-1] if records else None
            self.notes.append(
                RowNote(
                    self.section,
                    str(current[pk]),
                    "added",
                    _author(last),
                    _when(last) if last else "",
                )
            )

    def _merge_row(self, form, pk, values, deleting, version, current, histories):
        records = histories.get(pk, [])
        base = self._base(records, version)
        last = records[-1] if records else None
        row = current.get(pk)
        if row is None:
            label = history.row_label(last) if last else str(pk)
            touched = base is None or any(
                comparable(value) != comparable(_base_value(base, f, {}))
                for name, value in values.items()
                if (f := history.model_field(self.model, name)) is not None and f.concrete
            )
            kind = "deleted"
            if touched and not deleting:
                self.extra.append(values)
                kind = "deleted_kept"
            self.notes.append(
                RowNote(self.section, label, kind, _author(last), _when(last) if last else "")
            )
            return
        if pk not in self.stale:
            keep = {
                name: value
                for name, value in values.items()
                if (f := history.model_field(self.model, name)) is None
                or not f.concrete
                or comparable(value) != comparable(_record_value(row, f))
            }
        else:
            _, entries, m2m = history.history_since(self.model, pk, version)
            keep, conflicts = merge_fields(form, values, row, base, m2m, entries)
            for conflict in conflicts:
                conflict.row = f"{self.section} : {row}"
            self.conflicts.extend(conflicts)
            changes = [change for entry in entries for change in entry["changes"]]
            self.notes.append(
                RowNote(
                    self.section,
                    str(row),
                    "changed",
                    _author(last),
                    _when(last) if last else "",
                    changes,
                )
            )
        if deleting:
            keep[forms.formsets.DELETION_FIELD_NAME] = True
        if keep:
            self.row_initial[pk] = keep

    def rewrite_data(self):
        """The admin's path: the bound rows get their current versions and the others'
        values in the fields the person left as they were."""
        formset = self.formset
        data = formset.data.copy()
        current = self._current_rows()
        for form in formset.forms[: formset.initial_form_count()]:
            try:
                pk = int(formset.data.get(form.add_prefix(self.model._meta.pk.name), ""))
            except (TypeError, ValueError):
                continue
            row = current.get(pk)
            if row is None:
                continue
            data[form.add_prefix(VERSION_FIELD)] = str(row.version)
            keep = self.row_initial.get(pk, {})
            for name in self._row_fields(form):
                model_field = history.model_field(self.model, name)
                if name in keep or model_field is None:
                    continue
                if model_field.concrete or model_field.many_to_many:
                    set_data(data, form, name, _record_value(row, model_field))
        formset.data = data
        for form in formset.forms:
            form.data = data

    def messages(self) -> list[str]:
        lines = [_("Someone else changed these rows while you were editing them:")]
        lines += [describe_note(note) for note in self.notes]
        lines += [describe_conflict(conflict) for conflict in self.conflicts]
        lines.append(_("Your input is kept; check the rows and save again to record your changes."))
        return lines


def describe_note(note: RowNote) -> str:
    texts = {
        "added": _("%(section)s: “%(row)s” was added by %(author)s on %(when)s."),
        "changed": _("%(section)s: “%(row)s” was changed by %(author)s on %(when)s."),
        "deleted": _("%(section)s: “%(row)s” was deleted by %(author)s on %(when)s."),
        "deleted_kept": _(
            "%(section)s: “%(row)s” was deleted by %(author)s on %(when)s; what you typed in "
            "it is kept as a new row."
        ),
    }
    text = texts[note.kind] % {
        "section": note.section,
        "row": note.label,
        "author": note.author,
        "when": note.when,
    }
    details = "; ".join(
        f"{capfirst(change['label'])} : {change['old']} → {change['new']}"
        for change in note.changes
    )
    return f"{text} {details}".strip()


def describe_conflict(conflict: FieldConflict) -> str:
    return _("%(field)s: their value “%(theirs)s”, yours “%(mine)s”.") % {
        "field": f"{conflict.row} – {conflict.label}" if conflict.row else conflict.label,
        "theirs": conflict.theirs,
        "mine": conflict.mine,
    }


@dataclass
class Merge:
    """What a refused save shows: the others' changes, the conflicts, the merged form."""

    record: models.Model
    entries: list  # the record's history entries since the loaded version, oldest first
    conflicts: list
    notes: list
    form_initial: dict
    row_initial: dict  # {formset name: {pk: {field: value}}}
    row_extra: dict  # {formset name: [{field: value}, ...]}
    deleted: bool = False

    @property
    def authors(self):
        names = [_author(entry["record"]) for entry in self.entries]
        names += [note.author for note in self.notes]
        return sorted(set(names))

    @classmethod
    def build(cls, form, formsets: dict, current, conflict: Conflict):
        model = type(current)
        base, entries, m2m = history.history_since(model, current.pk, conflict.submitted_version)
        form.is_valid()
        form_initial, conflicts = merge_fields(
            form, _typed_values(form), current, base, m2m, entries
        )
        notes, row_initial, row_extra = [], {}, {}
        for name, formset in formsets.items():
            if not isinstance(formset, VersionedFormSetMixin):
                continue
            rows = RowsMerge(formset, current, conflict.stale_rows.get(name, set()))
            notes += rows.notes
            conflicts += rows.conflicts
            row_initial[name] = rows.row_initial
            row_extra[name] = rows.extra
        return cls(
            record=current,
            entries=[entry for entry in entries if entry["record"].history_type != "+"],
            conflicts=conflicts,
            notes=notes,
            form_initial=form_initial,
            row_initial=row_initial,
            row_extra=row_extra,
        )


# The admin -----------------------------------------------------------------------------


def set_data(data, form, name, value):
    """Put a record's value in a form's submitted data, as its widget would send it."""
    bound = form[name]
    widget = bound.field.widget
    while not isinstance(widget, forms.MultiWidget) and hasattr(widget, "widget"):
        widget = widget.widget  # the admin's wrapper around the select of a foreign key
    if isinstance(widget, forms.SelectMultiple | forms.CheckboxSelectMultiple) or isinstance(
        value, QuerySet | list | tuple | set | frozenset
    ):
        data.setlist(bound.html_name, [str(comparable(item)) for item in value or ()])
    elif isinstance(widget, forms.MultiWidget):
        parts = widget.decompress(bound.field.prepare_value(value))
        for suffix, subwidget, part in zip(
            widget.widgets_names, widget.widgets, parts, strict=False
        ):
            formatted = None if part is None else subwidget.format_value(part)
            data[f"{bound.html_name}{suffix}"] = "" if formatted is None else str(formatted)
    elif isinstance(widget, forms.CheckboxInput):
        if value:
            data[bound.html_name] = "on"
        else:
            data.pop(bound.html_name, None)
    elif isinstance(widget, ChoiceWidget):
        key = comparable(value)
        data[bound.html_name] = "" if key is None else str(key)
    else:
        formatted = widget.format_value(bound.field.prepare_value(value))
        data[bound.html_name] = "" if formatted is None else str(formatted)


class AdminVersionFormMixin:
    """The admin's change form of a record: its version, checked when it is saved.

    The admin validates and saves in one transaction: the check locks the record until
    the save is done.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if VERSION_FIELD not in self.fields:
            return
        if _existing(self.instance):
            self.fields[VERSION_FIELD].initial = current_version_of(self.instance)
        else:
            del self.fields[VERSION_FIELD]  # a new record has no version to check

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if not _existing(instance) or VERSION_FIELD not in self.fields:
            return cleaned
        submitted = submitted_version(self)
        current_version = locked_versions(type(instance), [instance.pk]).get(instance.pk)
        if current_version is None and getattr(instance, "_history", None) is not None:
            return cleaned  # the admin's "revert" of a deleted record brings it back
        if current_version == submitted:
            instance.version = current_version
            return cleaned
        if current_version is None:
            raise ValidationError(_("Someone else deleted this record while you were editing it."))
        current = type(instance)._base_manager.get(pk=instance.pk)
        base, entries, m2m = history.history_since(type(instance), instance.pk, submitted)
        keep, conflicts = merge_fields(self, _typed_values(self), current, base, m2m, entries)
        data = self.data.copy()
        data[self.add_prefix(VERSION_FIELD)] = str(current_version)
        for name in self.fields:
            model_field = history.model_field(type(instance), name)
            if name == VERSION_FIELD or name in keep or model_field is None:
                continue
            if self.fields[name].disabled:
                continue
            if model_field.concrete or model_field.many_to_many:
                set_data(data, self, name, _record_value(current, model_field))
        self.data = data
        raise ValidationError(conflict_messages(entries, conflicts))


def conflict_messages(entries, conflicts) -> list[str]:
    lines = [
        _(
            "Someone else saved this record while you were editing it: nothing was saved. "
            "Their changes:"
        )
    ]
    for entry in entries:
        record = entry["record"]
        details = "; ".join(
            f"{capfirst(change['label'])} : {change['old']} → {change['new']}"
            for change in entry["changes"]
        )
        lines.append(
            _("%(author)s on %(when)s: %(changes)s")
            % {
                "author": _author(record),
                "when": _when(record),
                "changes": details or _("the rows or the status"),
            }
        )
    lines += [describe_conflict(conflict) for conflict in conflicts]
    lines.append(
        _(
            "The form shows your input and their changes to the other fields: check it and "
            "save again."
        )
    )
    return lines


@functools.cache
def versioned_admin_form(form_class):
    """The admin's form class with the hidden version of the record."""
    if issubclass(form_class, AdminVersionFormMixin):
        return form_class
    return type(
        form_class.__name__,
        (AdminVersionFormMixin, form_class),
        {VERSION_FIELD: version_field(), "__module__": form_class.__module__},
    )
