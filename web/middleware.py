from django.conf import settings
from django.http import HttpResponseBadRequest
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin
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


class ChosenLanguageMiddleware(MiddlewareMixin):
    """Chinese unless the user chose English with the language switch (the `django_language` cookie that
    Django's set_language view sets). The browser's Accept-Language is ignored on purpose: a community
    worker's phone set to English still wants the Chinese the street works in.

    Takes the place of django.middleware.locale.LocaleMiddleware; the project has no language URL
    prefixes (i18n_patterns) and Django keeps no language in the session since 4.0, so the cookie is all
    there is to read. Pages then vary on Cookie, not on Accept-Language."""

    def process_request(self, request):
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def chosen_language(request) -> str:
    """The supported language the request's cookie names, else the site's own (settings.LANGUAGE_CODE)."""
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie:
        try:
            return translation.get_supported_language_variant(cookie)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE
