"""A moderator declares, corrects and deletes a month of activity, then reads the national evaluation, in a
real headless Chromium at phone width against `tilios serve` (fixtures of tests/test_browser.py).
TILIOS_SKIP_BROWSER=1 skips."""
import datetime
import json
import os
import urllib.request

import pytest
from browsing import in_browser
from servers import in_browser_server

pytestmark = pytest.mark.skipif(os.environ.get("TILIOS_SKIP_BROWSER") == "1", reason="TILIOS_SKIP_BROWSER=1")
PASSWORD = "mot-de-passe-du-navigateur-42"
CREATE_MODERATOR = f"""
from django.contrib.auth import get_user_model
from tilios.accounts.models import Role
user = get_user_model().objects.create_user("moderatrice-navigateur", "m@example.org", "{PASSWORD}")
user.profile.role = Role.MODERATOR
user.profile.save()
"""


def test_declare_correct_delete_then_evaluate(server):
    in_browser_server("shell", "-c", CREATE_MODERATOR)
    with urllib.request.urlopen(server + "/api/places?q=SICTIAM", timeout=30) as response:
        place = json.load(response)["results"][0]["id"]
    in_browser(server, lambda w: check_activity(w, place))


def check_activity(w, place):
    page = w.page
    w.goto("/compte/connexion/")
    page.fill("input[name=username]", "moderatrice-navigateur")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    month = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    w.goto(f"/lieux/{place}/activite/declarer/")
    page.fill("input[name=period_start]", month.isoformat())
    page.fill("input[name=regular_users]", "4")
    page.fill("input[name=desk_days_used]", "30")
    page.fill("input[name=desk_days_available]", "84")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/lieux/{place}/activite/")
    row = page.locator("table.data tbody tr").first
    assert row.locator("td").nth(1).inner_text() == "4"
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 392 && !e.closest('.table-wrap'))
        .slice(0, 8).map(e => e.tagName + '.' + e.className.baseVal + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide  # wide tables scroll in their box
    assert page.locator("svg rect").count() >= 1  # the bar of that month in the chart

    row.get_by_role("link", name="modifier").click()
    page.wait_for_url("**/modifier/")
    page.fill("input[name=regular_users]", "6")
    page.fill("input[name=desk_days_used]", "90")  # above the capacity: refused, said next to the field
    page.locator("main form button[type=submit]").click()
    assert "capacité" in page.locator(".has-error").inner_text()
    w.console.clear()  # the refused form is answered 400, which the console reports
    page.fill("input[name=desk_days_used]", "40")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/lieux/{place}/activite/")
    assert page.locator("table.data tbody tr").first.locator("td").nth(1).inner_text() == "6"

    page.locator("table.data tbody tr").first.get_by_role("link", name="supprimer").click()
    page.wait_for_url("**/supprimer/")
    page.locator("main form button.danger").click()
    page.wait_for_url(f"**/lieux/{place}/activite/")
    assert "Aucun rapport" in page.locator("table.data tbody").inner_text()

    page.get_by_role("link", name="ou importer une enquête (CSV)").click()
    page.wait_for_url("**/activite/import/")
    earlier = (month - datetime.timedelta(days=1)).replace(day=1)
    survey = f"place;month;regular_users\n{place};{earlier:%Y-%m};3\n{place};{month:%Y-%m};-2\n"
    page.set_input_files("input[name=file]", files=[{"name": "enquete.csv", "mimeType": "text/csv",
                                                     "buffer": survey.encode()}])
    page.locator("main form button[type=submit]").click()
    assert "<td>3</td><td>regular_users</td>" in page.inner_html("table.import-errors")
    w.console.clear()  # answered 400
    survey = survey.replace(";-2", ";5")
    page.set_input_files("input[name=file]", files=[{"name": "enquete.csv", "mimeType": "text/csv",
                                                     "buffer": survey.encode()}])
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "2 rapport(s) créé(s)" in page.locator(".messages").inner_text()

    w.goto("/politiques/evaluation/tous-les-lieux/")
    assert page.locator("svg.evaluation-chart").count() == 2
    assert page.locator("table.bands tbody tr").count() == 5
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    w.assert_clean()
