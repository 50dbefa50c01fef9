"""The forms of the governance pages. Validation of content stays in the revision specs."""
import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from tilios.accounts.models import Role
from tilios.accounts.names import PSEUDONYM_PREFIX, is_reserved
from tilios.media.models import DEFAULT_LICENCE, MediaFile
from tilios.pages import trainings
from tilios.pages.models import Training
from tilios.places import contact, taxonomy
from tilios.places import editing as place_editing
from tilios.places.models import Kind, Place, Report, public_id_in
from tilios.revisions.models import Thread
from tilios.sources.licences import LICENCES

try:  # the three markers of the 2018 report, when the place model has them
    from tilios.places.models import MARKERS
except ImportError:  # pragma: no cover
    MARKERS = {}

MAX_LINES_FIELD = 20000


class HoneypotMixin(forms.Form):
    """A field people never see (hidden by CSS); bots fill it."""

    website = forms.CharField(label=_("Ne pas remplir ce champ"), required=False, max_length=200,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))

    def clean_website(self):
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("envoi refusé"))
        return ""


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class PlaceForm(HoneypotMixin):
    name = forms.CharField(label=_("Nom"), max_length=200)
    alternate_names = forms.CharField(label=_("Autres noms (un par ligne)"), required=False,
                                      max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    kinds = forms.MultipleChoiceField(label=_("Types"), required=False, widget=forms.CheckboxSelectMultiple)
    markers = forms.MultipleChoiceField(label=_("Marqueurs d’un tiers-lieu"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    presence = forms.ChoiceField(label=_("Présence"), choices=Place.Presence.choices)
    mobility = forms.ChoiceField(label=_("Mobilité"), choices=Place.Mobility.choices)
    status = forms.ChoiceField(label=_("Statut"), choices=Place.Status.choices)
    opened_on = forms.DateField(label=_("Ouvert le"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    closed_on = forms.DateField(label=_("Fermé le (ou fermeture prévue)"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    temporary = forms.BooleanField(label=_("Lieu temporaire"), required=False)
    address = forms.CharField(label=_("Adresse"), max_length=300, required=False)
    postcode = forms.CharField(label=_("Code postal"), max_length=10, required=False)
    town = forms.CharField(label=_("Ville"), max_length=200, required=False)
    declared_commune_code = forms.CharField(label=_("Code INSEE de la commune"), max_length=5, required=False)
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    links = forms.CharField(label=_("Liens (une adresse http(s) par ligne)"), required=False, max_length=12000,
                            widget=forms.Textarea(attrs={"rows": 3}))
    description = forms.CharField(label=_("Description"), required=False, max_length=MAX_LINES_FIELD,
                                  widget=forms.Textarea(attrs={"rows": 6}))
    capacity = forms.IntegerField(label=_("Capacité (postes)"), required=False, min_value=0, max_value=100000)
    opening_hours = forms.CharField(label=_("Horaires (syntaxe OpenStreetMap)"), max_length=255, required=False,
                                    help_text=_("par exemple : Mo-Fr 09:00-12:00,14:00-18:00; Sa 10:00-12:00; "
                                                "PH off (PH : jours fériés)"))
    opening_hours_unparsed = forms.CharField(
        label=_("Horaires non reconnus (donnés par une source)"), max_length=1000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("à réécrire dans le champ « Horaires » ci-dessus, ce qui vide celui-ci"))
    services = forms.MultipleChoiceField(label=_("Services et équipements"), required=False,
                                         widget=forms.CheckboxSelectMultiple)
    access = forms.MultipleChoiceField(label=_("Conditions d’accès"), required=False,
                                       widget=forms.CheckboxSelectMultiple)
    prices = forms.CharField(label=_("Tarifs"), max_length=500, required=False,
                             help_text=_("par exemple : journée 15 €, mois 180 €, adhésion 20 € par an"))
    audiences = forms.MultipleChoiceField(label=_("Publics accueillis"), required=False,
                                          widget=forms.CheckboxSelectMultiple)
    wheelchair = forms.ChoiceField(label=_("Accès en fauteuil roulant"), required=False,
                                   choices=[("", _("non renseigné"))] + Place._meta.get_field("wheelchair").choices)
    phone = forms.CharField(label=_("Téléphone"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
                            help_text=_("par exemple : 04 77 12 34 56, ou +262 262 12 34 56"))
    email = forms.EmailField(label=_("Courriel du lieu"), required=False,
                             help_text=_("jamais écrit dans les pages : affiché sur demande, et le formulaire de "
                                         "contact y écrit quand le lieu n’a pas de gestionnaire sur Tilios"))
    unrecognised_read = forms.BooleanField(
        label=_("Valeurs non reconnues relues (les retirer de la fiche)"), required=False,
        help_text=_("une source a donné des valeurs qu’aucun terme ne désigne : cochez ci-dessus les termes qui "
                    "conviennent, puis cette case"))
    summary = forms.CharField(label=_("Résumé de la modification"), max_length=500, required=False)
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, base_links=(), language="fr", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kinds"].choices = [(k.code, k.shown_label) for k in Kind.objects.order_by("position")]
        for name in taxonomy.VOCABULARIES:
            self.fields[name].choices = taxonomy.choices(name, language)
        if "initial" in kwargs and not (kwargs["initial"] or {}).get("unrecognised"):
            del self.fields["unrecognised_read"]  # nothing a source gave is waiting to be read
        if "markers" in place_editing.FIELDS and MARKERS:
            self.fields["markers"].choices = [(code, label) for code, label in MARKERS.items()]
        else:
            del self.fields["markers"]
        self.base_kinds = {link["url"]: link.get("kind", "web") for link in base_links if isinstance(link, dict)}

    @property
    def content_fields(self):
        return [name for name in place_editing.FIELDS if name in self.fields]

    def data_for_revision(self):
        """The cleaned form as the JSON values the place's revisions hold."""
        c = self.cleaned_data
        data = {}
        for name in self.content_fields:
            value = c.get(name)
            if name == "alternate_names":
                value = _lines(value)
            elif name == "links":
                value = [{"kind": self.base_kinds.get(url, "web"), "url": url} for url in _lines(value)]
            elif name in ("opened_on", "closed_on"):
                value = value.isoformat() if value else None
            elif name in ("kinds", "markers", *taxonomy.VOCABULARIES):
                value = sorted(value or [])
            elif isinstance(value, str):
                value = value.strip()
            data[name] = value
        if c.get("unrecognised_read"):
            data["unrecognised"] = {}
        return data

    @staticmethod
    def initial_from(data):
        initial = dict(data)
        initial["alternate_names"] = "\n".join(data.get("alternate_names") or [])
        initial["links"] = "\n".join(link.get("url", "") if isinstance(link, dict) else str(link)
                                     for link in data.get("links") or [])
        for name in ("opened_on", "closed_on"):
            if data.get(name):
                initial[name] = datetime.date.fromisoformat(data[name])
        if data.get("phone"):
            initial["phone"] = contact.shown_phone(data["phone"])["text"]
        return initial


class PageForm(HoneypotMixin):
    title = forms.CharField(label=_("Titre"), max_length=200)
    body = forms.CharField(label=_("Texte (Markdown)"), required=False, max_length=200_000,
                           widget=forms.Textarea(attrs={"rows": 18}),
                           help_text=_("[[Titre d’une page]], [[lieu:identifiant]], [[Catégorie:Formation]]"))
    summary = forms.CharField(label=_("Résumé de la modification"), max_length=500, required=False)
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)
    content_fields = ("title", "body")

    def data_for_revision(self):
        return {"title": self.cleaned_data["title"].strip(), "body": self.cleaned_data.get("body") or ""}


class RevertForm(forms.Form):
    base_revision = forms.IntegerField(widget=forms.HiddenInput)
    summary = forms.CharField(label=_("Résumé"), max_length=500, required=False)


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class ProtectForm(forms.Form):
    protected = forms.BooleanField(required=False)
    reason = forms.CharField(label=_("Motif"), max_length=500, required=False)


class ThreadForm(HoneypotMixin):
    title = forms.CharField(label=_("Sujet"), max_length=200)
    tag = forms.ChoiceField(label=_("Étiquette"), choices=Thread.Tag.choices)
    body = forms.CharField(label=_("Message (Markdown)"), max_length=20000, widget=forms.Textarea(attrs={"rows": 5}))


class ReplyForm(HoneypotMixin):
    body = forms.CharField(label=_("Réponse (Markdown)"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))
    parent = forms.IntegerField(widget=forms.HiddenInput, required=False)


class HideForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), max_length=500, required=False)


class SignupForm(HoneypotMixin, UserCreationForm):
    email = forms.EmailField(label=_("Adresse e-mail"), max_length=254,
                             help_text=_("pour réinitialiser votre mot de passe ; jamais publiée"))

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_username(self):
        username = super().clean_username()
        if username and is_reserved(username):
            raise forms.ValidationError(
                _("les noms commençant par « %(prefix)s » sont réservés aux comptes supprimés : choisissez-en un "
                  "autre"), params={"prefix": PSEUDONYM_PREFIX.rstrip("-")}, code="reserved")
        return username

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("un compte utilise déjà cette adresse"))
        return email


class DeleteAccountForm(forms.Form):
    password = forms.CharField(label=_("Mot de passe"), max_length=200, widget=forms.PasswordInput)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Nom du jeton"), max_length=100)


class RollbackForm(forms.Form):
    since = forms.DateTimeField(label=_("Depuis le"),
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"])
    block_days = forms.IntegerField(label=_("Bloquer pour (jours, 0 = ne pas bloquer)"), min_value=0,
                                    max_value=3650, initial=0, required=False)
    reason = forms.CharField(label=_("Motif"), max_length=500)


class BlockForm(forms.Form):
    days = forms.IntegerField(label=_("Durée (jours)"), min_value=1, max_value=3650, initial=1)
    reason = forms.CharField(label=_("Motif"), max_length=500)


class UnblockForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), max_length=500, required=False)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Rôle"), choices=[c for c in Role.choices if c[0] != Role.READER])
    reason = forms.CharField(label=_("Motif"), max_length=500, required=False)


class ManagerForm(forms.Form):
    place = forms.CharField(label=_("Identifiant du lieu"), max_length=12)
    reason = forms.CharField(label=_("Motif"), max_length=500, required=False)

    def clean_place(self):
        place = Place.objects.filter(public_id=self.cleaned_data["place"].strip().lower()).first()
        if place is None:
            raise forms.ValidationError(_("aucun lieu n’a cet identifiant"))
        return place


class SourceForm(forms.Form):
    """A source as an administrator describes it; the checks are `tilios.sources.registry`'s."""
    slug = forms.CharField(label=_("Identifiant"), max_length=60,
                           help_text=_("minuscules, chiffres et tirets ; c'est le --source des imports"))
    name = forms.CharField(label=_("Nom"), max_length=200)
    publisher = forms.CharField(label=_("Éditeur"), max_length=200, required=False)
    url = forms.CharField(label=_("Adresse de la source"), max_length=500, required=False)
    licence = forms.ChoiceField(label=_("Licence"))
    attribution = forms.CharField(label=_("Mention d'attribution"), max_length=500, required=False,
                                  help_text=_("à citer en réutilisant les données ; par défaut « éditeur — nom »"))
    data_date = forms.CharField(label=_("Date de publication des données (AAAA-MM-JJ)"), max_length=10,
                                required=False, widget=forms.DateInput(attrs={"type": "date"}))
    priority = forms.IntegerField(label=_("Priorité"), min_value=0, max_value=1000, initial=50,
                                  help_text=_("la plus grande l'emporte quand les sources divergent"))
    description = forms.CharField(label=_("Description"), max_length=5000, required=False, widget=forms.Textarea)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["licence"].choices = [
            (code, f"{licence.name}" + (_(" — partage à l'identique") if licence.share_alike else ""))
            for code, licence in LICENCES.items()]
        if editing:
            del self.fields["slug"]


class DefinitionForm(forms.Form):
    """A census definition or its next version, as an administrator writes it; `census.definitions` checks it."""
    slug = forms.SlugField(label=_("Identifiant"), max_length=60,
                           help_text=_("celui d'une définition existante pour en publier une nouvelle version"))
    name = forms.CharField(label=_("Nom"), max_length=200)
    text = forms.CharField(label=_("Texte (Markdown)"), max_length=20000, widget=forms.Textarea,
                           help_text=_("ce qui est compté et pourquoi, en mots : c'est ce que lit le public"))
    criteria = forms.CharField(label=_("Critères (JSON)"), max_length=5000, widget=forms.Textarea(attrs={"rows": 8}),
                               help_text=_("par exemple {\"kinds_any\": [\"coworking\"], \"include_untyped\": false}"))
    changelog = forms.CharField(label=_("Ce qui change"), max_length=2000, required=False, widget=forms.Textarea(
        attrs={"rows": 3}), help_text=_("obligatoire pour une nouvelle version"))

    def clean_criteria(self):
        import json

        try:
            value = json.loads(self.cleaned_data["criteria"])
        except ValueError as exc:
            raise forms.ValidationError(_("JSON illisible : %(e)s") % {"e": exc}) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("un objet de critères est attendu"))
        return value


class ReportForm(HoneypotMixin):
    kind = forms.ChoiceField(label=_("Ce qui ne va pas"), choices=Report.Kind.choices, widget=forms.RadioSelect)
    message = forms.CharField(label=_("Ce que vous savez"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5}),
                              help_text=_("Par exemple : « fermé depuis mars 2024 », « les horaires ont changé ». "
                                          "Une source (lien, article) aide les relecteurs."))
    email = forms.EmailField(label=_("Votre courriel (facultatif)"), required=False,
                             help_text=_("pour qu’on puisse vous répondre ; jamais publié"))


class ContactForm(HoneypotMixin):
    """A message to a place, relayed by e-mail: the sender's address goes in Reply-To, never in a page."""
    name = forms.CharField(label=_("Votre nom"), max_length=100)
    email = forms.EmailField(label=_("Votre courriel"), help_text=_("le lieu vous répondra à cette adresse"))
    message = forms.CharField(label=_("Message"), min_length=10, max_length=3000,
                              widget=forms.Textarea(attrs={"rows": 6}))


class _FileDescription(HoneypotMixin):
    alt = forms.CharField(label=_("Texte alternatif"), max_length=300, required=False,
                          help_text=_("obligatoire pour une image : ce qu’elle montre, pour qui ne la voit pas "
                                      "(« la grande salle de l’atelier, six établis »)"))
    caption = forms.CharField(label=_("Légende"), max_length=500, required=False)
    credit = forms.CharField(label=_("Auteur ou crédit"), max_length=200, required=False,
                             help_text=_("qui a pris la photo ou fait le document"))
    licence = forms.ChoiceField(label=_("Licence"), choices=MediaFile._meta.get_field("licence").choices,
                                initial=DEFAULT_LICENCE,
                                help_text=_("vous devez avoir le droit de publier ce fichier sous cette licence"))
    place = forms.CharField(label=_("Lieu (identifiant Tilios)"), max_length=12, required=False)
    summary = forms.CharField(label=_("Résumé de la modification"), max_length=500, required=False)

    content_fields = ("alt", "caption", "credit", "licence", "place")

    def data_for_revision(self):
        return {name: (self.cleaned_data.get(name) or "").strip() or (None if name == "place" else "")
                for name in self.content_fields}


class FileUploadForm(_FileDescription):
    file = forms.FileField(label=_("Fichier (JPEG, PNG, WebP ou PDF, 10 Mo au plus)"),
                           widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,"
                                                                            "application/pdf"}))
    field_order = ["file", "alt", "caption", "credit", "licence", "place", "summary"]


