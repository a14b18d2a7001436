from django.urls import path

from email_channel import views

app_name = "email_channel"

urlpatterns = [
    path(
        "c/<uuid:public_id>/mails/",
        views.ConversationMailsView.as_view(),
        name="conversation_mails",
    ),
    path(
        "attachments/<uuid:public_id>/",
        views.AttachmentDownloadView.as_view(),
        name="attachment_download",
    ),
]
