"""Markdown to safe HTML, with wiki links.

`[[Titre de page]]`, `[[Titre|texte]]`, `[[lieu:ID]]` / `[[lieu:ID|texte]]` link pages and places;
`[[Catégorie:Formation]]` files the page in a category. The HTML is then cleaned by nh3 (ammonia):
no script, no event attribute, no style, only http(s)/mailto links, which get rel="nofollow ugc".
"""
import html
import re

import markdown as md
import nh3
from django.urls import reverse
from django.utils.text import slugify

WIKI_LINK = re.compile(r"\[\[([^\[\]|]{1,200})(?:\|([^\[\]]{1,200}))?\]\]")
CATEGORY_PREFIXES = ("catégorie:", "categorie:", "category:")
PLACE_PREFIX = "lieu:"

ALLOWED_TAGS = {"a", "abbr", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
                "hr", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
                "tr", "ul", "img"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "class"}, "img": {"src", "alt", "title"}, "abbr": {"title"},
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


def _link(match, existing_pages):
    target, label = match.group(1).strip(), (match.group(2) or "").strip()
    lower = target.lower()
    if lower.startswith(CATEGORY_PREFIXES):
        return ""
    if lower.startswith(PLACE_PREFIX):
        public_id = slugify(target[len(PLACE_PREFIX):])
        href = reverse("web:place", args=[public_id]) if public_id else "#"
        return f'<a class="wiki-place" href="{href}">{html.escape(label or public_id)}</a>'
    slug = slugify(target)
    if not slug:
        return html.escape(match.group(0))
    href = reverse("web:page", args=[slug])
    css = "wiki" if existing_pages is None or slug in existing_pages else "wiki new"
    return f'<a class="{css}" href="{href}">{html.escape(label or target)}</a>'


def render(text, existing_pages=None):
    """Safe HTML for Markdown `text`. `existing_pages`: slugs that exist (others show as new)."""
    source = WIKI_LINK.sub(lambda m: _link(m, existing_pages), text or "")
    raw = md.markdown(source, extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    return nh3.clean(raw, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="nofollow ugc noopener")
