"""The editable fields of a knowledge page, as revisions see them."""
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from tilios.revisions import records
from tilios.revisions.registry import Editable, check_unknown_fields, register

from .markdown import categories_of
from .models import Category, Page

FIELDS = ("title", "body")
MAX_BODY = 200_000


def snapshot(page):
    return {"title": page.title, "body": page.body}


def validate(data):
    check_unknown_fields(SPEC, data)
    errors = {}
    title = str(data.get("title") or "").replace("\x00", "").strip()
    body = str(data.get("body") or "").replace("\x00", "")
    if not title or len(title) > 200 or not slugify(title):
        errors["title"] = "un titre de 200 caractères au plus, avec au moins une lettre ou un chiffre"
    if len(body) > MAX_BODY:
        errors["body"] = f"{MAX_BODY} caractères au plus"
    if errors:
        raise ValidationError(errors)
    return {"title": title, "body": body}


def apply(page, data):
    page.title, page.body = data["title"], data["body"]
    if not page.slug:
        page.slug = slugify(page.title)[:200]
    page.save()
    categories = []
    for name in categories_of(page.body):
        slug = slugify(name)[:120]
        if slug:
            categories.append(Category.objects.get_or_create(slug=slug, defaults={"name": name[:120]})[0])
    page.categories.set(categories)


SPEC = register(Editable(model=Page, fields=FIELDS, defaults={"title": "", "body": ""}, snapshot=snapshot,
                         validate=validate, apply=apply, text_fields=("body",)))

RECORD = records.register(records.RecordType("page", Page, "slug", "title", _("page")))
