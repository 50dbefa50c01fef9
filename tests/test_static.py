"""Static files: named by their content's hash, compressed, cached for a year, collected when they change."""
import gzip
import json
import re

import brotli
import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static

from tilios.web import storage

pytestmark = pytest.mark.django_db

YEAR = 365 * 24 * 3600


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_pages_name_their_static_files_by_hash(client):
    body = client.get("/").content.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', body)
    assert assets and all(re.search(r"\.[0-9a-f]{12}\.(?:js|css|svg)$", asset) for asset in assets), assets
    # Under the plain name, nothing: a page can never mix an old script with a new stylesheet.
    assert client.get("/static/web/tilios.js").status_code == 404


def test_hashed_files_are_compressed_and_cached_for_a_year(client):
    for name in ("vendor/leaflet/leaflet.js", "web/departements.geojson", "web/site.css"):
        original = open(finders.find(name), "rb").read()
        brotli_response = client.get(static(name), HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert brotli_response["Content-Encoding"] == "br", name
        assert brotli.decompress(_body(brotli_response)) == original
        assert len(_body(brotli_response)) < len(original) / 2.5, name
        cache = brotli_response["Cache-Control"]
        assert "immutable" in cache and int(re.search(r"max-age=(\d+)", cache)[1]) >= YEAR, cache
        gzip_response = client.get(static(name), HTTP_ACCEPT_ENCODING="gzip")
        assert gzip_response["Content-Encoding"] == "gzip"
        assert gzip.decompress(_body(gzip_response)) == original
        plain = client.get(static(name))
        assert "Content-Encoding" not in plain and _body(plain) == original


def test_stylesheets_point_at_hashed_images(client):
    css = _body(client.get(static("vendor/leaflet/leaflet.css"))).decode()
    images = re.findall(r"url\(\"(images/[^\")]+)\"\)", css)
    assert images and all(re.search(r"\.[0-9a-f]{12}\.png$", image) for image in images), images
    for image in images:
        assert client.get("/static/vendor/leaflet/" + image).status_code == 200, image


def test_leaflet_default_markers_use_the_hashed_images(client):
    body = client.get("/").content.decode()
    tag = re.search(r'<script src="/static/web/leaflet-icons\.[0-9a-f]{12}\.js"([^>]*)>', body)[1]
    for attribute in ("data-icon", "data-icon2x", "data-shadow"):
        url = re.search(attribute + r'="([^"]+)"', tag)[1]
        assert re.search(r"\.[0-9a-f]{12}\.png$", url) and client.get(url).status_code == 200, url


def test_collecting_again_only_when_a_file_changed(settings, tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "extra.css").write_text("body { color: black }")
    settings.STATICFILES_DIRS = [sources]
    settings.STATIC_ROOT = tmp_path / "static"
    assert storage.collect() is True
    first = _manifest(tmp_path)["extra.css"]
    assert storage.collect() is False
    (sources / "extra.css").write_text("body { color: navy }")
    assert storage.collect() is True
    second = _manifest(tmp_path)["extra.css"]
    assert second != first and (tmp_path / "static" / second).read_text() == "body { color: navy }"


def _manifest(root):
    return json.loads((root / "static" / "staticfiles.json").read_text())["paths"]
