"""Forms of the appointment pages. They parse and check input within the viewer's scope; the rules of
appointing live in leaders.services."""

from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leaders.models import EndReason, Role
from leaders.selectors import (
    person_candidates,
    place_choices,
    place_parse,
    residents_without_account,
    unit_choices,
)
from linli.params import int_param
from people.identity import InvalidIdentity, phone_validate
from territory.models import Level


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

    field_order = ["q", "person", "new_full_name", "new_phone", "role", "place", "started_on"]

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
