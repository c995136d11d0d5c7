"""Editing pages for households and residents (owned by the registry-editing work)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


def _todo(request, **kwargs):
    return HttpResponse("not built yet", status=501)


household_create = household_edit = household_status = resident_create = resident_edit = login_required(_todo)
