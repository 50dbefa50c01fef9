"""How to reach a place (#14 item 3): phone and e-mail read from sources and edits into one form, the phone
dialled from the page, the address never written in a page but shown on request, and a contact form that
relays to the place's managers (or its own address) behind a honeypot and rate limits."""
import csv
import functools
import json
import random

import phonenumbers
import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from people import make_user

from tilios.accounts.models import ApiToken, PlaceManager, Role
from tilios.places import contact
from tilios.places.models import Place
from tilios.revisions import services as rev
from tilios.sources import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]
run_import = functools.partial(services.run_import, auto_merge=False)
ADDRESS = "Bonjour@Comptoir-Numerique.FR"
MESSAGE = {"name": "Camille", "email": "camille@example.org",
           "message": "Avez-vous un poste libre jeudi après-midi pour une personne ?"}


@pytest.mark.parametrize("written,stored", [
    ("04 77 12 34 56", "+33477123456"),
    ("04.77.12.34.56", "+33477123456"),
    ("+33 (0)4 77 12 34 56", "+33477123456"),
    ("0033477123456", "+33477123456"),
    ("0262 12 34 56", "+262262123456"),  # La Réunion, dialled from France as a national number
    ("0692 12 34 56", "+262692123456"),
    ("0590 12 34 56", "+590590123456"),  # Guadeloupe
    ("0 800 12 34 56", "+33800123456"),
    ("04 77 12 34 56 / 06 12 34 56 78", "+33477123456"),  # several numbers: the first
    ("standard : 3960 ou 04 77 12 34 56", "+33477123456"),
    ("+41 22 123 45 67", "+41221234567"),
    ("", ""),
])
def test_phones_are_read_as_dialled_in_france(written, stored):
    assert contact.phone(written) == stored


def test_a_national_number_read_without_the_parser_is_what_the_parser_reads():
    """Every prefix of the French plan (metropolitan, mobile, special, overseas), written the usual ways,
    nationally and internationally."""
    rng = random.Random(7)
    written = []
    for prefix in range(100, 1000):
        for separator in ("", " ", ".", "-"):
            digits = f"0{prefix}" + "".join(rng.choice("0123456789") for _ in range(6))
            pairs = [digits[i:i + 2] for i in range(0, 10, 2)]
            written.append(separator.join(pairs))
        written += [f"+33 {digits[1]} " + " ".join(pairs[1:]), "+33" + digits[1:]]
    assert len(written) == 5400
    fast = [contact._parse(text) for text in written]
    slow = [contact._parse_dialled(text) for text in written]
    assert [n and phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164) for n in fast] == \
        [n and phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164) for n in slow]
    assert 1000 < sum(n is not None for n in fast) < 5400  # valid numbers and invalid ones both tried


@pytest.mark.parametrize("written", ["3960", "04 77 12", "appelez-nous", "04 77 12 34 56 78 90 12"])
def test_a_phone_that_cannot_be_read_is_named(written):
    with pytest.raises(contact.ContactError, match="illisible"):
        contact.phone(written)


def test_phones_shown_in_french_and_dialled_in_e164():
    assert contact.shown_phone("+33477123456") == {"text": "04 77 12 34 56", "tel": "tel:+33-4-77-12-34-56"}
    assert contact.shown_phone("+262262123456")["text"] == "0262 12 34 56"  # as Réunion writes it
    assert contact.shown_phone("+41221234567")["text"] == "+41 22 123 45 67"
    assert contact.shown_phone("") is None


def test_emails_keep_their_local_part_and_lower_their_domain():
    assert contact.email(" mailto:" + ADDRESS + " ") == "Bonjour@comptoir-numerique.fr"
    for bad in ("bonjour@", "bonjour chez nous", "a@b@c.fr", "x" * 250 + "@a.fr"):
        with pytest.raises(contact.ContactError):
            contact.email(bad)
    assert contact.masked_email("bonjour@comptoir.fr") == "b•••@comptoir.fr"


def write_mednum(path, rows):
    header = ["id", "nom", "adresse", "code_postal", "commune", "latitude", "longitude", "telephone", "courriel"]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *rows])


def test_the_mednum_standard_contact_columns_are_kept_and_unreadable_ones_reviewed(tmp_path, client):
    path = tmp_path / "lieux.csv"
    write_mednum(path, [
        ["c1", "Le Comptoir Test", "1 rue A", "42000", "Saint-Étienne", "45.44", "4.39", "04.77.12.34.56",
         ADDRESS],
        ["c2", "La Pause Test", "2 rue B", "42000", "Saint-Étienne", "45.45", "4.38", "04 77 12", "pause@"],
    ])
    summary = run_import("mednum", path, source="mednum-hinaura")
    assert (summary.created, summary.rejected) == (2, 0)
    good = Place.objects.get(name="Le Comptoir Test")
    assert (good.phone, good.email, good.unrecognised) == ("+33477123456", "Bonjour@comptoir-numerique.fr", {})
    bad = Place.objects.get(name="La Pause Test")
    assert (bad.phone, bad.email) == ("", "")
    assert bad.unrecognised == {"phone": ["04 77 12"], "email": ["pause@"]}
    assert client.get("/api/review/values").json()["count"] == 1
    page = client.get(bad.get_absolute_url()).content.decode()
    assert 'id="contact-unrecognised"' in page and "pause@" not in page
    # A second import of the same file changes nothing: the phone compares in its stored form.
    again = run_import("mednum", path, source="mednum-hinaura")
    assert (again.updated, again.unchanged) == (0, 2)


