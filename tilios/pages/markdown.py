"""Markdown to safe HTML, with wiki links.

`[[Titre de page]]`, `[[Titre|texte]]`, `[[lieu:ID]]` / `[[lieu:ID|texte]]` link pages and places;
`[[Catégorie:Formation]]` files the page in a category; a place link shows the place's name;
`[[Fichier:nom.jpg]]` / `[[Fichier:nom.jpg|légende]]` shows an uploaded image with its text alternative
(a PDF: a link to it; a file unknown or not yet published: its name, unlinked). Bare
http(s) addresses become links. The HTML is then cleaned by nh3 (ammonia): no script, no event
attribute, no style, only http(s)/mailto links, which get rel="nofollow ugc"; an image without a text
alternative is dropped (it would say nothing to a screen reader, and often points nowhere).
"""
import html
import re

import markdown as md
import nh3
from django.urls import reverse
from django.utils.text import slugify

from tilios.media.models import MediaFile
from tilios.places.models import Place, place_url

WIKI_LINK = re.compile(r"\[\[([^\[\]|]{1,200})(?:\|([^\[\]]{1,200}))?\]\]")
CATEGORY_PREFIXES = ("catégorie:", "categorie:", "category:")
PLACE_PREFIX = "lieu:"
FILE_PREFIXES = ("fichier:", "file:", "image:")
BARE_URL = re.compile(r"https?://[^\s<>\"'`]+")
TRAILING = ".,;:!?»)"
SKIP_TAGS = ("a", "code", "pre")  # text already linked, or shown as code
IMG = re.compile(r"<img\b[^>]*>")
ALT = re.compile(r'\salt="[^"]*[^"\s][^"]*"')

ALLOWED_TAGS = {"a", "abbr", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
                "hr", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
                "tr", "ul", "img"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "class"}, "img": {"src", "alt", "title", "width", "height"},
                      "abbr": {"title"},
                      "td": {"align"}, "th": {"align"}}


def categories_of(text):
    names = []
    for target, _label in WIKI_LINK.findall(text or ""):
        target = target.strip()
        if target.lower().startswith(CATEGORY_PREFIXES):
            name = target.split(":", 1)[1].strip()
            if name and name not in names:
                names.append(name)
    return names


def _place_names(text):
    ids = {slugify(target[len(PLACE_PREFIX):]) for target, _label in WIKI_LINK.findall(text or "")
           if target.strip().lower().startswith(PLACE_PREFIX)}
    if not ids:
        return {}
    return dict(Place.objects.published().filter(public_id__in=ids).values_list("public_id", "name"))


def _files(text):
    names = {target.split(":", 1)[1].strip().lower() for target, _label in WIKI_LINK.findall(text or "")
             if target.strip().lower().startswith(FILE_PREFIXES)}
    if not names:
        return {}
    return {f.name: f for f in MediaFile.objects.published().filter(name__in=names)}


def _file(target, label, files):
    file = files.get(target.split(":", 1)[1].strip().lower())
    if file is None:
        return html.escape(label or target)
    page = reverse("web:file", args=[file.name])
    if not file.is_image:
        return f'<a class="wiki-file" href="{page}">{html.escape(label or file.caption or file.name)} (PDF)</a>'
    src = reverse("web:file_content", args=[file.name])
    title = f' title="{html.escape(label or file.caption, quote=True)}"' if label or file.caption else ""
    return (f'<a class="wiki-file" href="{page}"><img src="{src}" alt="{html.escape(file.alt, quote=True)}"{title}'
            f' width="{file.width}" height="{file.height}"></a>')


def _link(match, existing_pages, places, files):
    target, label = match.group(1).strip(), (match.group(2) or "").strip()
    lower = target.lower()
    if lower.startswith(CATEGORY_PREFIXES):
        return ""
    if lower.startswith(FILE_PREFIXES):
        return _file(target, label, files)
    if lower.startswith(PLACE_PREFIX):
        public_id = slugify(target[len(PLACE_PREFIX):].strip())
        if public_id not in places:  # unknown or unpublished: the text stays, with no link to a 404
            return html.escape(label or target)
        href = place_url(public_id)
        return f'<a class="wiki-place" href="{href}">{html.escape(label or places[public_id])}</a>'
    slug = slugify(target)
    if not slug:
        return html.escape(match.group(0))
    href = reverse("web:page", args=[slug])
    css = "wiki" if existing_pages is None or slug in existing_pages else "wiki new"
    return f'<a class="{css}" href="{href}">{html.escape(label or target)}</a>'


def _linkify(fragment):
    def link(match):
        url = match.group(0)
        trail = ""
        while url and url[-1] in TRAILING and not (url[-1] == ")" and url.count("(") >= url.count(")")):
            url, trail = url[:-1], url[-1] + trail
        return f'<a href="{url}">{url}</a>{trail}'

    return BARE_URL.sub(link, fragment)


def _link_bare_urls(markup):
    """Bare addresses in the text of `markup` (HTML) become links; not inside a link or code."""
    out, depth = [], 0
    for piece in re.split(r"(<[^>]+>)", markup):
        if piece.startswith("<"):
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", piece)
            if name and name.group(1).lower() in SKIP_TAGS and not piece.endswith("/>"):
                depth += -1 if piece.startswith("</") else 1
            out.append(piece)
        else:
            out.append(piece if depth > 0 else _linkify(piece))
    return "".join(out)


def render(text, existing_pages=None):
    """Safe HTML for Markdown `text`. `existing_pages`: slugs that exist (others show as new)."""
    places, files = _place_names(text), _files(text)
    source = WIKI_LINK.sub(lambda m: _link(m, existing_pages, places, files), text or "")
    raw = md.markdown(source, extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    clean = nh3.clean(_link_bare_urls(raw), tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                      url_schemes={"http", "https", "mailto"}, link_rel="nofollow ugc noopener")
    return IMG.sub(lambda m: m.group(0) if ALT.search(m.group(0)) else "", clean)
