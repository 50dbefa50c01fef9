"""Knowledge pages: the wiki part of the commons, in Markdown, under CC BY-SA 4.0."""
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tilios.revisions.models import Revisable

LICENCE = "CC BY-SA 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by-sa/4.0/deed.fr"


class Category(models.Model):
    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(_("nom"), max_length=120)

    class Meta:
        ordering = ["name"]
        verbose_name = _("catégorie")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("web:category", args=[self.slug])


class Page(Revisable):
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=False)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte (Markdown)"), blank=True)
    categories = models.ManyToManyField(Category, related_name="pages", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("page")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("web:page", args=[self.slug])


class Redirect(models.Model):
    """An old title that leads to a page (a wiki's redirect): its links keep working."""

    slug = models.SlugField(max_length=200, unique=True)
    title = models.CharField(_("titre"), max_length=200)
    target = models.ForeignKey(Page, models.CASCADE, related_name="redirects")

    class Meta:
        verbose_name = _("redirection")


class ImportedRevision(models.Model):
    """A revision of a MediaWiki page already brought in: a re-import adds only what is new."""

    wiki = models.CharField(max_length=100)  # the dump's database name, or its site name
    mw_revision_id = models.PositiveBigIntegerField()
    mw_page_id = models.PositiveBigIntegerField()
    page = models.ForeignKey(Page, models.CASCADE, related_name="+")
    revision = models.ForeignKey("revisions.Revision", models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["wiki", "mw_revision_id"], name="one_import_per_wiki_revision")]
        indexes = [models.Index(fields=["wiki", "mw_page_id"], name="imported_wiki_page")]


class ImportedThread(models.Model):
    """A section of a MediaWiki talk page that became a thread, with the text last brought in."""

    wiki = models.CharField(max_length=100)
    mw_page_id = models.PositiveBigIntegerField()
    heading = models.CharField(max_length=200)
    thread = models.ForeignKey("revisions.Thread", models.CASCADE, related_name="+")
    text = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["wiki", "mw_page_id", "heading"], name="one_thread_per_section")]


class Training(Revisable):
    """A training offer (« Formation »): who gives it, when — on dates or on demand —, how long, for how much,
    for whom, on site or at a distance, and at which places (its page is listed on theirs). Governed like a
    page: revisions, review of new accounts, talk."""

    class Format(models.TextChoices):
        ON_SITE = "on_site", _("sur place")
        REMOTE = "remote", _("à distance")
        MIXED = "mixed", _("sur place et à distance")

    slug = models.SlugField(max_length=200, unique=True)
    title = models.CharField(_("intitulé"), max_length=200)
    provider = models.CharField(_("organisme"), max_length=200)
    description = models.TextField(_("description (Markdown)"), blank=True)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices, default=Format.ON_SITE)
    on_demand = models.BooleanField(_("à la demande"), default=False)
    starts_on = models.DateField(_("début"), null=True, blank=True)
    ends_on = models.DateField(_("fin"), null=True, blank=True)
    duration = models.CharField(_("durée"), max_length=100, blank=True)
    price = models.CharField(_("prix"), max_length=200, blank=True)
    audience = models.CharField(_("public"), max_length=300, blank=True)
    url = models.URLField(_("inscription (lien)"), max_length=500, blank=True)
    places = models.ManyToManyField("places.Place", related_name="trainings", blank=True, verbose_name=_("lieux"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_on", "title"]
        verbose_name = _("formation")
        verbose_name_plural = _("formations")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("web:training", args=[self.slug])
