"""Forms residents fill without an account: filing from the building's QR code, and rating the outcome."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from people import identity
from service_requests.models import ServiceKind
from service_requests.photos import MAX_PHOTOS, photo_uploads_check


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


def public_menu(street):
    """The street's service menu as residents see it: active kinds offered on the menu, in order."""
    return ServiceKind.objects.filter(street=street, active=True, on_public_menu=True).order_by(
        "sort_order", "name"
    )


class PublicFilingForm(forms.Form):
    kind = forms.ModelChoiceField(
        label=_("What is it about?"),
        queryset=ServiceKind.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": _("Please choose what it is about."),
            "invalid_choice": _("Please choose one of the services shown."),
        },
    )
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Where exactly, since when, what you see. Up to 2000 characters."),
        error_messages={"required": _("Please describe the problem.")},
    )
    photos = PhotosField(
        label=_("Photos (optional)"),
        required=False,
        widget=MultiplePhotoInput(attrs={"accept": "image/*", "capture": True}),
    )
    phone = forms.CharField(
        label=_("Your mobile number (optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("We send you updates by SMS. It is never shown on public pages."),
    )
    name = forms.CharField(
        label=_("Your name (optional)"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("You may leave your name out."),
    )

    def __init__(self, *args, street, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = public_menu(street)
        self.fields["photos"].help_text = gettext("Up to %(max)d photos, 10 MB each.") % {"max": MAX_PHOTOS}

    def clean_description(self):
        description = self.cleaned_data["description"].strip()
        if not description:
            raise forms.ValidationError(_("Please describe the problem."))
        return description

    def clean_phone(self):
        return identity.phone_form_clean(self.cleaned_data["phone"])


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How well was it handled?"),
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose from 1 to 5 stars.")},
    )
    solved = forms.TypedChoiceField(
        label=_("Is the problem solved?"),
        choices=[("yes", _("Yes, solved")), ("no", _("No, not solved"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Please say whether the problem is solved.")},
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
