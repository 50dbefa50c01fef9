"""A new contributor uploads a photo of a place from a phone, a moderator sees it in the queue and accepts
it, and a visitor then finds it on the place's page — in a real headless Chromium at phone width against
`tilios serve` (fixtures of tests/test_browser.py). TILIOS_SKIP_BROWSER=1 skips."""
import io
import json
import os
import urllib.request

import pytest
from browsing import in_browser
from PIL import Image
from servers import in_browser_server

pytestmark = pytest.mark.skipif(os.environ.get("TILIOS_SKIP_BROWSER") == "1", reason="TILIOS_SKIP_BROWSER=1")
PASSWORD = "mot-de-passe-des-photos-42"
CREATE_ACCOUNTS = f"""
from django.contrib.auth import get_user_model
from tilios.accounts.models import Role
users = get_user_model().objects
users.create_user("photographe-navigateur", "p@example.org", "{PASSWORD}")
moderator = users.create_user("moderateur-photos", "m@example.org", "{PASSWORD}")
moderator.profile.role = Role.MODERATOR
moderator.profile.save()
"""
ALT = "La grande table de l'atelier, vue de l'entrée"


def test_upload_review_and_display_at_phone_width(server, tmp_path):
    in_browser_server("shell", "-c", CREATE_ACCOUNTS)
    with urllib.request.urlopen(server + "/api/places?q=bricoleuse&limit=1", timeout=30) as response:
        place = json.load(response)["results"][0]["id"]
    photo = tmp_path / "IMG_2041.jpg"
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    Image.new("RGB", (2400, 1800), (180, 140, 90)).save(buffer, "JPEG", exif=exif.tobytes())
    photo.write_bytes(buffer.getvalue())
    in_browser(server, lambda w: check_journey(w, place, photo))


def log_in(w, username):
    w.goto("/compte/connexion/")
    w.page.fill("input[name=username]", username)
    w.page.fill("input[name=password]", PASSWORD)
    w.page.locator("main form button[type=submit]").click()
    w.page.wait_for_load_state()


def check_journey(w, place, photo):
    page = w.page
    log_in(w, "photographe-navigateur")
    w.goto(f"/lieux/{place}/")
    page.click("#add-photo")
    page.set_input_files("input[name=file]", str(photo))
    page.locator("main form button[type=submit]").click()  # no text alternative: refused, said by the field
    assert "texte alternatif est obligatoire" in page.locator(".has-error").inner_text()
    w.console.clear()  # the refused form is answered 400, which the console reports
    page.set_input_files("input[name=file]", str(photo))
    page.fill("input[name=alt]", ALT)
    page.fill("input[name=credit]", "Camille")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/fichiers/img-2041.jpg/")
    assert "attend la relecture" in page.inner_text("body")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    w.page.context.clear_cookies()

    log_in(w, "moderateur-photos")
    w.goto("/moderation/")
    item = page.locator("article.pending", has=page.locator("a", has_text="img-2041.jpg"))
    thumb = item.locator("img.review-thumb")
    assert thumb.get_attribute("alt") == ALT
    assert page.evaluate("(img) => img.naturalWidth", thumb.element_handle()) == 480  # the thumbnail loaded
    item.get_by_role("button", name="Accepter").click()
    page.wait_for_load_state()
    w.page.context.clear_cookies()

    w.goto(f"/lieux/{place}/")
    shown = page.locator("section.photos img")
    assert shown.get_attribute("alt") == ALT
    page.wait_for_function("() => document.querySelector('section.photos img').complete")
    assert page.evaluate("document.querySelector('section.photos img').naturalWidth") == 480
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with urllib.request.urlopen(w.base + "/fichiers/img-2041.jpg/contenu", timeout=30) as response:
        kept = response.read()
    assert b"PhoneMaker" not in kept and max(Image.open(io.BytesIO(kept)).size) == 1600
    w.assert_clean()
