from django.urls import path

from helpcentre import views

app_name = "helpcentre"

urlpatterns = [
    path("help/", views.HelpIndexView.as_view(), name="index"),
    path("help/<slug:slug>/", views.ArticleView.as_view(), name="article"),
    path("contact/", views.ContactView.as_view(), name="contact"),
    path("contact/suggestions/", views.ContactSuggestView.as_view(), name="contact-suggestions"),
    path("contact/answered/", views.ContactAnsweredView.as_view(), name="contact-answered"),
    path("contact/sent/", views.ContactSentView.as_view(), name="contact-sent"),
]
