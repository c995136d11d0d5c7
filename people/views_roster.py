"""Roster import (upload → preview → confirm) and export pages (owned by the roster work)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


def _todo(request, **kwargs):
    return HttpResponse("not built yet", status=501)


roster_import = roster_import_preview = roster_import_errors = roster_export = login_required(_todo)
