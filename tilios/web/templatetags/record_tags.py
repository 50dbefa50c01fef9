"""The pages of any governed record (place, page, file) named the same way in templates."""
from django import template
from django.urls import NoReverseMatch

from tilios.watchlist import services as watchlist
from tilios.web.records import link

register = template.Library()


@register.simple_tag
def record_url(rtype, record, name="read", *extra):
    """`{% record_url rtype record "history" %}`: the URL of one of the record's pages; "" for a page this kind
    of record does not have (files have no Atom feed): `{% record_url … as url %}{% if url %}…`."""
    try:
        return link(rtype, name, record, *extra)
    except NoReverseMatch:
        return ""


@register.simple_tag(takes_context=True)
def watch_of(context, record):
    """The viewer's watch of `record`, or None: `{% watch_of record as watch %}`."""
    return watchlist.watch_of(context["request"].user, record)


@register.filter
def record_key(record, rtype):
    """The identifier of `record` in its URLs (a place's public id, a page's slug, a file's name)."""
    return rtype.key_of(record)
