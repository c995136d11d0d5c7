from django.urls import path

from notices import views, views_channels

app_name = "notices"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.mark_read, name="mark_read"),
    # A community's outbound channels: email, WeCom/DingTalk group robots (notices/views_channels.py)
    path("channels/", views_channels.channel_list, name="channel_list"),
    path("channels/new/", views_channels.channel_new, name="channel_new"),
    path("channels/<int:pk>/", views_channels.channel_edit, name="channel_edit"),
    path("channels/<int:pk>/test/", views_channels.channel_test, name="channel_test"),
]
