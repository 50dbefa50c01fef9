from django.urls import path

from . import account_views as accounts
from . import activity_views as activity
from . import archive_views as archive
from . import census_views as census
from . import (
    changes_views,
    contact_views,
    embed_views,
    media_views,
    report_views,
    source_views,
    training_views,
    views,
    watchlist_views,
)
from . import edit_views as edit
from . import moderation_views as moderation
from . import opendata_views as opendata
from . import policy_views as policy
from . import resolution_views as resolution
from . import talk_views as talk
from . import wiki_views as wiki

app_name = "web"


def record_urls(prefix, kind, key):
    """History, compare, revert, protection and talk for one kind of record."""
    k = {"kind": kind}
    return [
        path(f"{prefix}/<str:key>/historique/", edit.history, k, name=f"{kind}_history"),
        path(f"{prefix}/<str:key>/comparer/", edit.compare, k, name=f"{kind}_compare"),
        path(f"{prefix}/<str:key>/annuler/<int:revision_id>/", edit.revert, k, name=f"{kind}_revert"),
        path(f"{prefix}/<str:key>/protection/", edit.protect, k, name=f"{kind}_protect"),
        path(f"{prefix}/<str:key>/discussion/", talk.talk, k, name=f"{kind}_talk"),
        path(f"{prefix}/<str:key>/discussion/nouvelle/", talk.new_thread, k, name=f"{kind}_new_thread"),
    ]


