"""Bring a MediaWiki (a Movilab) in: pages with their full history, talk pages, categories and redirects.

Reads the standard XML export (`Special:Export`, `dumpBackup.php`; plain or .bz2) with mwxml and
converts each revision's wikitext to Markdown (`wikitext.convert`). Every revision becomes an
accepted Tilios revision with its date and summary; its author is the name the wiki showed, kept as
a name (`imported_author`), never turned into an account here. Each talk-page section becomes a
thread. A re-import of a newer dump adds only the revisions it has not seen (`ImportedRevision`).
All or nothing: a file that breaks halfway leaves the database as it was (on SQLite the import commits
page by page, journaled, so the site keeps writing meanwhile: `tilios.journal`). A page edited on Tilios since its last import is not overwritten: its newer wiki
revisions are reported, not applied.
"""
import bz2
import datetime
import re
from collections import Counter
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError

import mwxml
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tilios import journal
from tilios.revisions.models import Message, Revision, Thread
from tilios.revisions.services import diff

from . import wikitext
from .editing import SPEC
from .models import Category, ImportedRevision, ImportedThread, Page, Redirect

CONTENT_NAMESPACES = {0, 4, 12}  # main, project (« Movilab: »), help
CATEGORY_NAMESPACE = 14
FILE_NAMESPACES = {-2, 6}
REDIRECT = re.compile(r"^\s*#\s*(?:REDIRECT|REDIRECTION)\s*:?\s*\[\[([^\]|#]+)", re.I)
SIGNATURE = re.compile(r"\[\[\s*(?:Utilisateur|Utilisatrice|User|Discussion utilisateur|User talk)\s*:\s*([^\]|/#]+)",
                       re.I)
INDENT = re.compile(r"^:+[ \t]*", re.M)
TALK_HEADING = re.compile(r"^==(?!=)\s*(.+?)\s*==\s*$", re.M)


class DumpError(Exception):
    """The file as a whole cannot be read: nothing of it is imported."""


@dataclass
class Summary:
    wiki: str = ""
    pages_created: int = 0
    pages_updated: int = 0
    pages_unchanged: int = 0
    revisions_added: int = 0
    revisions_known: int = 0
    threads_created: int = 0
    messages_added: int = 0
    redirects: int = 0
    categories: int = 0
    skipped: list = field(default_factory=list)  # [(title, reason)]: not imported, and why
    conversions: dict = field(default_factory=dict)  # {title: Counter of notes}, for each page's latest text
    dry_run: bool = False

    @property
    def notes(self):
        total = Counter()
        for notes in self.conversions.values():
            total.update(notes)
        return total


def _open(path):
    try:
        handle = open(path, "rb")
        if str(path).endswith(".bz2"):
            handle = bz2.BZ2File(handle)
        return handle
    except OSError as exc:
        raise DumpError(_("impossible de lire %(path)s : %(reason)s") % {
            "path": path, "reason": exc.strerror or exc}) from exc


def _when(timestamp):
    return datetime.datetime.fromtimestamp(timestamp.unix(), tz=datetime.timezone.utc)


def _author(revision):
    user = revision.user
    return (user.text if user is not None and user.text else _("(auteur masqué)"))[:255]


