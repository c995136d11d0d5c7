from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _


class RejectNulBytesMiddleware:
    """A NUL character in a query string or form field is never meant: PostgreSQL refuses it in text
    (a 500 deep in a query), SQLite would store it. Refuse it at the door, for every page and endpoint."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.META.get("QUERY_STRING", "") or "%00" in request.META.get("QUERY_STRING", ""):
            return HttpResponseBadRequest(_("The request holds an invalid character."))
        is_form = request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
        if (
            request.method == "POST"
            and is_form
            and any("\x00" in value for _name, values in request.POST.lists() for value in values)
        ):
            return HttpResponseBadRequest(_("The request holds an invalid character."))
        return self.get_response(request)
