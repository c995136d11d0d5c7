"""Forms of the appointment pages. They parse and check input within the viewer's scope; the rules of
appointing live in leaders.services."""

from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from leaders.models import (
    LEADER_ROLE_FOR_LEVEL,
    NOMINATION_ROLES,
    REVIEW_CHECKS,
    EndReason,
    NominationStatus,
    ReviewDecision,
    Role,
)
from leaders.selectors import (
    person_candidates,
    place_choices,
    place_parse,
    residents_without_account,
    unit_choices,
)
from linli.params import int_param
from people.identity import InvalidIdentity, phone_validate
from territory.models import Level, TerritoryUnit


def _term_end_field():
    return forms.DateField(
        label=_("Term ends"),
        required=False,
        help_text=_("Leave empty for a post without a fixed term."),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )


def _date_field(label):
    return forms.DateField(
        label=label,
        initial=timezone.localdate,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )


@dataclass
class PersonChoice:
    """Who was chosen: an existing user, a resident who gets a user, or a new person by name and phone."""

    user: object = None
    resident: object = None
    full_name: str = ""
    phone: str = ""


class PersonChoiceForm(forms.Form):
    q = forms.CharField(label=_("Search by name, username or phone"), required=False, max_length=50)
    person = forms.CharField(required=False, max_length=20)
    new_full_name = forms.CharField(label=_("Full name"), required=False, max_length=50)
    new_phone = forms.CharField(label=_("Phone"), required=False, max_length=20)

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    def clean(self):
        data = super().clean()
        value = data.get("person", "")
        full_name = data.get("new_full_name", "").strip()
        if value and full_name:
            raise forms.ValidationError(_("Choose a person or enter a new one, not both."))
        if not value and not full_name:
            self.add_error("person", _("Choose a person from the search, or enter a new person."))
            return data
        if value:
            data["choice"] = self._chosen(value)
        else:
            data["choice"] = self._new_person(full_name, data.get("new_phone", ""))
        return data

    def _chosen(self, value: str) -> PersonChoice | None:
        kind, pk = value[:1], int_param(value[1:])
        found = None
        if pk and kind == "u":
            user = person_candidates(self.viewer).filter(pk=pk).first()
            found = PersonChoice(user=user) if user else None
        elif pk and kind == "r":
            resident = residents_without_account(self.viewer).filter(pk=pk).first()
            found = (
                PersonChoice(resident=resident, full_name=resident.name, phone=resident.phone)
                if resident
                else None
            )
        if found is None:
            self.add_error("person", _("This person cannot be chosen here. Search again."))
        return found

    def _new_person(self, full_name: str, phone: str) -> PersonChoice | None:
        if not phone.strip():
            self.add_error("new_phone", _("Give the new person's phone, so residents can call them."))
            return None
        try:
            phone = phone_validate(phone)
        except InvalidIdentity as error:
            self.add_error("new_phone", str(error))
            return None
        return PersonChoice(full_name=full_name, phone=phone)


class AppointmentCreateForm(PersonChoiceForm):
    role = forms.ChoiceField(label=_("Role"), choices=[("", "---------")] + Role.choices)
    place = forms.CharField(label=_("Place"), widget=forms.Select)
    started_on = _date_field(_("Start date"))
    term_ends_on = _term_end_field()

    field_order = ["q", "person", "new_full_name", "new_phone", "role", "place", "started_on", "term_ends_on"]

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, viewer=viewer, **kwargs)
        role = (self.data.get("role") if self.is_bound else self.initial.get("role")) or ""
        if role not in Role.values:
            role = ""
        self.fields["place"].widget.choices = [("", "---------")] + place_choices(viewer, role)

    def clean_place(self):
        place = place_parse(self.viewer, self.cleaned_data["place"])
        if place is None:
            raise forms.ValidationError(_("Choose a place within your territory."))
        return place


class AppointmentEndForm(forms.Form):
    ended_on = _date_field(_("End date"))
    reason = forms.ChoiceField(label=_("Reason for ending"), choices=EndReason.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class AppointmentHandOverForm(PersonChoiceForm):
    on = _date_field(_("Date of hand-over"))
    reason = forms.ChoiceField(label=_("Reason for ending"), choices=EndReason.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
    term_ends_on = _term_end_field()

    def __init__(self, *args, appointment, **kwargs):
        super().__init__(*args, **kwargs)
        self.appointment = appointment

    def clean(self):
        data = super().clean()
        choice = data.get("choice")
        if choice and choice.user and choice.user.pk == self.appointment.person_id:
            self.add_error("person", _("The successor must be someone else."))
        return data


class AppointmentFilterForm(forms.Form):
    STATUS_CHOICES = [("active", _("Active")), ("ended", _("Ended")), ("all", _("All"))]

    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", _("All roles"))] + Role.choices)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    unit = forms.CharField(label=_("Territory"), required=False, widget=forms.Select)

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        # Cells are many; the list filters by any unit down to groups (a cell's own link may still pass one).
        levels = [Level.STREET, Level.COMMUNITY, Level.AREA, Level.GROUP]
        self.fields["unit"].widget.choices = [("", _("All of my territory"))] + unit_choices(viewer, levels)


# --- Selection -----------------------------------------------------------------------------------------


def _datetime_field(label):
    return forms.DateTimeField(
        label=label,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}),
    )


def _unit_field(label):
    return forms.CharField(label=label, widget=forms.Select)


