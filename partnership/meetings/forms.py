"""Forms of the meeting pages: the meeting with its participants and agenda, its decisions
and follow-up tasks, one follow-up task, and an action's review recorded at the meeting.

The selects of a formset (staff members, contacts, actions, conventions, programmes) are
filled from one query per select, shared by every row: ``MeetingChoices`` fetches each list
once per request and ``SharedModelChoiceField`` renders and validates against it.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.forms.models import ModelChoiceIteratorValue
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conventions.models import Convention
from partnership.agreements.models import AgreementParty
from partnership.core.forms import (
    BaseInlineFormSet,
    DateInput,
    DateTimeInput,
    NoMarkupMixin,
    OneLineMixin,
    inline_formset,
)
from partnership.directory.models import Contact
from partnership.meetings.models import AgendaItem, Decision, FollowUpTask, Meeting, Participant
from partnership.programmes.models import Action, Programme

TEXT_MAX_LENGTH = 10_000
COMMENT_MAX_LENGTH = 2_000


# Choices fetched once and shared by every form of the page ---------------------------


class ChoiceList:
    """The objects of one select, fetched on first use and then kept for the request."""

    def __init__(self, load, label=str):
        self._load = load
        self.label = label
        self._objects = None

    @property
    def objects(self) -> dict:
        if self._objects is None:
            self._objects = {obj.pk: obj for obj in self._load()}
        return self._objects

    def get(self, value):
        try:
            return self.objects[int(value)]
        except (KeyError, TypeError, ValueError):
            return None


class _SharedChoiceIterator:
    def __init__(self, field):
        self.field = field

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.choice_list.objects.values():
            yield (ModelChoiceIteratorValue(obj.pk, obj), self.field.choice_list.label(obj))

    def __len__(self):
        return len(self.field.choice_list.objects) + (self.field.empty_label is not None)

    def __bool__(self):
        return True


class SharedModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose choices come from a ``ChoiceList`` shared by many forms."""

    choice_list = None

    def use(self, choice_list: ChoiceList):
        self.choice_list = choice_list
        self.widget.choices = self.choices

    def _get_choices(self):
        if self.choice_list is not None:
            return _SharedChoiceIterator(self)
        return super()._get_choices()

    choices = property(_get_choices, forms.ChoiceField.choices.fset)

    def to_python(self, value):
        if self.choice_list is None:
            return super().to_python(value)
        if value in self.empty_values:
            return None
        obj = self.choice_list.get(value)
        if obj is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return obj


def _user_label(user):
    name = user.get_full_name() or user.get_username()
    profile = getattr(user, "profile", None)
    return f"{name} ({profile.organisation})" if profile else name


def _contact_label(contact):
    return f"{contact} ({contact.organisation})" if contact.organisation_id else str(contact)


def _action_label(action):
    return f"{action.programme.year} – {action.title}"


class MeetingChoices:
    """The records a meeting's forms may point to: those of the meeting's agreement.

    Staff members are those of the organisations party to the agreement (and of the
    networks they head); contacts come from the shared directory.
    """

    def __init__(self, agreement, meeting=None):
        self.agreement = agreement
        self.meeting = meeting if meeting is not None and meeting.pk else None
        self.users = ChoiceList(self._users, _user_label)
        self.contacts = ChoiceList(
            lambda: Contact.objects.select_related("organisation").order_by(
                "last_name", "first_name", "pk"
            ),
            _contact_label,
        )
        self.actions = ChoiceList(
            lambda: (
                Action.objects.filter(programme__agreement=agreement)
                .select_related("programme")
                .order_by("-programme__year", "title", "pk")
            ),
            _action_label,
        )
        self.working_groups = ChoiceList(
            lambda: [
                a for a in self.actions.objects.values() if a.kind == Action.Kind.WORKING_GROUP
            ],
            _action_label,
        )
        self.conventions = ChoiceList(
            lambda: Convention.objects.filter(agreement=agreement).order_by("annex_number")
        )
        self.programmes = ChoiceList(
            lambda: Programme.objects.filter(agreement=agreement).order_by("-year")
        )
        self.agenda_items = ChoiceList(
            lambda: (
                AgendaItem.objects.filter(meeting=self.meeting).order_by("position", "pk")
                if self.meeting
                else []
            ),
            lambda item: f"{item.position}. {item.title}",
        )

    def _users(self):
        # The staff of the parties that accepted: an invited organisation is not reached.
        parties = AgreementParty.objects.filter(agreement=self.agreement).accepted()
        parties = parties.values("organisation_id")
        condition = Q(is_active=True) & (
            Q(profile__organisation__in=parties) | Q(profile__organisation__parent__in=parties)
        )
        if self.meeting:  # people already on the meeting stay selectable
            condition |= Q(pk__in=self.meeting.participants.values("user_id"))
            condition |= Q(pk__in=self.meeting.follow_ups.values("owner_id"))
        return (
            get_user_model()
            .objects.filter(condition)
            .select_related("profile__organisation")
            .order_by("last_name", "first_name", "username")
        )


