from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from partnership.core.forms import DateInput, NoMarkupMixin, OneLineMixin
from partnership.directory.models import Organisation, Theme
from partnership.programming.models import PlannedProject
from partnership.rules import PartyStatus


class PlannedProjectForm(OneLineMixin, NoMarkupMixin, forms.ModelForm):
    """A party's planned project. The organisation is the person's own; an administrator
    names the party (``organisation`` is then a field)."""

    class Meta:
        model = PlannedProject
        fields = [
            "organisation",
            "title",
            "summary",
            "theme",
            "sector",
            "priority",
            "kind",
            "planned_start",
            "planned_end",
            "contact",
            "certainty",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "planned_start": DateInput,
            "planned_end": DateInput,
        }

    def __init__(self, *args, organisation_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        if organisation_id is not None or instance.pk:
            del self.fields["organisation"]
            if not instance.pk:
                instance.organisation_id = organisation_id
        else:
            self.fields["organisation"].queryset = Organisation.objects.filter(
                agreement_parties__agreement_id=instance.agreement_id,
                agreement_parties__status=PartyStatus.ACCEPTED,
            ).order_by("name")
        themes = Theme.objects.filter(is_active=True)
        if instance.theme_id:
            themes = themes | Theme.objects.filter(pk=instance.theme_id)
        self.fields["theme"].queryset = themes.distinct().order_by("name")
        # The contact in charge: a person of the project's organisation.
        people = (
            get_user_model()
            .objects.filter(is_active=True)
            .only("username", "first_name", "last_name")  # what the label shows
            .order_by("last_name", "first_name")
        )
        if instance.organisation_id:
            people = people.filter(profile__organisation_id=instance.organisation_id)
        else:
            people = people.filter(
                profile__organisation__agreement_parties__agreement_id=instance.agreement_id
            )
        self.fields["contact"].queryset = people
        self.fields["contact"].label_from_instance = lambda u: u.get_full_name() or u.username

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation") or (
            self.instance.organisation if self.instance.organisation_id else None
        )
        contact = cleaned.get("contact")
        if contact and organisation:
            profile = getattr(contact, "profile", None)
            if profile is None or profile.organisation_id != organisation.pk:
                self.add_error("contact", _("The contact in charge is a person of the party."))
        start, end = cleaned.get("planned_start"), cleaned.get("planned_end")
        if start and end and end < start:
            self.add_error(
                "planned_end", _("The planned end cannot come before the planned start.")
            )
        return cleaned


class CoordinationForm(OneLineMixin, forms.Form):
    note = forms.CharField(
        label=_("Coordination note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "How the parties keep each other informed. Leave it empty to say the project is "
            "no longer coordinated."
        ),
    )
