"""Pages of this app: thin views that parse, call a service or selector, and render."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def tree(request):
    return HttpResponse("todo")