class FileForm(_FileDescription):
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TrainingForm(HoneypotMixin):
    title = forms.CharField(label=_("Intitulé"), max_length=200)
    provider = forms.CharField(label=_("Organisme"), max_length=200)
    format = forms.ChoiceField(label=_("Format"), choices=Training.Format.choices)
    on_demand = forms.BooleanField(label=_("À la demande (sans dates fixes)"), required=False)
    starts_on = forms.DateField(label=_("Début"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(label=_("Fin"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    duration = forms.CharField(label=_("Durée"), max_length=100, required=False,
                               help_text=_("par exemple : 3 jours (21 h)"))
    price = forms.CharField(label=_("Prix"), max_length=200, required=False,
                            help_text=_("par exemple : gratuit pour les demandeurs d’emploi, 450 € sinon"))
    audience = forms.CharField(label=_("Public"), max_length=300, required=False)
    url = forms.CharField(label=_("Inscription (lien)"), max_length=500, required=False)
    places = forms.CharField(label=_("Lieux (un identifiant ou une adresse de fiche par ligne)"), required=False,
                             max_length=3000, widget=forms.Textarea(attrs={"rows": 3}))
    description = forms.CharField(label=_("Description (Markdown)"), required=False, max_length=20000,
                                  widget=forms.Textarea(attrs={"rows": 8}))
    summary = forms.CharField(label=_("Résumé de la modification"), max_length=500, required=False)
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    content_fields = trainings.FIELDS

    def data_for_revision(self):
        c = self.cleaned_data
        data = {name: (c.get(name) or "").strip() for name in ("title", "provider", "duration", "price", "audience",
                                                                "url", "description")}
        data.update(format=c["format"], on_demand=bool(c.get("on_demand")),
                    starts_on=c["starts_on"].isoformat() if c.get("starts_on") else None,
                    ends_on=c["ends_on"].isoformat() if c.get("ends_on") else None,
                    places=sorted({public_id_in(line) for line in _lines(c.get("places"))}))
        return data

    @staticmethod
    def initial_from(data):
        initial = dict(data)
        initial["places"] = "\n".join(data.get("places") or [])
        for name in ("starts_on", "ends_on"):
            if data.get(name):
                initial[name] = datetime.date.fromisoformat(data[name])
        return initial
