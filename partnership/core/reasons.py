"""Why a change was made: stored in the history as data, worded when shown.

simple-history keeps a text with each historical record (``history_change_reason``).
Written as a sentence, it stays in the language of the person who made the change ("Statut :
tenue → compte rendu approuvé" for an English reader too). So the services store a code and its
parameters (``reason("status", previous=..., new=...)``, a small JSON
object) and the pages word it in the reader's language (``word``): the status by the label
of its choice, a date in the reader's format, the kind of a record by its verbose name.

A reason written before (a sentence in French or in English) is read back into its code and
parameters (``from_legacy``) by the migration that converted the stored rows; one that
matches no known sentence (a free text) is shown as it is.
"""

import datetime
import json
import re
from functools import cache

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

# A line of history, not a document: the free texts in it (a name, the person's words) are
# shortened beyond this length.
MAX_LENGTH = 400

SENTENCES = {
    "status": gettext_lazy("Status: %(previous)s → %(new)s"),
    "reviewed": gettext_lazy("Reviewed at the meeting “%(meeting)s”"),
    "invitation_accepted": gettext_lazy("Invitation accepted"),
    "invitation_declined": gettext_lazy("Invitation declined"),
    "withdrawn": gettext_lazy("Withdrawn with the proposal"),
    "recorded_by_admin": gettext_lazy("Recorded by an administrator"),
    "prepared_from": gettext_lazy("Prepared from %(year)s"),
    "carried_over": gettext_lazy("Carried over from %(year)s"),
    "restored_version": gettext_lazy("Restored the version of %(date)s"),
    "restored": gettext_lazy("Restored after its deletion"),
    "deleted_with": gettext_lazy("Deleted with %(record)s “%(name)s”"),
    "becomes_joint_action": gettext_lazy("Becomes the joint action “%(action)s”"),
}
# A reason given by the person, after the sentence of what happened.
WITH_WHY = pgettext_lazy("history reason", "%(reason)s (%(why)s)")


def reason(code: str, **params) -> str:
    """The stored form of a reason: its code and parameters, within the column's length (the
    free texts, a name or the person's words, are shortened if need be)."""
    if code not in SENTENCES:
        raise ValueError(f"unknown history reason {code!r}")
    data = {"code": code}
    data.update((key, value) for key, value in params.items() if value not in ("", None))
    stored = _dumps(data)
    while len(stored) > MAX_LENGTH:
        texts = [key for key in ("why", "meeting", "name") if isinstance(data.get(key), str)]
        if not texts or all(len(data[key]) <= 1 for key in texts):
            raise ValueError(f"history reason too long: {stored}")
        longest = max(texts, key=lambda key: len(data[key]))
        keep = max(1, len(data[longest]) - (len(stored) - MAX_LENGTH) - 1)
        data[longest] = data[longest][:keep] + "…"
        stored = _dumps(data)
    return stored


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def parse(stored):
    """The code and parameters of a stored reason, or None for a free text."""
    if not stored or not stored.startswith("{"):
        return None
    try:
        data = json.loads(stored)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("code") not in SENTENCES:
        return None
    return data


def model_of(obj):
    """The model of a record, a historical record, a model or a model's label."""
    if obj is None:
        return None
    if isinstance(obj, str):
        try:
            return apps.get_model(obj)
        except (LookupError, ValueError):
            return None
    if isinstance(obj, type):
        return obj
    return getattr(obj, "instance_type", None) or type(obj)


def _status_field(model):
    if model is None:
        return None
    try:
        return model._meta.get_field("status")
    except FieldDoesNotExist:
        return None


def status_label(model, value):
    """The label of a status value of a kind of record, in the active language."""
    field = _status_field(model)
    return value if field is None else str(dict(field.flatchoices).get(value, value))


def _record_kind(label):
    try:
        return apps.get_model(label)._meta.verbose_name
    except (LookupError, ValueError):
        return label


def _moment(value):
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        return value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT")


