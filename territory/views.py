"""Pages of this app: thin views that parse, call a service or selector, and render."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from accounts.scope import scope_for
from linli.params import int_param
from territory.models import Level, TerritoryUnit
from territory.selectors import territory_tree, tree_rows

# A tree this small opens completely; a bigger one opens down to the groups.
SMALL_TREE_NODES = 60
# Above this many nodes only the top levels are drawn; each community links to its own subtree. A
# community (~450 units) opens whole; a district's street (~2,300) would be half a megabyte on a phone.
FULL_TREE_NODES = 1000


@login_required
def tree(request):
    """The governance tree the viewer may see, with counts, leaders and warnings on every node."""
    scope = scope_for(request.user)
    if not scope.sees_territory:
        raise Http404
    root = None
    if request.GET.get("unit"):
        unit_id = int_param(request.GET["unit"])
        if unit_id is None:
            raise Http404
        root = get_object_or_404(TerritoryUnit.objects.visible_to(request.user), pk=unit_id)
    only_warnings = request.GET.get("warnings") == "1"

    data = territory_tree(request.user, root=root)
    truncated = data.nodes > FULL_TREE_NODES
    if only_warnings or data.nodes <= SMALL_TREE_NODES:
        open_levels = None
    else:
        open_levels = {Level.STREET, Level.COMMUNITY, Level.AREA}
    max_depth = _community_depth(data) if truncated else None
    rows = tree_rows(data, only_warnings=only_warnings, open_levels=open_levels, max_depth=max_depth)
    return render(
        request,
        "territory/tree.html",
        {
            "tree": data,
            "rows": rows,
            "root": root,
            "only_warnings": only_warnings,
            "truncated": truncated,
            "is_staff": scope.is_staff,
        },
    )


def _community_depth(data) -> int:
    """Depth (from the roots) at which communities stand, so a big tree is drawn down to them."""
    if not data.roots:
        return 0
    return max(1, 1 - data.roots[0].unit.depth)
