"""The addresses of the comments, the follows and the notifications."""

from django.urls import path

from partnership.discussion import views

urlpatterns = [
    path(
        "commentaires/<str:segment>/<int:pk>/ajouter/",
        views.comment_create,
        name="comment_create",
    ),
    path(
        "commentaires/<str:segment>/<int:pk>/personnes/",
        views.mention_candidates,
        name="mention_candidates",
    ),
    path("commentaires/<int:pk>/modifier/", views.comment_edit, name="comment_edit"),
    path("commentaires/<int:pk>/supprimer/", views.comment_delete, name="comment_delete"),
    path("commentaires/<int:pk>/masquer/", views.comment_hide, name="comment_hide"),
    path("suivre/<str:segment>/<int:pk>/", views.follow, name="follow"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/ouvrir/", views.notification_open, name="notification_open"),
    path("notifications/<int:pk>/lue/", views.notification_mark_read, name="notification_read"),
    path("notifications/tout-lu/", views.notification_mark_read, name="notification_read_all"),
]
