"""Forms for the care pages: logging a contact (three taps on a phone), choosing a carer, a cadence rule."""

from django import forms
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from care.models import ContactKind, Wellbeing

NOTE_LIMIT = 500
NEED_LIMIT = 2000


class ContactForm(forms.Form):
    """How the carer was in touch, how the person is, an optional note, and a need found (which files a
    request). The request kinds are the active ones of the plan's street."""

    kind = forms.ChoiceField(
        label=_("How were you in touch?"),
        choices=ContactKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how you were in touch."),
            "invalid_choice": _("Choose how you were in touch."),
        },
    )
    wellbeing = forms.ChoiceField(
        label=_("How is the person?"),
        choices=Wellbeing.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how the person is."),
            "invalid_choice": _("Choose how the person is."),
        },
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=NOTE_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    need_found = forms.BooleanField(label=_("A need found"), required=False)
    need_kind = forms.ModelChoiceField(
        label=_("What kind of need?"),
        queryset=None,
        required=False,
        empty_label=_("Choose…"),
        error_messages={"invalid_choice": _("Please choose one of the kinds shown.")},
    )
    need_description = forms.CharField(
        label=_("What is needed?"),
        max_length=NEED_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["need_kind"].queryset = kinds

    def clean(self):
        data = super().clean()
        if data.get("need_found"):
            if not data.get("need_kind") and "need_kind" not in self.errors:
                self.add_error("need_kind", gettext("Choose what kind of need it is."))
            if not (data.get("need_description") or "").strip() and not (data.get("note") or "").strip():
                self.add_error("need_description", gettext("Please describe the need you found."))
        else:
            # The need fields are hidden while the box is unticked: what they hold is not filed.
            data["need_kind"], data["need_description"] = None, ""
        return data


class CarerForm(forms.Form):
    """Staff choose a carer from the community's leaders and staff, or give the plan back to the cell's
    neighbour leader (the empty choice)."""

    carer = forms.TypedChoiceField(
        label=_("Carer"),
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": _("Please choose one of the people shown.")},
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {person.pk: person for person in candidates}
        self.fields["carer"].choices = [("", gettext("The cell's neighbour leader (default)"))] + [
            (
                person.pk,
                ngettext("%(name)s (%(count)s person)", "%(name)s (%(count)s people)", person.load)
                % {"name": person.display_name, "count": person.load},
            )
            for person in candidates
        ]

    def clean_carer(self):
        value = self.cleaned_data["carer"]
        return self.candidates.get(value) if value is not None else None


class CadenceForm(forms.Form):
    cared_for = forms.BooleanField(label=_("Gets a care plan"), required=False)
    greeting_days = forms.IntegerField(label=_("Greeting every (days)"), min_value=1, max_value=90)
    visit_days = forms.IntegerField(label=_("Home visit every (days)"), min_value=1, max_value=365)
    group_after_days = forms.IntegerField(
        label=_("Tell the group leader after (days overdue)"), min_value=1, max_value=60
    )
    area_after_days = forms.IntegerField(
        label=_("Tell the area leader after (days overdue)"), min_value=1, max_value=60
    )

    def clean(self):
        data = super().clean()
        group, area = data.get("group_after_days"), data.get("area_after_days")
        if group is not None and area is not None and area < group:
            self.add_error(
                "area_after_days", gettext("The area leader is told no sooner than the group leader.")
            )
        return data