def _limit_length(field, limit):
    """A text without a length limit in the database still gets one in the form."""
    field.max_length = limit
    field.validators.append(MaxLengthValidator(limit))
    field.widget.attrs["maxlength"] = str(limit)


class SharedChoicesMixin:
    """Forms built with ``choices=MeetingChoices(...)``: their selects use the shared lists."""

    shared_choices: dict = {}  # field name -> attribute of MeetingChoices

    def __init__(self, *args, choices: MeetingChoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting_choices = choices
        for name, attribute in self.shared_choices.items():
            if name in self.fields:
                self.fields[name].use(getattr(choices, attribute))


# The meeting, its participants and agenda --------------------------------------------


class MeetingForm(OneLineMixin, SharedChoicesMixin, NoMarkupMixin, forms.ModelForm):
    shared_choices = {"working_group": "working_groups"}

    class Meta:
        model = Meeting
        fields = [
            "title",
            "kind",
            "working_group",
            "starts_at",
            "ends_at",
            "place",
            "video_link",
            "minutes",
        ]
        field_classes = {"working_group": SharedModelChoiceField}
        widgets = {
            "starts_at": DateTimeInput,
            "ends_at": DateTimeInput,
            "minutes": forms.Textarea(attrs={"rows": 8}),
        }
        help_texts = {
            "starts_at": _("Paris time."),
            "minutes": _(
                "Markdown: **bold**, *italic*, lists (- item), headings (# title), "
                "links [text](https://…), tables; line breaks are kept."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_length(self.fields["minutes"], TEXT_MAX_LENGTH)


class ParticipantForm(OneLineMixin, SharedChoicesMixin, NoMarkupMixin, forms.ModelForm):
    shared_choices = {"user": "users", "contact": "contacts"}

    class Meta:
        model = Participant
        fields = ["user", "contact", "role", "attendance"]
        field_classes = {"user": SharedModelChoiceField, "contact": SharedModelChoiceField}

    def clean(self):
        cleaned = super().clean()
        if "user" in self.errors or "contact" in self.errors:
            return cleaned
        if bool(cleaned.get("user")) == bool(cleaned.get("contact")):
            self.add_error(
                "user",
                _("Choose either a staff member or a contact for each participant, not both."),
            )
        return cleaned

    def _post_clean(self):
        # The person has been checked above, next to the field; the model repeats it.
        if "user" in self.errors:
            return
        super()._post_clean()


class BaseMeetingFormSet(BaseInlineFormSet):
    """An inline formset whose forms share the page's ``MeetingChoices``."""

    def __init__(self, *args, choices: MeetingChoices, **kwargs):
        kwargs.setdefault("form_kwargs", {})["choices"] = choices
        super().__init__(*args, **kwargs)


class BaseParticipantFormSet(BaseMeetingFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            person = (
                ("user", data["user"].pk) if data.get("user") else ("contact", data["contact"].pk)
            )
            if person in seen:
                raise forms.ValidationError(_("A person is listed twice among the participants."))
            seen.add(person)


ParticipantFormSet = inline_formset(
    Meeting,
    Participant,
    form=ParticipantForm,
    formset=BaseParticipantFormSet,
    extra=3,
    can_delete=True,
    max_rows=300,  # a national network's steering committee, and room to spare
)


class AgendaItemForm(OneLineMixin, SharedChoicesMixin, NoMarkupMixin, forms.ModelForm):
    shared_choices = {"action": "actions", "convention": "conventions", "programme": "programmes"}

    class Meta:
        model = AgendaItem
        fields = ["position", "title", "notes", "action", "convention", "programme"]
        field_classes = {
            "action": SharedModelChoiceField,
            "convention": SharedModelChoiceField,
            "programme": SharedModelChoiceField,
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "position" in self.fields:
            # Left empty, an item goes to the end of the agenda (see the formset).
            self.fields["position"].required = False
            self.fields["position"].initial = None
        _limit_length(self.fields["notes"], COMMENT_MAX_LENGTH)

    def clean(self):
        cleaned = super().clean()
        targets = [name for name in ("action", "convention", "programme") if cleaned.get(name)]
        if len(targets) > 1:
            self.add_error(
                targets[1],
                _("An agenda item points to one action, one convention or one programme at most."),
            )
        return cleaned


class BaseAgendaItemFormSet(BaseMeetingFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        last = max((f.cleaned_data["position"] or 0 for f in kept), default=0)
        for form in kept:
            if form.cleaned_data["position"] is None:
                last += 1
                form.cleaned_data["position"] = form.instance.position = last


AgendaItemFormSet = inline_formset(
    Meeting,
    AgendaItem,
    form=AgendaItemForm,
    formset=BaseAgendaItemFormSet,
    extra=3,
    can_delete=True,
    # Preparing the agenda brings back the previous meeting's open follow-up tasks: as
    # many as FollowUpTaskFormSet takes, besides the actions under review.
    max_rows=500,
)


class AgendaItemAddForm(AgendaItemForm):
    """One item added to the agenda from the meeting page: it goes to the end."""

    class Meta(AgendaItemForm.Meta):
        fields = ["title", "notes", "action", "convention", "programme"]


# Decisions and follow-up tasks --------------------------------------------------------


class MeetingOutcomesForm(OneLineMixin, forms.ModelForm):
    """The meeting itself is not changed on the decisions and follow-ups page."""

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)

    class Meta:
        model = Meeting
        fields = []


class DecisionForm(OneLineMixin, SharedChoicesMixin, NoMarkupMixin, forms.ModelForm):
    shared_choices = {"agenda_item": "agenda_items"}

    class Meta:
        model = Decision
        fields = ["agenda_item", "text"]
        field_classes = {"agenda_item": SharedModelChoiceField}
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_length(self.fields["text"], COMMENT_MAX_LENGTH)


DecisionFormSet = inline_formset(
    Meeting,
    Decision,
    form=DecisionForm,
    formset=BaseMeetingFormSet,
    extra=2,
    can_delete=True,
    max_rows=300,
)


class DoneDateMixin:
    """A task ticked as done without a date is done today (the model refuses a date
    on a task that is not done, and two owners)."""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("done") and not cleaned.get("done_on") and "done_on" not in self.errors:
            cleaned["done_on"] = timezone.localdate()
        return cleaned


class FollowUpTaskForm(
    OneLineMixin, SharedChoicesMixin, DoneDateMixin, NoMarkupMixin, forms.ModelForm
):
    shared_choices = {"owner": "users", "owner_contact": "contacts"}

    class Meta:
        model = FollowUpTask
        fields = ["title", "owner", "owner_contact", "due_on", "done", "done_on"]
        field_classes = {"owner": SharedModelChoiceField, "owner_contact": SharedModelChoiceField}
        widgets = {"due_on": DateInput, "done_on": DateInput}


FollowUpTaskFormSet = inline_formset(
    Meeting,
    FollowUpTask,
    form=FollowUpTaskForm,
    formset=BaseMeetingFormSet,
    extra=2,
    can_delete=True,
    # Every task of the meeting, done ones included: the page is where the meeting's tasks
    # are corrected or deleted. A national network's meeting gathers hundreds over time.
    max_rows=500,
)


class TaskProgressForm(OneLineMixin, DoneDateMixin, NoMarkupMixin, forms.ModelForm):
    """One follow-up task, edited by its owner's organisation.

    Once the meeting is read-only (minutes approved, or cancelled), what the meeting decided
    (the task and its due date) is kept as is; only its completion is still recorded.
    """

    class Meta:
        model = FollowUpTask
        fields = ["title", "due_on", "done", "done_on"]
        widgets = {"due_on": DateInput, "done_on": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.meeting.is_read_only:
            self.fields["title"].disabled = True
            self.fields["due_on"].disabled = True


# An action's review at the meeting ----------------------------------------------------


class ActionReviewForm(OneLineMixin, SharedChoicesMixin, NoMarkupMixin, forms.Form):
    shared_choices = {"action": "actions"}

    action = SharedModelChoiceField(label=_("action"), queryset=Action.objects.none())
    status = forms.ChoiceField(label=_("status"), choices=Action.Status.choices)
    progress = forms.IntegerField(label=_("progress (%)"), min_value=0, max_value=100)
    comment = forms.CharField(
        label=_("comment"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("status") == Action.Status.COMPLETED
            and cleaned.get("progress") is not None
            and cleaned["progress"] != 100
        ):
            self.add_error("progress", _("A completed action is at 100 %."))
        return cleaned


# The printable minutes ---------------------------------------------------------------


class MinutesSectionsForm(OneLineMixin, forms.Form):
    """The sections of the printed minutes the person wants (GET): all of them by default."""

    SECTIONS = [
        ("participants", _("Participants")),
        ("agenda", _("Agenda")),
        ("reviews", _("Review of the actions")),
        ("decisions", _("Decisions")),
        ("follow_ups", _("Follow-up tasks")),
        ("minutes", _("Minutes")),
    ]

    sections = forms.MultipleChoiceField(
        label=_("Sections to print"),
        choices=SECTIONS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # Sent with the form: without it (first visit), every section is shown.
    chosen = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, **kwargs):
        if data is not None and not data.get("chosen"):
            data = None  # the page opened without a choice: everything
        super().__init__(
            data, initial={"sections": [key for key, _label in self.SECTIONS]}, **kwargs
        )

    def chosen_sections(self) -> set[str]:
        if self.is_bound and self.is_valid():
            return set(self.cleaned_data["sections"])
        return {key for key, _label in self.SECTIONS}


class AttendanceForm(OneLineMixin, forms.Form):
    """Marking a meeting held: who was present, excused or absent, one choice per participant."""

    needs_object = True
    CHOICES = [
        (Participant.Attendance.PRESENT, _("present")),
        (Participant.Attendance.EXCUSED, _("excused")),
        (Participant.Attendance.ABSENT, _("absent")),
    ]

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, **kwargs)
        self.participants = list(obj.participants.select_related("user", "contact__organisation"))
        for participant in self.participants:
            recorded = participant.attendance
            self.fields[self.field_name(participant)] = forms.ChoiceField(
                label=participant.person_name,
                choices=self.CHOICES,
                widget=forms.RadioSelect,
                initial=Participant.Attendance.PRESENT
                if recorded == Participant.Attendance.INVITED
                else recorded,
            )

    @property
    def intro(self):
        if not self.participants:
            return _("No participant is listed: you can add them later by editing the meeting.")
        return _(
            "Who attended? Each participant is marked present until you say otherwise: "
            "change those who were excused or absent."
        )

    @staticmethod
    def field_name(participant):
        return f"attendance_{participant.pk}"

    def attendance(self) -> dict[int, str]:
        """Each participant's attendance, by participant id."""
        return {
            participant.pk: self.cleaned_data[self.field_name(participant)]
            for participant in self.participants
        }