urlpatterns = [
    path("", views.home, name="home"),
    path("lieux/nouveau/", edit.place_create, name="place_create"),
    path("lieux/<str:public_id>/", views.place, name="place"),
    path("lieux/<str:public_id>/modifier/", edit.place_edit, name="place_edit"),
    *record_urls("lieux", "place", "public_id"),
    path("lieux/<str:public_id>/sources/", resolution.place_provenance, name="place_provenance"),
    path("lieux/<str:public_id>/fusionner/", resolution.place_merge, name="place_merge"),
    path("lieux/<str:public_id>/separer/", resolution.place_split, name="place_split"),
    path("sources/", views.sources, name="sources"),
    path("sources/nouvelle/", source_views.source_create, name="source_create"),
    path("sources/<slug:slug>/modifier/", source_views.source_edit, name="source_edit"),
    path("sources/imports/", resolution.import_runs, name="import_runs"),
    path("donnees/", opendata.index, name="opendata"),
    path("embed/", embed_views.embed, name="embed"),
    path("donnees/<str:name>", opendata.download, name="opendata_download"),
    path("revue/doublons/", resolution.duplicates, name="review_duplicates"),
    path("revue/doublons/<int:candidate_id>/", resolution.duplicate_decide, name="review_decide"),
    path("revue/conflits/", resolution.conflicts, name="review_conflicts"),
    path("revue/conflits/<int:conflict_id>/", resolution.conflict_resolve, name="review_conflict_resolve"),
    path("revue/fermetures/", resolution.possibly_closed, name="review_closed"),
    path("revue/localisations/", resolution.doubtful_locations, name="review_locations"),
    path("revue/horaires/", resolution.unparsed_hours, name="review_hours"),
    path("revue/valeurs/", resolution.unrecognised_values, name="review_values"),
    path("revue/signalements/", report_views.queue, name="review_reports"),
    path("revue/signalements/<int:report_id>/", report_views.close, name="review_report_close"),
    path("lieux/<str:public_id>/signaler/", report_views.place_report, name="place_report"),
    path("lieux/<str:public_id>/courriel/", contact_views.place_email, name="place_email"),
    path("lieux/<str:public_id>/contacter/", contact_views.place_contact, name="place_contact"),
    path("suivi/", watchlist_views.watchlist, name="watchlist"),
    path("suivi/suivre/", watchlist_views.follow, name="watch_follow"),
    path("suivi/suivre-selection/", watchlist_views.follow_area, name="watch_follow_area"),
    path("suivi/<int:watch_id>/ne-plus-suivre/", watchlist_views.unfollow, name="watch_unfollow"),
    path("suivi/desabonner/<str:token>/", watchlist_views.unsubscribe, name="watch_unsubscribe"),
    path("suivi/flux/<str:token>.atom", changes_views.WatchlistFeed(), name="watch_atom"),
    path("suivi/flux/nouvelle-adresse/", watchlist_views.renew_feed, name="watch_atom_renew"),
    path("formations/", training_views.index, name="trainings"),
    path("formations/nouvelle/", edit.training_create, name="training_create"),
    path("formations/<slug:slug>/", training_views.training, name="training"),
    path("formations/<slug:slug>/modifier/", edit.training_edit, name="training_edit"),
    *record_urls("formations", "training", "slug"),
    path("fichiers/", media_views.index, name="files"),
    path("fichiers/envoyer/", media_views.upload, name="file_upload"),
    path("fichiers/<str:name>/", media_views.file_page, name="file"),
    path("fichiers/<str:name>/contenu", media_views.content, name="file_content"),
    path("fichiers/<str:name>/modifier/", edit.file_edit, name="file_edit"),
    *record_urls("fichiers", "file", "name"),
    path("revue/fusions/<int:merge_id>/annuler/", resolution.merge_undo, name="merge_undo"),
    path("lieux/<str:public_id>/activite/", activity.place_activity, name="place_activity"),
    path("lieux/<str:public_id>/activite/declarer/", activity.place_activity_new, name="place_activity_new"),
    path("lieux/<str:public_id>/activite/<int:report_id>/modifier/", activity.place_activity_edit,
         name="place_activity_edit"),
    path("lieux/<str:public_id>/activite/<int:report_id>/supprimer/", activity.place_activity_delete,
         name="place_activity_delete"),
    path("activite/import/", activity.activity_import, name="activity_import"),
    path("politiques/evaluation/tous-les-lieux/", activity.places_evaluation, name="places_evaluation"),
    path("politiques/evaluation/", activity.evaluation_index, name="evaluation_index"),
    path("politiques/programmes/<slug:slug>/evaluation/", activity.programme_evaluation, name="programme_evaluation"),
    path("recensement/", census.index, name="census"),
    path("recensement/expliquer/", census.explain, name="census_explain"),
    path("recensement/estimation/", census.estimate, name="census_estimate"),
    path("recensement/figer/", census.freeze, name="census_freeze"),
    path("recensement/definitions/publier/", census.definition_publish, name="census_definition_publish"),
    path("recensement/instantanes/<int:snapshot_id>/", census.snapshot, name="census_snapshot"),

    path("wiki/", wiki.index, name="wiki"),
    path("wiki/categorie/<slug:slug>/", wiki.category, name="category"),
    path("wiki/<slug:slug>/", wiki.page, name="page"),
    path("wiki/<slug:slug>/modifier/", edit.page_edit, name="page_edit"),
    *record_urls("wiki", "page", "slug"),

    path("politiques/", policy.overview, name="policy"),
    path("politiques/annonces/", policy.announcements, name="announcements"),
    path("politiques/annonces/nouvelle/", policy.announcement_create, name="announcement_create"),
    path("politiques/annonces/<int:pk>/", policy.announcement, name="announcement"),
    path("politiques/annonces/<int:pk>/chiffres/", policy.figure_add, name="announcement_figure_add"),
    path("politiques/annonces/<int:pk>/chiffres/<int:figure_id>/retirer/", policy.figure_remove,
         name="announcement_figure_remove"),
    path("politiques/contribuer/<str:type_name>/", archive.record_add, name="archive_add"),
    path("politiques/contribuer/<str:type_name>/<str:key>/", archive.record_edit, name="archive_edit"),
    path("politiques/recyclage/", policy.clusters, name="policy_clusters"),
    path("politiques/programmes/", policy.programmes, name="programmes"),
    path("politiques/programmes/<slug:slug>/", policy.programme, name="programme"),
    path("politiques/programmes/<slug:slug>/lieux/", policy.programme_places, name="programme_places"),
    path("politiques/programmes/<slug:slug>/chronologie/", policy.programme_timeline, name="programme_timeline"),
    path("politiques/promesses/", policy.promises, name="promises"),
    path("politiques/promesses/<int:pk>/", policy.promise, name="promise"),
    path("politiques/echecs/", policy.failures, name="policy_failures"),
    path("politiques/chronologie/", policy.timeline, name="policy_timeline"),
    path("politiques/territoires/<str:code>/chronologie/", policy.territory_timeline, name="territory_timeline"),

    path("discussion/<int:thread_id>/repondre/", talk.reply, name="talk_reply"),
    path("discussion/message/<int:message_id>/masquer/", talk.hide, name="talk_hide"),

    path("moderation/", moderation.queue, name="moderation"),
    path("moderation/revision/<int:revision_id>/accepter/", moderation.review, {"decision": "accept"},
         name="accept"),
    path("moderation/revision/<int:revision_id>/refuser/", moderation.review, {"decision": "reject"},
         name="reject"),
    path("moderation/comptes/", moderation.users, name="users"),
    path("moderation/comptes/<int:user_id>/", moderation.user_tools, name="user_tools"),
    path("moderation/comptes/<int:user_id>/annuler/", moderation.user_rollback, name="user_rollback"),
    path("moderation/comptes/<int:user_id>/bloquer/", moderation.user_block, name="user_block"),
    path("moderation/comptes/<int:user_id>/debloquer/", moderation.user_unblock, name="user_unblock"),
    path("moderation/comptes/<int:user_id>/role/", moderation.user_role, name="user_role"),
    path("moderation/comptes/<int:user_id>/gestionnaire/", moderation.user_manager, name="user_manager"),
    path("journal/", moderation.audit_log, name="audit_log"),
    path("modifications/", changes_views.recent_changes, name="changes"),
    path("modifications.atom", changes_views.ChangesFeed(), name="changes_atom"),
    path("modifications/<int:revision_id>/relue/", changes_views.patrol, name="patrol"),
    path("lieux/<str:key>/modifications.atom", changes_views.RecordChangesFeed(), {"kind": "place"},
         name="place_changes_atom"),
    path("wiki/<slug:key>/modifications.atom", changes_views.RecordChangesFeed(), {"kind": "page"},
         name="page_changes_atom"),

    path("compte/", accounts.account, name="account"),
    path("compte/inscription/", accounts.signup, name="signup"),
    path("compte/connexion/", accounts.login_view, name="login"),
    path("compte/deconnexion/", accounts.logout_view, name="logout"),
    path("compte/supprimer/", accounts.delete_account, name="delete_account"),
    path("compte/jetons/", accounts.token_create, name="token_create"),
    path("compte/jetons/<int:token_id>/revoquer/", accounts.token_revoke, name="token_revoke"),
    path("compte/mot-de-passe/", accounts.password_reset, name="password_reset"),
    path("compte/mot-de-passe/envoye/", accounts.password_reset_done, name="password_reset_done"),
    path("compte/mot-de-passe/<uidb64>/<token>/", accounts.password_reset_confirm, name="password_reset_confirm"),
    path("compte/mot-de-passe/termine/", accounts.password_reset_complete, name="password_reset_complete"),
]
