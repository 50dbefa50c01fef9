"""Knowledge pages: the wiki part of the commons, in Markdown, under CC BY-SA 4.0."""
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

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


class Page(models.Model):
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=False)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte (Markdown)"), blank=True)
    categories = models.ManyToManyField(Category, related_name="pages", blank=True)
    current_revision = models.ForeignKey("revisions.Revision", models.SET_NULL, null=True, blank=True,
                                         related_name="+", editable=False)
    is_published = models.BooleanField(default=True, db_index=True)
    protected = models.BooleanField(_("protégée"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("page")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("web:page", args=[self.slug])
