"""Forms of the programme pages: programmes, joint actions and their deliverables."""

import functools

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from partnership.core.forms import (
    BaseInlineFormSet,
    DateInput,
    LockedFieldsMixin,
    NoMarkupMixin,
    OneLineMixin,
    inline_formset,
    share_choices,
)
from partnership.directory.models import Contact, Organisation, Theme
from partnership.programmes.models import (
    Action,
    ActionContact,
    ActionResource,
    Deliverable,
    Programme,
)
from partnership.rules import (
    ACTION_DEFINITION_FIELDS,
    PartyStatus,
    changeable_action_fields,
    contribution_organisation_ids,
    keeps_action,
    profile_of,
)

# Programmes ---------------------------------------------------------------------------


class ProgrammeForm(OneLineMixin, NoMarkupMixin, forms.ModelForm):
    """A programme of one agreement: the agreement comes from the page, never from the form."""

    class Meta:
        model = Programme
        fields = ["year", "title", "summary", "review"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "review": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        programme = self.instance
        if programme.status != Programme.Status.PREPARATION:
            # The year of a programme that was proposed or adopted is settled.
            self.fields["year"].disabled = True
        if programme.status == Programme.Status.CLOSED:
            self.fields["review"].required = True
        else:
            # The annual review is written when the programme is closed.
            del self.fields["review"]

    def clean_year(self):
        year = self.cleaned_data["year"]
        # The agreement is not a field of the form, so the model's unique check skips it.
        taken = Programme.objects.filter(agreement_id=self.instance.agreement_id, year=year)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("This agreement already has a programme for %(year)s."),
                params={"year": year},
                code="unique",
            )
        return year


class MeetingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        date = timezone.localtime(obj.starts_at).strftime("%d/%m/%Y")
        return f"{obj.title} ({date})"


