"""Reading pages for households and residents (owned by the people-pages work)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


def _todo(request, **kwargs):
    return HttpResponse("not built yet", status=501)


my_households = household_list = household_detail = household_history = login_required(_todo)
resident_history = resident_reveal = search = login_required(_todo)
