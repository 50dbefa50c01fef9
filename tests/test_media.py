"""Files (#14 photos, #18 item 2): an upload is judged by its content, images are scaled down and lose their
metadata, a new account's file waits for review like an edit, an image needs its text alternative, every file
has a licence, and the wiki shows them with [[Fichier:…]]."""
import hashlib
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from people import make_user
from PIL import Image

from tilios.accounts.models import Role
from tilios.media import processing, services, storage
from tilios.media.models import MediaFile
from tilios.pages.markdown import render
from tilios.places.models import Place
from tilios.revisions import services as rev
from tilios.revisions.models import Revision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]
GPS, MAKE, ORIENTATION = 0x8825, 0x010F, 0x0112


def phone_photo(size=(3000, 2000), orientation=6):
    """A JPEG as a phone writes it: sideways pixels with an orientation tag, the camera and a GPS position."""
    image = Image.new("RGB", size, (200, 120, 40))
    image.paste((20, 60, 200), (0, 0, size[0] // 3, size[1] // 3))  # a mark to tell the corners apart
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS).update({1: "N", 2: (45.0, 26.0, 24.0), 3: "E", 4: (4.0, 23.0, 24.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def pdf():
    return b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_a_phone_photo_is_turned_upright_scaled_down_and_stripped():
    data = phone_photo()
    assert b"PhoneMaker" in data and Image.open(io.BytesIO(data)).getexif().get_ifd(GPS)
    kept = processing.process(data)
    image = Image.open(io.BytesIO(kept.data))
    assert (kept.ext, kept.media_type, image.size) == ("jpg", "image/jpeg", (1067, 1600))  # upright: portrait
    assert (kept.width, kept.height) == image.size
    assert dict(image.getexif()) == {} and b"Exif" not in kept.data and b"PhoneMaker" not in kept.data
    assert max(Image.open(io.BytesIO(kept.thumb)).size) == processing.THUMB_EDGE
    # The blue mark, top-left before turning a quarter clockwise, is now top-right.
    assert image.getpixel((image.width - 10, 10))[2] > 150 and image.getpixel((10, 10))[2] < 100


@pytest.mark.parametrize("data,reason", [
    (b"", "vide"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "ni une image"),
    (b"<?php system($_GET['c']); ?>", "ni une image"),
    (b"GIF89a" + b"\x00" * 64, "ni une image"),
    (phone_photo()[:2000], "ni une image"),  # a truncated JPEG
    (b"%PDF-1.4\n1 0 obj", "PDF incomplet"),
])
def test_what_is_not_an_image_or_a_pdf_is_refused_by_its_content(data, reason):
    with pytest.raises(processing.FileRefused, match=reason):
        processing.process(data)


def test_a_decompression_bomb_and_an_oversized_file_are_refused():
    bomb = io.BytesIO()
    Image.new("1", (8000, 8000)).save(bomb, "PNG")  # 64 million pixels in a few kilobytes
    assert len(bomb.getvalue()) < 100_000
    with pytest.raises(processing.FileRefused, match="trop grande"):
        processing.process(bomb.getvalue())
    with pytest.raises(processing.FileRefused, match="trop gros"):
        processing.process(b"%PDF-" + b"0" * processing.MAX_BYTES)


@pytest.fixture
def place():
    return Place.objects.live().filter(latitude__isnull=False).first()


def upload(client, place=None, **fields):
    data = {"alt": "La grande salle de l'atelier, six établis", "caption": "L'atelier un samedi",
            "credit": "Camille", "licence": "CC-BY-4.0", "place": place.public_id if place else "", **fields}
    if "file" not in data:
        data["file"] = io.BytesIO(phone_photo())
        data["file"].name = "Photo de l'atelier.JPG"
    return client.post(reverse("web:file_upload"), data)


def test_a_new_account_s_photo_waits_for_review_then_shows_on_the_place(client, place):
    client.force_login(make_user("nouvelle-photographe", Role.CONTRIBUTOR))
    form = client.get(reverse("web:file_upload") + f"?lieu={place.public_id}")
    assert form.status_code == 200 and form.context["form"].initial["place"] == place.public_id
    response = upload(client, place)
    assert response.status_code == 302
    file = MediaFile.objects.get()
    assert (file.name, file.is_published, file.place, file.licence) == ("photo-de-latelier.jpg", False, place,
                                                                        "CC-BY-4.0")
    assert response["Location"] == file.get_absolute_url()
    assert client.get(file.get_absolute_url()).status_code == 200  # its author follows it
    client.logout()
    for url in (file.get_absolute_url(), reverse("web:file_content", args=[file.name])):
        assert client.get(url).status_code == 404  # nobody else sees it yet
    assert "photo-de-latelier" not in client.get(place.get_absolute_url()).content.decode()
    revision = Revision.objects.get(object_id=file.pk, status=Revision.Status.PENDING)
    rev.accept(revision, make_user("moderatrice-photos", Role.MODERATOR))
    page = client.get(place.get_absolute_url()).content.decode()
    thumb = reverse("web:file_content", args=[file.name]) + "?taille=vignette"
    assert thumb in page and 'alt="La grande salle de l&#x27;atelier, six établis"' in page
    served = client.get(thumb)
    assert served["Content-Type"] == "image/jpeg" and served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"] and served["Cache-Control"].startswith("public")
    image = Image.open(io.BytesIO(b"".join(served.streaming_content)))
    assert max(image.size) == processing.THUMB_EDGE and dict(image.getexif()) == {}
    shown = client.get(file.get_absolute_url()).content.decode()
    assert "CC BY 4.0" in shown and "Camille" in shown and "[[Fichier:photo-de-latelier.jpg]]" in shown


def test_an_image_needs_its_text_alternative_a_pdf_does_not(client):
    client.force_login(make_user("photographe-sure", Role.TRUSTED))
    photo = io.BytesIO(phone_photo(size=(1200, 900)))
    photo.name = "sans-texte.jpg"
    refused = upload(client, alt="  ", file=photo)
    assert refused.status_code == 400 and "texte alternatif est obligatoire" in refused.content.decode()
    kept = processing.process(photo.getvalue())
    assert MediaFile.objects.count() == 0 and not storage.exists(f"{hashlib.sha256(kept.data).hexdigest()}.jpg")
    document = io.BytesIO(pdf())
    document.name = "programme.pdf"
    assert upload(client, alt="", file=document).status_code == 302
    file = MediaFile.objects.get()
    assert (file.kind, file.media_type, file.is_published, file.name) == ("document", "application/pdf", True,
                                                                          "programme.pdf")


def test_a_script_renamed_as_a_photo_is_refused_with_its_reason(client):
    client.force_login(make_user("photographe-malin", Role.TRUSTED))
    fake = io.BytesIO(b'<svg onload="alert(1)"/>')
    fake.name = "photo.jpg"
    refused = upload(client, file=fake)
    assert refused.status_code == 400 and "ni une image JPEG, PNG ou WebP" in refused.content.decode()
    assert MediaFile.objects.count() == 0


def test_who_may_upload(client):
    assert upload(client)["Location"].startswith(reverse("web:login"))
    blocked = make_user("photographe-bloque", Role.CONTRIBUTOR, blocked=True)
    client.force_login(blocked)
    assert upload(client).status_code == 403
    with pytest.raises(rev.NotAllowed):
        services.upload(blocked, phone_photo(), "x.jpg", {"alt": "x"})
    assert MediaFile.objects.count() == 0


def test_the_description_is_edited_as_revisions_and_the_content_never_changes(client, place):
    trusted = make_user("legendiste", Role.TRUSTED)
    file, _ = services.upload(trusted, phone_photo(), "facade.jpg", {"alt": "La façade", "place": place.public_id})
    client.force_login(trusted)
    url = reverse("web:file_edit", args=[file.name])
    form = client.get(url)
    assert form.status_code == 200
    data = {**{k: v or "" for k, v in form.context["form"].initial.items()}, "caption": "Vue depuis la rue",
            "summary": "légende"}
    assert client.post(url, data).status_code == 302
    file.refresh_from_db()
    assert file.caption == "Vue depuis la rue" and file.current_revision.number == 2
    other, _ = services.upload(trusted, phone_photo(orientation=1), "autre.jpg", {"alt": "Autre"})
    with pytest.raises(ValidationError) as refused:
        rev.edit(file, {"content": other.content}, trusted, base_revision=file.current_revision_id)
    assert "content" in refused.value.message_dict
    history = client.get(reverse("web:file_history", args=[file.name])).content.decode()
    assert "légende" in history


def test_one_content_is_stored_once_under_two_names():
    trusted = make_user("doublons-photos", Role.TRUSTED)
    data = phone_photo()
    a, _ = services.upload(trusted, data, "salle.jpg", {"alt": "La salle"})
    b, _ = services.upload(trusted, data, "salle.jpg", {"alt": "La salle encore"})
    assert (a.name, b.name) == ("salle.jpg", "salle-2.jpg") and a.content == b.content
    assert services.unique_name("IMG_2041 (1).JPG", "jpg") == "img-2041-1.jpg"
    assert services.unique_name("../../etc/passwd", "png") == "passwd.png"
    assert storage.path_of(a.content).exists() and storage.path_of(a.content, thumb=True).exists()


def test_the_wiki_shows_files_by_name():
    trusted = make_user("wiki-photos", Role.TRUSTED)
    image, _ = services.upload(trusted, phone_photo(), "atelier.jpg", {"alt": "Les établis \"neufs\""})
    document, _ = services.upload(trusted, pdf(), "programme.pdf", {"caption": "Programme 2026"})
    html = render(f"Voici [[Fichier:{image.name}|L'atelier]] et [[Fichier:{document.name}]], "
                  "puis [[Fichier:absent.jpg]].")
    assert f'src="{reverse("web:file_content", args=[image.name])}"' in html
    assert 'alt="Les établis &quot;neufs&quot;"' in html and 'title="L\'atelier"' in html
    assert f'href="{reverse("web:file", args=[document.name])}"' in html and "Programme 2026 (PDF)" in html
    assert "Fichier:absent.jpg" in html and "absent.jpg/" not in html


def test_reviewers_find_a_pending_upload_in_the_queue_and_can_talk_about_it(client):
    file, revision = services.upload(make_user("debutante-photo"), phone_photo(orientation=1), "atelier.jpg",
                                     {"alt": "L'atelier vide"})
    assert revision.status == Revision.Status.PENDING
    client.force_login(make_user("relectrice-fichiers", Role.TRUSTED))
    queue = client.get(reverse("web:moderation")).content.decode()
    assert file.get_absolute_url() in queue and "L&#x27;atelier vide" in queue
    assert reverse("web:file_content", args=[file.name]) + "?taille=vignette" in queue  # the image to judge
    assert client.get(reverse("web:file_content", args=[file.name])).status_code == 200  # a reviewer sees it
    assert client.get(reverse("web:file_talk", args=[file.name])).status_code == 200
    assert client.get(reverse("web:file_history", args=[file.name])).status_code == 200


def test_the_file_pages_speak_english(client, place):
    trusted = make_user("photographe-en", Role.TRUSTED)
    file, _ = services.upload(trusted, phone_photo(orientation=1), "hall.jpg", {"alt": "The hall",
                                                                                "place": place.public_id})
    page = client.get(file.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Text alternative" in page and "In a wiki page" in page and "Texte alternatif" not in page
    client.force_login(trusted)
    shown = client.get(place.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Photos" in shown and "Add a photo" in shown and "Ajouter une photo" not in shown
    form = client.get(reverse("web:file_upload"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "File (JPEG, PNG, WebP or PDF, 10 MB at most)" in form and "Caption" in form


def test_the_api_uploads_lists_and_edits_files(client, place):
    from tilios.accounts.models import ApiToken

    token = ApiToken.issue(make_user("api-photos", Role.TRUSTED))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    photo = io.BytesIO(phone_photo(size=(800, 600)))
    photo.name = "Salle API.jpg"
    assert client.post("/api/files", {"file": photo, "alt": "x"}).status_code == 401
    photo.seek(0)
    created = client.post("/api/files", {"file": photo, "alt": "La salle vue de l'API", "credit": "Dominique",
                                         "place": place.public_id}, **auth)
    assert created.status_code == 201, created.content
    name = created.json()["record"]["id"]
    assert name == "salle-api.jpg"
    fake = io.BytesIO(b"<svg/>")
    fake.name = "x.png"
    refused = client.post("/api/files", {"file": fake, "alt": "x"}, **auth)
    assert refused.status_code == 400 and "file" in refused.json()["errors"]
    listed = client.get("/api/files", {"place": place.public_id}).json()["results"]
    assert [f["name"] for f in listed] == [name] and listed[0]["alt"] == "La salle vue de l'API"
    assert listed[0]["thumbnail_url"].endswith("?taille=vignette") and listed[0]["wiki"] == f"[[Fichier:{name}]]"
    detail = client.get(f"/api/places/{place.public_id}").json()
    assert [p["name"] for p in detail["photos"]] == [name]
    current = client.get(f"/api/files/{name}").json()["current_revision"]["id"]
    moved = client.patch(f"/api/files/{name}", json.dumps({"base_revision": current, "changes": {"content": "x"}}),
                         content_type="application/json", **auth)
    assert moved.status_code == 400 and "content" in moved.content.decode()
    captioned = client.patch(f"/api/files/{name}", json.dumps({"base_revision": current,
                                                               "changes": {"caption": "Le matin"}}),
                             content_type="application/json", **auth)
    assert captioned.status_code == 200 and client.get(f"/api/files/{name}").json()["caption"] == "Le matin"
    newcomer = ApiToken.issue(make_user("api-debutant", Role.CONTRIBUTOR))
    photo.seek(0)
    waiting = client.post("/api/files", {"file": photo, "alt": "En attente"},
                          HTTP_AUTHORIZATION=f"Bearer {newcomer}")
    assert waiting.status_code == 202
    assert client.get(f"/api/files/{waiting.json()['record']['id']}").status_code == 404