def word(stored, about=None) -> str:
    """A stored reason in the active language; ``about`` is the record (or its model) the
    reason belongs to, for the labels of its statuses."""
    data = parse(stored)
    if data is None:
        return stored or ""
    code = data["code"]
    model = model_of(about)
    params = {}
    if code == "status":
        params = {
            "previous": status_label(model, data.get("previous")),
            "new": status_label(model, data.get("new")),
        }
    elif code == "reviewed":
        params = {"meeting": data.get("meeting", "")}
    elif code in ("prepared_from", "carried_over"):
        params = {"year": data.get("year", "")}
    elif code == "restored_version":
        params = {"date": _moment(data.get("date"))}
    elif code == "becomes_joint_action":
        params = {"action": data.get("name", "")}
    elif code == "deleted_with":
        params = {"record": _record_kind(data.get("record", "")), "name": data.get("name", "")}
    text = str(SENTENCES[code]) % params if params else str(SENTENCES[code])
    if code == "status" and data.get("reviewed"):
        # A status changed at a meeting's review: both, the status first.
        data = {**data, "why": str(SENTENCES["reviewed"]) % {"meeting": data["reviewed"]}}
    if data.get("why"):
        text = str(WITH_WHY) % {"reason": text, "why": data["why"]}
    return capfirst(text)


# Sentences stored before: read back into their code ----------------------------------------


def _pattern(sentence):
    """A regular expression matching a worded sentence, its %(name)s parts as groups; any
    space matches any other (the catalogue's non-breaking spaces came later)."""
    parts = re.split(r"%\(([a-z]+)\)s", sentence)
    pattern = ""
    for index, part in enumerate(parts):
        if index % 2:
            pattern += f"(?P<{part}>.+?)"
        else:
            pattern += "".join(r"\s" if char.isspace() else re.escape(char) for char in part)
    return pattern


@cache
def _legacy_patterns(language):
    with translation.override(language):
        patterns = [(code, re.compile(_pattern(str(s)) + "$")) for code, s in SENTENCES.items()]
        status = SENTENCES["status"]
        with_why = re.compile(_pattern(str(status)) + r" \((?P<why>.*)\)$")
    return [("status", with_why), *patterns]


def _status_value(model, label, language):
    field = _status_field(model)
    if field is None:
        return None
    with translation.override(language):
        for value, choice in field.flatchoices:
            if str(_(str(choice))) == label or str(choice) == label:
                return value
    return None


def _legacy_moment(text, language):
    with translation.override(language):
        for input_format in formats.get_format("DATETIME_INPUT_FORMATS"):
            try:
                moment = datetime.datetime.strptime(text, input_format)
            except ValueError:
                continue
            return timezone.make_aware(moment).isoformat()
    return None


def from_legacy(text, model=None, languages=("fr", "en")):
    """The stored form of a sentence written before codes (None if it is no known sentence:
    a free text stays as it is)."""
    if not text or parse(text) is not None:
        return None
    for language in languages:
        for code, pattern in _legacy_patterns(language):
            found = pattern.match(text)
            if not found:
                continue
            params = found.groupdict()
            if code == "status":
                previous = _status_value(model, params["previous"], language)
                new = _status_value(model, params["new"], language)
                if previous is None or new is None:
                    continue
                why = params.get("why") or ""
                reviewed = _legacy_reviewed(why, language)
                if reviewed is not None:
                    return reason(code, previous=previous, new=new, reviewed=reviewed)
                return reason(code, previous=previous, new=new, why=why)
            if code == "restored_version":
                moment = _legacy_moment(params["date"], language)
                if moment is None:
                    continue
                return reason(code, date=moment)
            if code == "deleted_with":
                label = _legacy_kind(params["record"], language)
                if label is None:
                    continue
                return reason(code, record=label, name=params["name"])
            if code in ("prepared_from", "carried_over"):
                if not params["year"].isdigit():
                    continue
                return reason(code, year=int(params["year"]))
            return reason(code, **params)
    return None


def _legacy_reviewed(text, language):
    patterns = dict(_legacy_patterns(language))
    found = patterns["reviewed"].match(text) if text else None
    return found["meeting"] if found else None


def _legacy_kind(name, language):
    with translation.override(language):
        for model in apps.get_models():
            if str(model._meta.verbose_name) == name:
                return model._meta.label_lower
    return None