def test_osm_phone_and_email_tags(tmp_path):
    elements = [{"type": "node", "id": 7, "lat": 45.76, "lon": 4.83,
                 "tags": {"name": "Cowork Tel", "amenity": "coworking_space", "contact:phone": "+33 4 78 00 11 22",
                          "email": "hello@cowork.example"}}]
    path = tmp_path / "overpass.json"
    path.write_text(json.dumps({"elements": elements}), encoding="utf-8")
    assert run_import("osm", path).created == 1
    place = Place.objects.get(name="Cowork Tel")
    assert (place.phone, place.email) == ("+33478001122", "hello@cowork.example")


@pytest.fixture
def place():
    made, _ = rev.create(Place, {"name": "Le Comptoir Contact", "latitude": 45.44, "longitude": 4.39,
                                 "phone": "04 77 12 34 56", "email": ADDRESS}, None, "", system=True)
    return made


def test_the_page_dials_the_phone_and_never_prints_the_address(client, place):
    page = client.get(place.get_absolute_url()).content.decode()
    assert 'href="tel:+33-4-77-12-34-56"' in page and "04 77 12 34 56" in page
    assert "comptoir-numerique" not in page.lower() and "mailto:" not in page
    assert reverse("web:place_email", args=[place.public_id]) in page
    body = client.get(f"/api/places/{place.public_id}").json()
    assert body["contact"] == {"phone": "+33477123456", "phone_display": "04 77 12 34 56", "has_email": True,
                               "form_url": reverse("web:place_contact", args=[place.public_id])}
    assert "comptoir-numerique" not in json.dumps(body).lower()
    provenance = client.get(reverse("web:place_provenance", args=[place.public_id])).content.decode()
    assert "B•••@comptoir-numerique.fr" in provenance and "Bonjour@" not in provenance


def test_the_address_is_shown_on_a_post_with_the_page_token(place):
    browser = Client(enforce_csrf_checks=True)
    url = reverse("web:place_email", args=[place.public_id])
    assert browser.get(url).status_code == 405
    assert browser.post(url).status_code == 403  # a crawler's POST without the page's token
    page = browser.get(place.get_absolute_url())
    token = page.cookies["csrftoken"].value
    shown = browser.post(url, {"csrfmiddlewaretoken": token})
    assert shown.status_code == 200
    assert 'href="mailto:Bonjour@comptoir-numerique.fr"' in shown.content.decode()
    as_json = browser.post(url, {"csrfmiddlewaretoken": token}, HTTP_ACCEPT="application/json")
    assert as_json.json() == {"email": "Bonjour@comptoir-numerique.fr"}


def test_showing_addresses_is_rate_limited(client, place):
    url = reverse("web:place_email", args=[place.public_id])
    answers = [client.post(url, HTTP_ACCEPT="application/json").status_code for _ in range(31)]
    assert answers[:30] == [200] * 30 and answers[30] == 429


def test_a_place_without_address_has_no_reveal(client):
    bare, _ = rev.create(Place, {"name": "Sans Courriel", "phone": "0612345678"}, None, "", system=True)
    assert client.post(reverse("web:place_email", args=[bare.public_id])).status_code == 404
    page = client.get(bare.get_absolute_url()).content.decode()
    assert "06 12 34 56 78" in page and reverse("web:place_contact", args=[bare.public_id]) not in page
    assert client.get(reverse("web:place_contact", args=[bare.public_id])).status_code == 404


def test_the_form_writes_to_the_managers_with_the_sender_to_reply_to(client, place):
    admin = make_user("admin-contact", Role.ADMIN)
    PlaceManager.objects.create(user=make_user("gerante-contact"), place=place, linked_by=admin)
    url = reverse("web:place_contact", args=[place.public_id])
    assert url in client.get(place.get_absolute_url()).content.decode()
    form = client.get(url)
    assert form.status_code == 200 and 'name="website"' in form.content.decode()
    response = client.post(url, {**MESSAGE, "name": "Camille\r\nBcc: victime@example.org"}, follow=True)
    assert response.redirect_chain[-1][0] == place.get_absolute_url()
    assert "Message envoyé" in response.content.decode()
    [sent] = mail.outbox
    assert sent.to == ["gerante-contact@example.org"] and sent.bcc == [] and sent.cc == []
    assert sent.reply_to == [MESSAGE["email"]] and place.name in sent.subject
    assert MESSAGE["message"] in sent.body and "Camille Bcc: victime@example.org" in sent.body
    assert "http://testserver" + place.get_absolute_url() in sent.body


