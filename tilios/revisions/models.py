"""The revision model shared by every editable record, talk threads and the moderation log.

A record (a place, a knowledge page…) holds its current accepted state and points at the
revision that produced it. Each revision keeps the full snapshot of the record's editable fields
and the field-level diff from its parent, so history, diffs and reverts need nothing else.
Accepted revisions form a chain numbered 1, 2, 3…; a unique constraint on the number makes a fork
impossible, even for two writers racing on two connections.
"""
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .querysets import PublishedQuerySet


class Revision(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("en attente de relecture")
        ACCEPTED = "accepted", _("acceptée")
        REJECTED = "rejected", _("refusée")

    class Kind(models.TextChoices):
        CREATE = "create", _("création")
        EDIT = "edit", _("modification")
        REVERT = "revert", _("annulation")
        IMPORT = "import", _("import")
        MERGE = "merge", _("fusion")
        SPLIT = "split", _("séparation")

    content_type = models.ForeignKey(ContentType, models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    number = models.PositiveIntegerField(_("numéro"), null=True, blank=True)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("révision de base"))
    kind = models.CharField(_("nature"), max_length=10, choices=Kind.choices, default=Kind.EDIT)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.ACCEPTED)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                               related_name="revisions", verbose_name=_("auteur"))
    source = models.ForeignKey("sources.Source", models.PROTECT, null=True, blank=True, related_name="+")
    # The name an imported wiki showed for the author: a name only, never an account here.
    imported_author = models.CharField(_("auteur importé"), max_length=255, blank=True)
    summary = models.CharField(_("résumé"), max_length=500, blank=True)
    data = models.JSONField(_("état du contenu"))
    diff = models.JSONField(_("différences"), default=dict)  # {field: [before, after]}
    created_at = models.DateTimeField(_("proposée le"), auto_now_add=True, db_index=True)
    accepted_at = models.DateTimeField(_("publiée le"), null=True, blank=True)  # knowledge time
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("relu par"))
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)
    patrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                     related_name="+")
    patrolled_at = models.DateTimeField(null=True, blank=True)
    # Its place in the change feed, given when the feed is read (tilios.revisions.changes says why).
    sequence = models.PositiveBigIntegerField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["content_type", "object_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "number"], name="one_revision_per_number"),
        ]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-number"], name="revision_chain"),
            models.Index(fields=["status", "created_at"], name="revision_queue"),
            models.Index(fields=["author", "created_at"], name="revision_author"),
        ]
        verbose_name = _("révision")

    def __str__(self):
        return f"{self.content_type.model} {self.object_id} r{self.number or '?'} ({self.status})"

    @property
    def author_name(self):
        if self.author:
            return self.author.get_username()
        if self.imported_author:
            return self.imported_author
        return self.source.name if self.source else "Tilios"


class Thread(models.Model):
    """A discussion on the talk page of a record, tagged the way the community tags its debates."""

    class Tag(models.TextChoices):
        ANALYSIS = "analyse", _("analyse")
        RISK = "risque", _("risque")
        OPPORTUNITY = "opportunite", _("opportunité")
        PROPOSAL = "proposition", _("proposition")

    content_type = models.ForeignKey(ContentType, models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    title = models.CharField(_("sujet"), max_length=200)
    tag = models.CharField(_("étiquette"), max_length=12, choices=Tag.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="threads", null=True,
                               blank=True)  # empty only for a thread imported from a wiki
    imported_author = models.CharField(_("auteur importé"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="thread_record")]
        verbose_name = _("discussion")

    @property
    def author_name(self):
        return self.author.get_username() if self.author else self.imported_author


class Message(models.Model):
    thread = models.ForeignKey(Thread, models.CASCADE, related_name="messages")
    parent = models.ForeignKey("self", models.CASCADE, null=True, blank=True, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="messages", null=True,
                               blank=True)  # empty only for a message imported from a wiki
    imported_author = models.CharField(_("auteur importé"), max_length=255, blank=True)
    body = models.TextField(_("message"))  # Markdown, rendered sanitised
    created_at = models.DateTimeField(auto_now_add=True)
    hidden_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                  related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")

    @property
    def author_name(self):
        return self.author.get_username() if self.author else self.imported_author


class ModerationAction(models.Model):
    """The audit log: who accepted, rejected, reverted, blocked, protected — when and why."""

    class Action(models.TextChoices):
        ACCEPT = "accept", _("acceptation")
        REJECT = "reject", _("refus")
        REVERT = "revert", _("annulation")
        ROLLBACK_USER = "rollback", _("annulation des modifications d'un compte")
        BLOCK = "block", _("blocage")
        UNBLOCK = "unblock", _("déblocage")
        PROTECT = "protect", _("protection")
        UNPROTECT = "unprotect", _("fin de protection")
        HIDE = "hide", _("masquage d'un message")
        ROLE = "role", _("changement de rôle")
        MANAGER = "manager", _("gestionnaire de lieu")
        PATROL = "patrol", _("relecture")
        ACTIVITY = "activity", _("rapport d’activité modifié ou supprimé")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    target_user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+")
    revision = models.ForeignKey(Revision, models.PROTECT, null=True, blank=True, related_name="+")
    content_type = models.ForeignKey(ContentType, models.PROTECT, null=True, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    reason = models.CharField(_("motif"), max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("action de modération")


class Revisable(models.Model):
    """What every record governed by revisions carries, a place apart (it has its own vocabulary of
    querysets): the accepted revision its state comes from, unpublished while its creation waits for
    review, and protected when every change must be reviewed."""

    current_revision = models.ForeignKey("revisions.Revision", models.SET_NULL, null=True, blank=True,
                                         related_name="+", editable=False)
    is_published = models.BooleanField(_("publié"), default=True, db_index=True)
    protected = models.BooleanField(_("protégé"), default=False)

    objects = PublishedQuerySet.as_manager()

    class Meta:
        abstract = True
