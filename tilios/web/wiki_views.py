"""Knowledge pages: reading, the index and categories. Editing lives in edit_views."""
from urllib.parse import urlencode

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify

from tilios.accounts import permissions
from tilios.pages.markdown import render as markdown
from tilios.pages.models import LICENCE, LICENCE_URL, Category, Page, Redirect
from tilios.revisions.visibility import visible_to

from .records import PAGE, my_pending
from .talk_views import existing_slugs

LICENCE_CONTEXT = {"licence": LICENCE, "licence_url": LICENCE_URL}


def index(request):
    title = request.GET.get("titre", "").strip()[:200]
    if title and slugify(title):
        slug = slugify(title)[:200]
        if Page.objects.published().filter(slug=slug).exists():
            return redirect("web:page", slug)
        return redirect(reverse("web:page_edit", args=[slug]) + "?" + urlencode({"titre": title}))
    pages = Page.objects.published().order_by("title")
    categories = Category.objects.filter(pages__is_published=True).distinct().order_by("name")
    return render(request, "web/wiki/index.html", {"pages": pages, "categories": categories, **LICENCE_CONTEXT})


def page(request, slug):
    record = Page.objects.filter(slug=slug).first()
    if record is None:
        moved = Redirect.objects.filter(slug=slug).select_related("target").first()
        if moved is not None and visible_to(moved.target, request.user):
            return redirect("web:page", moved.target.slug)
    if record is None or not visible_to(record, request.user):
        return render(request, "web/wiki/missing.html", {
            "slug": slug, "title": slug.replace("-", " ").capitalize(),
            "can_create": permissions.can_contribute(request.user), **LICENCE_CONTEXT}, status=404)
    return render(request, "web/wiki/page.html", {
        "record": record, "page": record, "rtype": PAGE, "title": record.title, "tab": "read",
        "html": markdown(record.body, existing_slugs()), "categories": record.categories.order_by("name"),
        "my_pending": my_pending(record, request.user), **LICENCE_CONTEXT})


def category(request, slug):
    cat = get_object_or_404(Category, slug=slug)
    pages = cat.pages.published().order_by("title")
    return render(request, "web/wiki/category.html", {"category": cat, "pages": pages, **LICENCE_CONTEXT})