class _Importer:
    def __init__(self, dump, summary, step):
        self.summary, self.step = summary, step  # step(): between pages, on SQLite, other writers get in
        namespaces = {ns.id: ns.name or "" for ns in dump.site_info.namespaces or ()}
        self.namespaces = namespaces
        self.category_names = {namespaces.get(CATEGORY_NAMESPACE, "")}
        self.file_names = {namespaces.get(n, "") for n in FILE_NAMESPACES}
        self.wiki = (dump.site_info.dbname or dump.site_info.name or "wiki")[:100]
        summary.wiki = self.wiki
        self.page_type = ContentType.objects.get_for_model(Page)
        self.redirects, self.talks = [], []
        self._last_text, self._last = None, None

    def convert(self, text):
        if text != self._last_text:  # a revert or a no-change save repeats the previous text: parse once
            self._last_text = text
            self._last = wikitext.convert(text, self.category_names, self.file_names)
        return self._last

    def run(self, dump):
        for page in dump:
            if page.namespace in CONTENT_NAMESPACES:
                revisions = sorted(page, key=lambda r: (r.timestamp.unix(), r.id))
                latest = REDIRECT.match(revisions[-1].text or "") if revisions else None
                if page.redirect or latest:
                    self.redirects.append((page.title, page.redirect or latest.group(1).strip()))
                else:
                    self.page(page, revisions)
                self.step()
            elif page.namespace - 1 in CONTENT_NAMESPACES:  # a talk page: its subject may come later
                self.talks.append((page.id, page.title, page.namespace, [
                    (r.id, _author(r), _when(r.timestamp), r.text or "") for r in page]))
            elif page.namespace == CATEGORY_NAMESPACE:
                self.category(page.title.split(":", 1)[-1])
                if any((r.text or "").strip() for r in page):
                    self.summary.skipped.append((page.title, _("texte de la catégorie non importé (la catégorie "
                                                               "existe, ses pages y sont classées)")))
            else:
                label = self.namespaces.get(page.namespace) or str(page.namespace)
                self.summary.skipped.append((page.title, _("espace de noms « %(ns)s » non importé") % {"ns": label}))
                self.skip_revisions(page)
        for title, target in self.redirects:
            self.redirect(title, target)
            self.step()
        for talk in self.talks:
            self.talk(*talk)
            self.step()

    def skip_revisions(self, page):
        for _revision in page:
            pass

    def category(self, name):
        slug = slugify(name)[:120]
        if slug and Category.objects.get_or_create(slug=slug, defaults={"name": name[:120]})[1]:
            self.summary.categories += 1

    # --- pages and their history ----------------------------------------------------------------
    def page(self, page, revisions):
        title, slug = page.title, slugify(page.title)[:200]
        imported = ImportedRevision.objects.filter(wiki=self.wiki, mw_page_id=page.id)
        known = set(imported.values_list("mw_revision_id", flat=True))
        record = Page.objects.filter(slug=slug).first()
        new = [r for r in revisions if r.id not in known]
        self.summary.revisions_known += len(revisions) - len(new)
        if not slug:
            self.summary.skipped.append((title, _("titre sans lettre ni chiffre")))
            return
        if record is not None and not known:
            self.summary.skipped.append((title, _("une page Tilios porte déjà ce titre : rien n'est remplacé")))
            return
        if not new:
            self.summary.pages_unchanged += 1
            return
        if record is not None and not imported.filter(revision_id=record.current_revision_id).exists():
            self.summary.skipped.append((title, _("modifiée sur Tilios depuis le dernier import : %(n)d révision(s) "
                                                  "du wiki non appliquée(s)") % {"n": len(new)}))
            return
        created = record is None
        if created:
            record = Page.objects.create(slug=slug, title=title[:200], is_published=True)
        previous = record.current_revision
        rows, links, notes = [], [], Counter()
        data = previous.data if previous else {}
        for mw in new:
            if mw.text is None:  # text hidden on the wiki (revision deletion)
                links.append(ImportedRevision(wiki=self.wiki, mw_revision_id=mw.id, mw_page_id=page.id, page=record))
                self.summary.skipped.append((f"{title} (révision {mw.id})", _("texte masqué sur le wiki")))
                continue
            conversion = self.convert(mw.text)
            try:
                clean = SPEC.validate({"title": title, "body": conversion.markdown})
            except ValidationError as exc:
                links.append(ImportedRevision(wiki=self.wiki, mw_revision_id=mw.id, mw_page_id=page.id, page=record))
                self.summary.skipped.append((f"{title} (révision {mw.id})", "; ".join(exc.messages)))
                continue
            when = _when(mw.timestamp)
            rows.append(Revision(content_type=self.page_type, object_id=record.pk, kind=Revision.Kind.IMPORT,
                                 status=Revision.Status.ACCEPTED, imported_author=_author(mw),
                                 summary=(mw.comment or "")[:500], data=clean, diff=diff(data, clean),
                                 accepted_at=when, created_at=when))
            links.append(ImportedRevision(wiki=self.wiki, mw_revision_id=mw.id, mw_page_id=page.id, page=record,
                                          revision=rows[-1]))
            data, notes = clean, conversion.notes
        if rows:
            self.chain(record, previous, rows)
            self.summary.revisions_added += len(rows)
            self.summary.conversions[title] = notes
        for link in links:
            link.revision_id = link.revision.pk if link.revision else None
        ImportedRevision.objects.bulk_create(links)
        if created and not rows:  # nothing readable: no empty page left behind
            ImportedRevision.objects.filter(page=record).delete()
            record.delete()
            return
        if created:
            self.summary.pages_created += 1
        elif rows:
            self.summary.pages_updated += 1

    def chain(self, record, previous, rows):
        """Number the revisions after `previous`, link each to its parent, and publish the last one."""
        first = (previous.number if previous else 0) + 1
        for number, row in enumerate(rows, first):
            row.number = number
        dates = [row.created_at for row in rows]
        Revision.objects.bulk_create(rows)
        parent = previous
        for row, when in zip(rows, dates):
            row.parent, row.created_at = parent, when  # created_at: the wiki's date, not today's
            parent = row
        Revision.objects.bulk_update(rows, ["parent", "created_at"])
        SPEC.apply(record, rows[-1].data)
        Page.objects.filter(pk=record.pk).update(current_revision=rows[-1], is_published=True)

    def redirect(self, title, target):
        slug, target_slug = slugify(title)[:200], slugify(target)[:200]
        page = Page.objects.filter(slug=target_slug).first()
        if not slug or page is None:
            self.summary.skipped.append((title, _("redirection vers « %(t)s », page absente") % {"t": target}))
            return
        if Page.objects.filter(slug=slug).exists():
            self.summary.skipped.append((title, _("redirection : une page porte déjà ce titre")))
            return
        Redirect.objects.update_or_create(slug=slug, defaults={"title": title[:200], "target": page})
        self.summary.redirects += 1

    # --- talk pages ----------------------------------------------------------------------------
    def talk(self, mw_page_id, title, namespace, revisions):
        subject = title.split(":", 1)[-1]
        if namespace - 1 != 0:
            subject = f"{self.namespaces.get(namespace - 1, '')}:{subject}"
        page = Page.objects.filter(slug=slugify(subject)[:200]).first()
        if page is None or not revisions:
            self.summary.skipped.append((title, _("page de discussion sans page « %(t)s »") % {"t": subject}))
            return
        revisions.sort(key=lambda r: (r[2], r[0]))
        known = set(ImportedRevision.objects.filter(wiki=self.wiki, mw_page_id=mw_page_id)
                    .values_list("mw_revision_id", flat=True))
        new = [r for r in revisions if r[0] not in known]
        self.summary.revisions_known += len(revisions) - len(new)
        if not new:
            return
        states = [(author, when, dict(_sections(text))) for _id, author, when, text in revisions]

        def first_seen(heading, chunk):
            """Who saved `chunk` of a section first, and when: the best guess for an unsigned comment."""
            for author, when, sections in states:
                if chunk.strip() in sections.get(heading, ""):
                    return author, when
            return new[-1][1], new[-1][2]

        notes = Counter()
        for heading, body in _sections(new[-1][3]):
            if not body.strip():
                continue
            link = ImportedThread.objects.filter(wiki=self.wiki, mw_page_id=mw_page_id, heading=heading[:200]).first()
            if link is None:
                chunks = _comments(body)
                author, when = first_seen(heading, chunks[0][0])
                thread = Thread.objects.create(content_type=self.page_type, object_id=page.pk,
                                               title=(heading or _("Discussion"))[:200], tag=Thread.Tag.ANALYSIS,
                                               imported_author=chunks[0][1] or author)
                Thread.objects.filter(pk=thread.pk).update(created_at=when)
                link = ImportedThread.objects.create(wiki=self.wiki, mw_page_id=mw_page_id, heading=heading[:200],
                                                     thread=thread, text="")
                self.summary.threads_created += 1
            if link.text == body:
                continue
            added = body[len(link.text):] if body.startswith(link.text) else body
            first = link.thread.messages.filter(parent=None).first()
            for chunk, signer in _comments(added):
                author, when = first_seen(heading, chunk)
                reply = INDENT.sub("", chunk)  # a reply is its own message now: no talk-page indentation
                message = self.message(link.thread, reply, signer or author, when, notes, parent=first)
                first = first or message
            link.text = body
            link.save(update_fields=["text"])
        ImportedRevision.objects.bulk_create([ImportedRevision(wiki=self.wiki, mw_revision_id=r[0],
                                                               mw_page_id=mw_page_id, page=page) for r in new])
        if notes:
            self.summary.conversions[title] = notes

    def message(self, thread, wikitext_body, author, when, notes, parent=None):
        conversion = self.convert(wikitext_body)
        notes.update(conversion.notes)
        message = Message.objects.create(thread=thread, body=conversion.markdown or wikitext_body, parent=parent,
                                         imported_author=author)
        Message.objects.filter(pk=message.pk).update(created_at=when)
        self.summary.messages_added += 1
        return message