class ProgrammeApproveForm(OneLineMixin, forms.Form):
    """A party's approval of the proposed programme.

    ``organisations`` are the parties the person may approve for, as the rule module says
    (``programme_approval_organisations``): only those are offered and accepted. With one
    (a coordinator's own organisation) the page names it and the form asks nothing; with
    several (an administrator) the person names the party. The approval that completes the
    set adopts the programme: it names the held meeting of the agreement where that happened.
    """

    organisation = forms.ModelChoiceField(
        label=_("approved for"), queryset=Organisation.objects.none(), empty_label=None
    )
    meeting = MeetingChoiceField(
        label=_("adopted at the meeting"), queryset=Programme.adopting_meetings().none()
    )
    adopted_on = forms.DateField(
        label=_("adopted on"),
        required=False,
        widget=DateInput,
        help_text=_("Leave empty to use the date of the meeting."),
    )

    def __init__(self, *args, programme, organisations, completes, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = organisations
        if len(organisations) > 1:
            self.fields["organisation"].queryset = Organisation.objects.filter(
                pk__in=[organisation.pk for organisation in organisations]
            ).order_by("name")
        else:
            del self.fields["organisation"]
        if completes:
            self.fields["meeting"].queryset = (
                Programme.adopting_meetings()
                .filter(agreement_id=programme.agreement_id)
                .order_by("-starts_at")
            )
            self.fields["meeting"].help_text = _(
                "This approval is the last one: it adopts the programme at this meeting."
            )
        else:
            del self.fields["meeting"]
            del self.fields["adopted_on"]

    def clean_adopted_on(self):
        adopted_on = self.cleaned_data["adopted_on"]
        if adopted_on and adopted_on > timezone.localdate():
            raise forms.ValidationError(_("The date of adoption cannot be in the future."))
        return adopted_on

    def approving_organisation(self):
        if "organisation" in self.fields:
            return self.cleaned_data["organisation"]
        return self.organisations[0] if self.organisations else None


class ProgrammeCloseForm(OneLineMixin, NoMarkupMixin, forms.Form):
    """Closing a programme asks for its annual review (bilan)."""

    review = forms.CharField(
        label=_("annual review"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What the year produced, what was postponed and why."),
    )

    needs_object = True

    def __init__(self, *args, obj=None, **kwargs):
        super().__init__(*args, **kwargs)
        if obj is not None and obj.review:
            self.fields["review"].initial = obj.review


# Joint actions ------------------------------------------------------------------------


class ActionForm(LockedFieldsMixin, OneLineMixin, NoMarkupMixin, forms.ModelForm):
    """A joint action; who may lead it depends on the person (see ``clean``).

    What the action is, only those who lead it change (``partnership.rules.
    changeable_action_fields``): for a partner organisation's contributor the form is
    read-only, and a post changing it is refused.

    A contributor edits the actions of their organisation only: the action they save must be
    led by their organisation (or its network head) or count it among the partners, or they
    would lose the right to edit it (``partnership.rules.keeps_action``).
    """

    progress = forms.IntegerField(
        label=capfirst(Action._meta.get_field("progress").verbose_name),
        min_value=0,
        max_value=100,
        initial=0,
        help_text=_("A percentage between 0 and 100."),
    )

    class Meta:
        model = Action
        # What the action is (the status changes through its transitions).
        fields = [name for name in ACTION_DEFINITION_FIELDS if name != "status"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "objectives": forms.Textarea(attrs={"rows": 3}),
            "planned_start": DateInput,
            "planned_end": DateInput,
            "partners": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args, user, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.programme = programme
        self.instance.programme = programme
        # One list of organisations for the leader's and the partners' fields.
        share_choices(
            Organisation.objects.all(), self.fields["lead_organisation"], self.fields["partners"]
        )
        # A keyboard's hint: hidden on touch screens (app.css) and by the searchable list.
        self.fields["partners"].help_text = format_html(
            "<span data-keyboard-hint>{}</span>", _("Hold Ctrl (or Cmd) to choose several.")
        )
        themes = Theme.objects.filter(is_active=True)
        if self.instance.theme_id:
            themes = themes | Theme.objects.filter(pk=self.instance.theme_id)
        self.fields["theme"].queryset = themes.distinct()
        self.fields["convention"].queryset = (
            self.fields["convention"]
            .queryset.filter(agreement_id=programme.agreement_id)
            .order_by("annex_number")
        )
        # The action it continues from last year: one of last year's actions that no other
        # action continues yet (and the one chosen already, whatever its year).
        continues = Action.objects.filter(
            programme__agreement_id=programme.agreement_id,
            programme__year=programme.year - 1,
            continuation__isnull=True,
        )
        if self.instance.continues_id:
            continues |= Action.objects.filter(pk=self.instance.continues_id)
        if self.instance.pk:
            continues = continues.exclude(pk=self.instance.pk)
        # Only what the label shows: an action's row is long (its description, its dates).
        self.fields["continues"].queryset = (
            continues.select_related("programme")
            .only("title", "programme__year")
            .order_by("-programme__year", "title")
        )
        self.fields["continues"].label_from_instance = lambda a: f"{a.programme.year} – {a.title}"
        if self.is_contributor_only:
            self.fields["lead_organisation"].help_text = _(
                "Your organisation must lead the action or be one of its partners."
            )
        self.lock_fields(set(self.fields) - changeable_action_fields(user, self.instance))

    @property
    def is_contributor_only(self):
        """The person edits the actions of their organisation only, not any of the programme."""
        return not keeps_action(self.user, self.instance, ())

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and self.programme.status == Programme.Status.CLOSED:
            raise forms.ValidationError(_("The programme is closed: no action can be added."))
        progress = cleaned.get("progress")
        if (
            self.instance.status == Action.Status.COMPLETED
            and progress is not None
            and progress != 100
        ):
            self.add_error("progress", _("A completed action stays at 100%."))
        lead = cleaned.get("lead_organisation")
        if lead is not None:
            partners = {organisation.pk for organisation in cleaned.get("partners") or ()}
            if not keeps_action(self.user, self.instance, {lead.pk} | partners):
                self.add_error(
                    "lead_organisation",
                    _("Your organisation must lead the action or be one of its partners."),
                )
        return cleaned


class ContributionFormSet(BaseInlineFormSet):
    """Rows of an action that belong to one organisation each (resources, contacts).

    ``contribution_of``: the organisations whose rows the person changes
    (``partnership.rules.contribution_organisation_ids``; None: every one). The other
    organisations' rows are read-only and cannot be deleted; a new row is for the person's
    organisation; a post that changes a read-only row is refused whole.
    """

    def __init__(self, *args, contribution_of=None, own_organisation=None, **kwargs):
        self.contribution_of = contribution_of
        self.own_organisation = own_organisation
        super().__init__(*args, **kwargs)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if self.contribution_of is None:
            return
        row = form.instance
        if row.pk is None:
            form.fields["organisation"].initial = self.own_organisation
            form.lock_fields(["organisation"])
        elif row.organisation_id not in self.contribution_of:
            form.lock_fields([*form._meta.fields, "DELETE"])


class ActionResourceForm(LockedFieldsMixin, OneLineMixin, forms.ModelForm):
    class Meta:
        model = ActionResource
        fields = ["organisation", "person_days", "budget"]


ActionResourceFormSet = inline_formset(
    Action,
    ActionResource,
    form=ActionResourceForm,
    formset=ContributionFormSet,
    extra=1,
    can_delete=True,
    max_rows=100,
)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class ActionContactForm(LockedFieldsMixin, OneLineMixin, forms.ModelForm):
    user = StaffChoiceField(
        label=capfirst(ActionContact._meta.get_field("user").verbose_name),
        queryset=get_user_model()
        .objects.filter(profile__isnull=False, is_active=True)
        .only("username", "first_name", "last_name")  # what the label shows
        .order_by("last_name", "first_name"),
        required=False,
    )

    class Meta:
        model = ActionContact
        fields = ["organisation", "user", "contact", "role"]

    def __init__(self, *args, agreement=None, chosen_users=(), **kwargs):
        super().__init__(*args, **kwargs)
        if agreement is not None:
            # The staff of the agreement's parties, and the people chosen already for the
            # action: the same options on every row (a plain list of ids, not a subquery:
            # the list of options is then kept, crud.share_choices).
            staff = Q(
                profile__organisation__agreement_parties__agreement=agreement,
                profile__organisation__agreement_parties__status=PartyStatus.ACCEPTED,
            )
            if chosen_users:
                staff |= Q(pk__in=chosen_users)
            self.fields["user"].queryset = self.fields["user"].queryset.filter(staff).distinct()
        self.fields["contact"].queryset = Contact.objects.order_by("last_name", "first_name")


class ActionContactRows(ContributionFormSet):
    """Each row offers the people chosen already on the action's saved rows (read with the
    rows), beside the staff of the agreement's parties."""

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if "agreement" in kwargs:
            kwargs["chosen_users"] = self.chosen_users
        return kwargs

    @functools.cached_property
    def chosen_users(self):
        if self.instance.pk is None:
            return ()
        return sorted({row.user_id for row in self.get_queryset() if row.user_id})


ActionContactFormSet = inline_formset(
    Action,
    ActionContact,
    form=ActionContactForm,
    formset=ActionContactRows,
    extra=1,
    can_delete=True,
    max_rows=200,
)


# Deliverables -------------------------------------------------------------------------


class DeliverableForm(LockedFieldsMixin, OneLineMixin, NoMarkupMixin, forms.ModelForm):
    """A deliverable; its responsible organisation is one of the action's. A partner's
    contributor adds deliverables their organisation is responsible for, and cannot hand
    them to another organisation."""

    class Meta:
        model = Deliverable
        fields = ["title", "kind", "responsible_organisation", "due_on", "delivered_on", "link"]
        widgets = {"due_on": DateInput, "delivered_on": DateInput}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        action = self.instance.action
        field = self.fields["responsible_organisation"]
        field.queryset = Organisation.objects.filter(
            Q(pk=action.lead_organisation_id) | Q(partner_actions=action)
        ).distinct()
        if contribution_organisation_ids(user, action) is not None:
            if self.instance.pk is None:
                profile = profile_of(user)
                self.instance.responsible_organisation = profile.organisation if profile else None
                self.initial["responsible_organisation"] = self.instance.responsible_organisation_id
            self.lock_fields(["responsible_organisation"])

    def clean_delivered_on(self):
        delivered_on = self.cleaned_data["delivered_on"]
        if delivered_on and delivered_on > timezone.localdate():
            raise forms.ValidationError(_("A deliverable cannot be delivered in the future."))
        return delivered_on
