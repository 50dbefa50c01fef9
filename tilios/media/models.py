"""Files contributors upload — photos of places, images and PDF documents of wiki pages — under a licence."""
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tilios.revisions.models import Revisable

# The licences a contributor may choose for their file: (label, URL). CC BY-SA, the wiki's, by default.
LICENCES = {
    "CC-BY-SA-4.0": ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/deed.fr"),
    "CC-BY-4.0": ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/deed.fr"),
    "CC0-1.0": ("CC0 1.0 (domaine public)", "https://creativecommons.org/publicdomain/zero/1.0/deed.fr"),
    "etalab-2.0": ("Licence Ouverte 2.0", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"),
}
DEFAULT_LICENCE = "CC-BY-SA-4.0"


class MediaFile(Revisable):
    """One uploaded file. Its content is fixed at upload (stored once, named by its SHA-256, see
    media.storage); what is said of it — text alternative, caption, credit, licence, place — is edited
    through revisions like a place, so a new account's upload waits for review before anyone sees it."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("image")
        DOCUMENT = "document", _("document PDF")

    name = models.CharField(_("nom"), max_length=150, unique=True)  # « atelier-facade.jpg », for [[Fichier:…]]
    content = models.CharField(_("contenu"), max_length=80)  # « <sha256>.<ext> » in media.storage
    kind = models.CharField(_("nature"), max_length=10, choices=Kind.choices)
    media_type = models.CharField(_("type MIME"), max_length=40)
    size = models.PositiveIntegerField(_("taille (octets)"))
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)

    alt = models.CharField(_("texte alternatif"), max_length=300, blank=True)
    caption = models.CharField(_("légende"), max_length=500, blank=True)
    credit = models.CharField(_("auteur ou crédit"), max_length=200, blank=True)
    licence = models.CharField(_("licence"), max_length=20, default=DEFAULT_LICENCE,
                               choices=[(code, label) for code, (label, _url) in LICENCES.items()])
    place = models.ForeignKey("places.Place", models.SET_NULL, null=True, blank=True, related_name="files",
                              verbose_name=_("lieu"))

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("fichier")
        verbose_name_plural = _("fichiers")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("web:file", args=[self.name])

    @property
    def is_image(self):
        return self.kind == self.Kind.IMAGE

    @property
    def licence_label(self):
        return LICENCES.get(self.licence, (self.licence, ""))[0]

    @property
    def licence_url(self):
        return LICENCES.get(self.licence, ("", ""))[1]