def _comments(body):
    """A talk section cut into comments: [(wikitext, signer or None)]; a comment ends with a signed line."""
    comments, lines = [], []
    for line in body.strip("\n").split("\n"):
        lines.append(line)
        signers = SIGNATURE.findall(line)
        if signers:
            comments.append(("\n".join(lines).strip("\n"), signers[-1].strip()[:255]))
            lines = []
    if "\n".join(lines).strip():
        comments.append(("\n".join(lines).strip("\n"), None))
    return comments or [(body, None)]


def _sections(text):
    """[(heading, body)] of a talk page: its level-2 sections; text before the first is headed ''."""
    parts = TALK_HEADING.split(text or "")
    sections = [("", parts[0])] if parts[0].strip() else []
    sections += [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
    return sections


def import_dump(path, dry_run=False):
    """Import the MediaWiki XML export at `path` (.xml or .xml.bz2). Returns a Summary.

    Raises DumpError when the file cannot be read as a dump; then nothing is written."""
    summary = Summary(dry_run=dry_run)
    handle = _open(path)
    try:
        with journal.stepwise(one_transaction=dry_run) as step:
            try:
                dump = mwxml.Dump.from_file(handle)
                importer = _Importer(dump, summary, step)
                importer.run(dump)
            except (ParseError, mwxml.errors.MalformedXML, EOFError, OSError, ValueError, TypeError) as exc:
                raise DumpError(_("%(path)s n'est pas un export MediaWiki lisible : %(reason)s") % {
                    "path": path, "reason": exc}) from exc
            if dry_run:
                transaction.set_rollback(True)
    finally:
        handle.close()
    return summary