class UnitChoiceMixin:
    """A `unit` select of the viewer's units at `unit_levels`, parsed to a TerritoryUnit in scope."""

    unit_levels: list = []

    def _unit_setup(self, viewer):
        self.fields["unit"].widget.choices = [("", "---------")] + unit_choices(viewer, self.unit_levels)

    def clean_unit(self):
        pk = int_param(self.cleaned_data["unit"])
        unit = (
            TerritoryUnit.objects.visible_to(self.viewer).filter(pk=pk, level__in=self.unit_levels).first()
            if pk
            else None
        )
        if unit is None:
            raise forms.ValidationError(_("Choose a place within your territory."))
        return unit


class NominationRecommendForm(UnitChoiceMixin, PersonChoiceForm):
    unit = _unit_field(_("Post in"))
    role = forms.ChoiceField(
        label=_("Role"),
        required=False,
        choices=[("", _("The leader of that unit"))] + [(r.value, r.label) for r in NOMINATION_ROLES],
    )
    statement = forms.CharField(
        label=_("Why this person"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    unit_levels = [Level.AREA, Level.GROUP, Level.CELL]
    field_order = ["q", "person", "new_full_name", "new_phone", "unit", "role", "statement"]

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, viewer=viewer, **kwargs)
        self._unit_setup(viewer)

    def clean(self):
        data = super().clean()
        unit = data.get("unit")
        if unit is not None and not data.get("role"):
            data["role"] = LEADER_ROLE_FOR_LEVEL[unit.level]
        return data


class SelfNominationForm(forms.Form):
    statement = forms.CharField(
        label=_("Why you would like to serve your neighbours"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=ReviewDecision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    reviewed_on = _date_field(_("Review date"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in REVIEW_CHECKS:
            self.fields[name] = forms.BooleanField(label=label, required=False)
            self.fields[f"{name}_note"] = forms.CharField(label=_("Note"), required=False, max_length=200)

    def checklist_rows(self):
        return [(self[name], self[f"{name}_note"]) for name, _label in REVIEW_CHECKS]

    def checks(self) -> dict[str, bool]:
        return {name: self.cleaned_data[name] for name, _label in REVIEW_CHECKS}

    def notes(self) -> dict[str, str]:
        return {name: self.cleaned_data[f"{name}_note"] for name, _label in REVIEW_CHECKS}


DEFAULT_TERM_YEARS = 3


def default_term_end(start):
    try:
        return start.replace(year=start.year + DEFAULT_TERM_YEARS)
    except ValueError:  # 29 February
        return start.replace(year=start.year + DEFAULT_TERM_YEARS, day=28)


class NominationAppointForm(forms.Form):
    started_on = _date_field(_("Start date"))
    term_ends_on = forms.DateField(
        label=_("Term ends"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    replaces = forms.ChoiceField(label=_("Replaces"), required=False)
    end_reason = forms.ChoiceField(
        label=_("Why their term ends"), required=False, choices=[("", "---------")] + EndReason.choices
    )
    end_note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, holders, **kwargs):
        super().__init__(*args, **kwargs)
        self.holders = {holder.pk: holder for holder in holders}
        self.fields["replaces"].choices = [("", _("Nobody: an additional holder"))] + [
            (str(holder.pk), holder.person.display_name) for holder in holders
        ]
        if holders:
            self.fields["replaces"].initial = str(holders[0].pk)
        self.fields["term_ends_on"].initial = default_term_end(timezone.localdate())

    def clean_replaces(self):
        value = self.cleaned_data["replaces"]
        return self.holders.get(int_param(value)) if value else None


class ElectionOpenForm(UnitChoiceMixin, forms.Form):
    unit = _unit_field(_("Neighbour cell"))
    opens_at = _datetime_field(_("Voting opens"))
    closes_at = _datetime_field(_("Voting closes"))
    candidates = forms.MultipleChoiceField(
        label=_("Candidates"), required=False, widget=forms.CheckboxSelectMultiple
    )
    unit_levels = [Level.CELL]

    def __init__(self, *args, viewer, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self._unit_setup(viewer)
        self.residents = {resident.pk: resident for resident in candidates}
        self.fields["candidates"].choices = [
            (str(r.pk), f"{r.name} · {r.household.address}") for r in candidates
        ]

    def clean_candidates(self):
        chosen = [self.residents.get(int_param(value)) for value in self.cleaned_data["candidates"]]
        if not chosen or None in chosen:
            raise forms.ValidationError(_("Choose at least one candidate who lives in the cell."))
        return chosen


class VoteForm(forms.Form):
    candidate = forms.ChoiceField(label=_("Your household's vote"), widget=forms.RadioSelect)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.by_pk = {candidate.pk: candidate for candidate in candidates}
        self.fields["candidate"].choices = [(str(c.pk), c.resident.name) for c in candidates]

    def clean_candidate(self):
        return self.by_pk[int_param(self.cleaned_data["candidate"])]


class TrainingForm(UnitChoiceMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    unit = _unit_field(_("For the leaders of"))
    held_on = _date_field(_("Date"))
    place = forms.CharField(
        label=pgettext_lazy("where a training is held", "Venue"), required=False, max_length=100
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
    unit_levels = [Level.COMMUNITY, Level.AREA, Level.GROUP, Level.CELL]

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self._unit_setup(viewer)


class SelectionFilterForm(forms.Form):
    community = forms.ChoiceField(label=_("Community"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + NominationStatus.choices
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.communities = {community.pk: community for community in communities}
        self.fields["community"].choices = [("", _("All my communities"))] + [
            (str(c.pk), c.name) for c in communities
        ]

    def clean_community(self):
        value = self.cleaned_data["community"]
        return self.communities.get(int_param(value)) if value else None