def test_without_managers_the_form_writes_to_the_place_address(client, place):
    client.post(reverse("web:place_contact", args=[place.public_id]), MESSAGE)
    [sent] = mail.outbox
    assert sent.to == ["Bonjour@comptoir-numerique.fr"] and sent.reply_to == [MESSAGE["email"]]


def test_bots_and_bad_messages_send_nothing(client, place):
    url = reverse("web:place_contact", args=[place.public_id])
    assert client.post(url, {**MESSAGE, "website": "http://spam.example"}).status_code == 400
    assert client.post(url, {**MESSAGE, "email": "pas une adresse"}).status_code == 400
    refused = client.post(url, {**MESSAGE, "message": "court"})
    assert refused.status_code == 400 and "message" in refused.context["form"].errors
    assert mail.outbox == []


def test_one_sender_and_one_place_are_rate_limited(client, place):
    url = reverse("web:place_contact", args=[place.public_id])
    answers = [client.post(url, MESSAGE).status_code for _ in range(6)]
    assert answers == [302] * 5 + [429] and len(mail.outbox) == 5
    # Many senders together: the place's inbox takes 20 a day.
    answers = [Client(REMOTE_ADDR=f"10.0.0.{i}").post(url, MESSAGE).status_code for i in range(1, 17)]
    assert answers == [302] * 15 + [429] and len(mail.outbox) == 20


def test_a_mail_server_down_says_the_message_did_not_leave(client, place, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    response = client.post(reverse("web:place_contact", args=[place.public_id]), MESSAGE)
    assert response.status_code == 400 and "n’a pas pu partir" in response.content.decode()


def test_edits_write_the_phone_in_one_form_and_name_a_bad_one(client, place):
    client.force_login(make_user("contact-editeur", Role.TRUSTED))
    url = reverse("web:place_edit", args=[place.public_id])
    form = client.get(url)
    assert form.context["form"].initial["phone"] == "04 77 12 34 56"
    data = {k: v for k, v in form.context["form"].initial.items() if v is not None}
    data.update({"base_revision": place.current_revision_id, "links": "", "alternate_names": "", "kinds": [],
                 "phone": "06 12 34 56 78", "summary": "nouveau numéro"})
    assert client.post(url, data).status_code == 302
    place.refresh_from_db()
    assert place.phone == "+33612345678"
    assert place.current_revision.diff["phone"] == ["+33477123456", "+33612345678"]
    refused = client.post(url, {**data, "base_revision": place.current_revision_id, "phone": "06 12"})
    assert refused.status_code in (400, 409) and "illisible" in refused.content.decode()
    token = ApiToken.issue(make_user("contact-api", Role.TRUSTED))
    patched = client.patch(f"/api/places/{place.public_id}",
                           json.dumps({"base_revision": place.current_revision_id, "changes": {"email": "nope"}}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert patched.status_code == 400 and "email" in patched.content.decode()


def test_exports_carry_the_phone_as_a_tel_uri_and_no_address(client, place):
    text = b"".join(client.get("/api/exports/lieux.csv").streaming_content).decode()
    assert "tel:+33477123456" in text and "bonjour@" not in text.lower()


def test_the_contact_section_speaks_english(client, place):
    PlaceManager.objects.create(user=make_user("manager-en"), place=place, linked_by=make_user("admin-en", Role.ADMIN))
    page = client.get(place.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Show the address" in page and "Write to the place" in page and "Phone" in page
    assert "Afficher l’adresse" not in page and "Écrire au lieu" not in page
    form = client.get(reverse("web:place_contact", args=[place.public_id]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Your e-mail" in form.content.decode() and "Votre courriel" not in form.content.decode()


def test_history_comparisons_and_the_api_never_give_the_address_away(client, place):
    """The place's e-mail address is revisioned: its history shows it masked, as the API's revisions do."""
    moderator = make_user("contact-moderation", Role.MODERATOR)
    rev.edit(place, {"email": "accueil@tiers-lieu-secret.fr"}, moderator, "nouvelle adresse",
             place.current_revision_id)
    place.refresh_from_db()
    history = client.get(reverse("web:place_history", args=[place.public_id])).content.decode()
    first, last = place.current_revision.parent_id, place.current_revision_id
    compared = client.get(reverse("web:place_compare", args=[place.public_id]), {"r": [first, last]})
    for page in (history, compared.content.decode()):
        assert "accueil@" not in page and "bonjour@" not in page.lower()
    assert "a•••@tiers-lieu-secret.fr" in compared.content.decode()
    client.force_login(moderator)
    for url in (f"/api/revisions/{last}", f"/api/revisions/compare?from={first}&to={last}"):
        body = json.dumps(client.get(url).json(), ensure_ascii=False)
        assert "a•••@tiers-lieu-secret.fr" in body and "accueil@" not in body and "bonjour@" not in body.lower(), url
