"""Staff pages for a community's outbound channels (email list, WeCom/DingTalk group robot): list them
with their latest messages, add, change or switch one off, and send a test message.

Only staff who manage the community reach these pages; to anyone else they do not exist (404).
"""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scope import managed_communities, staff_scope
from linli.params import int_param
from notices import selectors_outbound as selectors
from notices import services
from notices.forms import ChannelForm
from notices.models import ChannelKind, OutboundChannel, OutboundStatus


def _list_url(community_id: int) -> str:
    return f"{reverse('notices:channel_list')}?community={community_id}"


def _community(request, communities):
    """The community named by ?community= among those the viewer manages; the only one when they
    manage one and name none; None when they must choose. Anything else is 404."""
    raw = request.GET.get("community")
    if raw:
        pk = int_param(raw)
        chosen = [c for c in communities if c.pk == pk]
        if not chosen:
            raise Http404
        return chosen[0]
    if len(communities) == 1:
        return communities[0]
    return None


def _channel(request, pk: int) -> OutboundChannel:
    staff_scope(request)
    return get_object_or_404(
        selectors.outbound_channels_managed_by(request.user).select_related("community"), pk=pk
    )


@login_required
def channel_list(request):
    staff_scope(request)
    communities = list(managed_communities(request.user).order_by("path"))
    community = _community(request, communities)
    channels = []
    if community is not None:
        channels = list(selectors.outbound_channels_of(community))
        for channel in channels:
            channel.target_display = selectors.outbound_target_display(channel)
    context = {
        "communities": communities,
        "community": community,
        "channels": channels,
        "statuses": OutboundStatus,
    }
    return render(request, "notices/channels.html", context)


def _save(request, form: ChannelForm, channel: OutboundChannel):
    """Copy the form onto the channel and save it through the service; errors go back on the form."""
    data = form.cleaned_data
    channel.name, channel.kind, channel.target = data["name"], data["kind"], data["target"]
    channel.active = data["active"]
    if data["secret"]:
        channel.secret = data["secret"]
    elif data.get("clear_secret"):
        channel.secret = ""
    try:
        return services.outbound_channel_save(actor=request.user, channel=channel)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return None


@login_required
def channel_new(request):
    staff_scope(request)
    communities = list(managed_communities(request.user).order_by("path"))
    community = _community(request, communities)
    if community is None:
        raise Http404
    form = ChannelForm(request.POST or None, initial={"kind": ChannelKind.WECOM, "active": True})
    if request.method == "POST" and form.is_valid():
        channel = _save(request, form, OutboundChannel(community=community))
        if channel is not None:
            messages.success(request, _("Channel %(name)s added.") % {"name": channel.name})
            return redirect(_list_url(community.pk))
    return render(
        request, "notices/channel_form.html", {"form": form, "community": community, "channel": None}
    )


@login_required
def channel_edit(request, pk: int):
    channel = _channel(request, pk)
    community = channel.community
    initial = {"name": channel.name, "kind": channel.kind, "target": channel.target, "active": channel.active}
    form = ChannelForm(request.POST or None, initial=initial, has_secret=bool(channel.secret))
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, copy.copy(channel))  # the page keeps the saved name on an error
        if saved is not None:
            messages.success(request, _("Channel %(name)s saved.") % {"name": saved.name})
            return redirect(_list_url(community.pk))
    return render(
        request, "notices/channel_form.html", {"form": form, "community": community, "channel": channel}
    )


@login_required
@require_POST
def channel_test(request, pk: int):
    channel = _channel(request, pk)
    message = services.outbound_channel_test(actor=request.user, channel=channel)
    if message.status == OutboundStatus.SENT:
        messages.success(request, _("Test message sent to %(name)s.") % {"name": channel.name})
    else:
        messages.error(
            request,
            _("The test message to %(name)s failed: %(error)s")
            % {"name": channel.name, "error": message.last_error},
        )
    return redirect(_list_url(channel.community_id))
