"""Talk pages: tagged threads with threaded replies on every place and knowledge page."""
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from tilios.accounts import permissions
from tilios.pages.markdown import render as markdown
from tilios.pages.models import LICENCE, LICENCE_URL, Page, Redirect
from tilios.revisions import talk as talk_pages
from tilios.revisions.models import Message, Thread
from tilios.revisions.visibility import visible_to

from .common import add_errors, contributor_required, rate_limited, role_required
from .forms import HideForm, ReplyForm, ThreadForm
from .records import TYPES, find, link, title_of, type_of


def existing_slugs():
    """Slugs a wiki link may point at: published pages and the old titles that redirect to them."""
    pages = set(Page.objects.published().values_list("slug", flat=True))
    return pages | set(Redirect.objects.filter(target__is_published=True).values_list("slug", flat=True))


def _tree(thread, moderator, slugs):
    """The thread's messages as a tree: each message gets `.html`, `.children` and `.shown`."""
    by_parent = {}
    for message in thread.messages.all():
        message.shown = message.hidden_by_id is None or moderator
        message.html = markdown(message.body, slugs) if message.shown else ""
        by_parent.setdefault(message.parent_id, []).append(message)
    for siblings in by_parent.values():
        for message in siblings:
            message.children = by_parent.get(message.pk, [])
    return by_parent.get(None, [])


def talk(request, kind, key):
    rtype = TYPES[kind]
    record = find(rtype, key, request.user)
    return _talk_page(request, rtype, record, ThreadForm())


def _talk_page(request, rtype, record, form, status=200):
    tag = request.GET.get("etiquette", "")
    threads = Thread.objects.filter(content_type=ContentType.objects.get_for_model(record), object_id=record.pk)
    if tag in Thread.Tag.values:
        threads = threads.filter(tag=tag)
    else:
        tag = ""
    threads = list(threads.select_related("author").prefetch_related("messages__author")[:200])
    moderator = permissions.can_moderate(request.user)
    slugs = existing_slugs()
    for thread in threads:
        thread.roots = _tree(thread, moderator, slugs)
    return render(request, "web/talk/talk.html", {
        "record": record, "rtype": rtype, "title": title_of(record), "threads": threads, "tag": tag,
        "tags": Thread.Tag.choices, "form": form, "reply_form": ReplyForm(), "tab": "talk",
        "can_write": permissions.can_contribute(request.user), "moderator": moderator,
        "licence": LICENCE if rtype.name == "page" else None, "licence_url": LICENCE_URL,
    }, status=status)


@require_POST
@contributor_required
@rate_limited("message")
def new_thread(request, kind, key):
    rtype = TYPES[kind]
    record = find(rtype, key, request.user)
    form = ThreadForm(request.POST)
    if form.is_valid():
        try:
            thread = talk_pages.start_thread(record, request.user, form.cleaned_data["title"], form.cleaned_data["tag"],
                                      form.cleaned_data["body"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Discussion ouverte."))
            return redirect(link(rtype, "talk", record) + f"#fil-{thread.pk}")
    return _talk_page(request, rtype, record, form, status=400)


def _thread_record(thread, user):
    record = thread.record
    if record is None or not visible_to(record, user):
        from django.http import Http404

        raise Http404
    return type_of(record), record


@require_POST
@contributor_required
@rate_limited("message")
def reply(request, thread_id):
    thread = get_object_or_404(Thread, pk=thread_id)
    rtype, record = _thread_record(thread, request.user)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(link(rtype, "talk", record) + f"#fil-{thread.pk}")
    parent = None
    if form.cleaned_data.get("parent"):
        parent = Message.objects.filter(pk=form.cleaned_data["parent"], thread=thread).first()
    try:
        message = talk_pages.reply(thread, request.user, form.cleaned_data["body"], parent=parent)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(link(rtype, "talk", record) + f"#fil-{thread.pk}")
    return redirect(link(rtype, "talk", record) + f"#message-{message.pk}")


@require_POST
@role_required(permissions.can_moderate, _l("Seuls les modérateurs masquent un message."))
def hide(request, message_id):
    message = get_object_or_404(Message.objects.select_related("thread"), pk=message_id)
    rtype, record = _thread_record(message.thread, request.user)
    form = HideForm(request.POST)
    form.is_valid()
    talk_pages.hide_message(message, request.user, form.cleaned_data.get("reason") or "")
    messages.success(request, _("Message masqué."))
    return redirect(link(rtype, "talk", record) + f"#message-{message.pk}")
