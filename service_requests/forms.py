"""Forms for the leaders' and staff's request pages: each action on a request, and filing on behalf."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from service_requests import selectors
from service_requests.photos import MAX_PHOTOS, photo_uploads_check

TEXT_LIMIT = 2000


def _text(label, *, required_message, rows=3, max_length=TEXT_LIMIT, **kwargs):
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": required_message},
        **kwargs,
    )


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS images, checked by content (service_requests.photos)."""

    widget = MultiplePhotoInput

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        accepted, errors = photo_uploads_check(files)
        if errors:
            raise forms.ValidationError(errors)
        return [upload for upload, _extension in accepted]


class ManyOptionsSelect(forms.Select):
    """A <select> written out in Python. Django renders every <option> through a template, about 0.1 ms
    each; handing down or dispatching from a community offers every unit and every leader under it, so
    the request's page would spend most of its time on options of forms that stay folded."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        choices = (("" if option is None else str(option), label) for option, label in self.choices)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((option, " selected" if option in chosen else "", label) for option, label in choices),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(self.build_attrs(self.attrs, attrs)), options
        )


class ActionForm(forms.Form):
    """Every action form is built with the viewer and the request (some offer choices from them)."""

    def __init__(self, *args, user, request, **kwargs):
        self.user, self.request = user, request
        super().__init__(*args, **kwargs)


class RespondForm(ActionForm):
    message = _text(_("Answer"), required_message=_("Please write the answer."), rows=4)
    public = forms.BooleanField(label=_("Show this answer to the resident"), required=False, initial=True)


class NoteForm(ActionForm):
    message = _text(_("Note"), required_message=_("Please write the note."))
    public = forms.BooleanField(label=_("Show this note to the resident"), required=False)


class EscalateForm(ActionForm):
    reason = _text(_("Why does it go up?"), required_message=_("Please say why it goes up."), max_length=500)


class HandDownForm(ActionForm):
    to_unit = forms.ModelChoiceField(
        label=_("Hand down to"),
        queryset=None,
        widget=ManyOptionsSelect,
        error_messages={
            "required": _("Please choose where it goes."),
            "invalid_choice": _("Please choose one of the units shown."),
        },
    )
    reason = _text(
        _("Why does it go down?"), required_message=_("Please say why it goes down."), max_length=500
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].queryset = selectors.hand_down_units(self.user, self.request)


class DispatchForm(ActionForm):
    team = forms.ModelChoiceField(
        label=_("To a team"),
        queryset=None,
        required=False,
        error_messages={"invalid_choice": _("Please choose one of the teams shown.")},
    )
    person = forms.ModelChoiceField(
        label=_("Or to a person"),
        queryset=None,
        widget=ManyOptionsSelect,
        required=False,
        error_messages={"invalid_choice": _("Please choose one of the people shown.")},
    )
    note = _text(_("Note for the doer (optional)"), required_message="", required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = selectors.dispatch_teams(self.user, self.request)
        self.fields["person"].queryset = selectors.dispatch_people(self.user, self.request)
        self.fields["person"].label_from_instance = lambda user: user.display_name

    def clean(self):
        data = super().clean()
        if not self.errors and (data.get("team") is None) == (data.get("person") is None):
            raise forms.ValidationError(gettext("Choose one team or one person."))
        return data


class ClaimForm(ActionForm):
    pass


class ResolveForm(ActionForm):
    outcome = _text(_("What was done?"), required_message=_("Please say what was done."), rows=4)
    photos = PhotosField(
        label=_("Photos of the result (optional)"),
        required=False,
        widget=MultiplePhotoInput(attrs={"accept": "image/*"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].help_text = gettext("Up to %(max)d photos, 10 MB each.") % {"max": MAX_PHOTOS}


class CloseForm(ActionForm):
    reason = _text(
        _("Reason for closing"), required_message=_("Please give the reason for closing."), max_length=200
    )


class MergeForm(ActionForm):
    into = forms.CharField(
        label=_("Reference number of the request it repeats"),
        max_length=40,
        error_messages={"required": _("Please give the reference number.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "20260302-15"}),
    )

    def clean_into(self):
        target = selectors.merge_target(self.user, self.request, self.cleaned_data["into"])
        if target is None:
            raise forms.ValidationError(
                gettext("No other open request with this reference number in your territory.")
            )
        return target


ACTION_FORMS = {
    "respond": RespondForm,
    "note": NoteForm,
    "escalate": EscalateForm,
    "hand_down": HandDownForm,
    "dispatch": DispatchForm,
    "claim": ClaimForm,
    "resolve": ResolveForm,
    "close": CloseForm,
    "merge": MergeForm,
}


# --- Filing on behalf ---------------------------------------------------------------------------------


class FileOnBehalfForm(forms.Form):
    household = forms.ModelChoiceField(
        label=_("Household"),
        queryset=None,
        required=False,
        error_messages={"invalid_choice": _("Please choose one of your households.")},
    )
    community = forms.ModelChoiceField(
        label=_("Or, without a household: community"),
        queryset=None,
        required=False,
        error_messages={"invalid_choice": _("Please choose one of your communities.")},
    )
    address_text = forms.CharField(label=_("Address or place (optional)"), max_length=200, required=False)
    kind = forms.ModelChoiceField(
        label=_("What is it about?"),
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": _("Please choose what it is about."),
            "invalid_choice": _("Please choose one of the kinds shown."),
        },
    )
    channel = forms.ChoiceField(
        label=_("How did you hear it?"),
        choices=[(c.value, c.label) for c in selectors.ON_BEHALF_CHANNELS],
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose how you heard it.")},
    )
    description = _text(_("What is the matter?"), required_message=_("Please describe the problem."), rows=4)
    reporter_name = forms.CharField(label=_("Resident's name (optional)"), max_length=50, required=False)
    reporter_phone = forms.CharField(
        label=_("Resident's mobile number (optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("For SMS updates to the resident. Leave blank if they did not give one."),
    )
    solved_on_spot = forms.BooleanField(label=_("Solved on the spot"), required=False)
    on_spot_outcome = forms.CharField(
        label=_("What was done on the spot?"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, user, is_staff: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_staff = is_staff
        self.fields["household"].queryset = selectors.filing_households(user)
        self.fields["kind"].queryset = selectors.filing_kinds(user)
        self.fields["kind"].label_from_instance = lambda kind: f"{kind.icon} {kind.name}".strip()
        if is_staff:
            self.fields["community"].queryset = selectors.filing_communities(user)
        else:
            del self.fields["community"]
            del self.fields["address_text"]
            self.fields["household"].required = True
            self.fields["household"].error_messages["required"] = gettext("Please choose the household.")

    def clean_description(self):
        description = self.cleaned_data["description"].strip()
        if not description:
            raise forms.ValidationError(gettext("Please describe the problem."))
        return description

    def clean_reporter_phone(self):
        from people import identity

        return identity.phone_form_clean(self.cleaned_data["reporter_phone"])

    def clean(self):
        data = super().clean()
        household, community, kind = data.get("household"), data.get("community"), data.get("kind")
        if self.is_staff and "household" not in self.errors and household is None and community is None:
            self.add_error("household", gettext("Choose the household, or at least the community."))
        place = household.community if household is not None else community
        if (
            kind is not None
            and place is not None
            and int(place.path.strip("/").split("/")[0]) != kind.street_id
        ):
            self.add_error("kind", gettext("This kind belongs to another street office's catalogue."))
        if data.get("solved_on_spot") and not (data.get("on_spot_outcome") or "").strip():
            self.add_error("on_spot_outcome", gettext("Please say what was done on the spot."))
        return data
