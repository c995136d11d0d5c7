"""`{% my_cell_panel %}`: a resident's neighbour leader, their cell's open election and the way to put
themselves forward, for the home page or their household page (a few queries; nothing for a viewer
with no household in a cell)."""

from django import template

from leaders.selectors import my_cell

register = template.Library()


@register.inclusion_tag("leaders/_my_cell_panel.html", takes_context=True)
def my_cell_panel(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"mine": None}
    return {"mine": my_cell(user)}
