"""The policy archive's operations: figures, recycled announcements, promise statuses, timelines."""
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tilios.census.services import facts
from tilios.revisions import services as revisions
from tilios.revisions.models import Revision

from . import figures as figures_mod
from . import recycling
from .models import Announcement, Figure, Promise, Reply, TextSignature


def refresh_index(announcement):
    """Re-extract the automatic figures (hand-made ones stay) and the text signature."""
    with transaction.atomic():
        announcement.figures.filter(by_hand=False).delete()
        Figure.objects.bulk_create(
            Figure(announcement=announcement, kind=f.kind, value=f.value, high=f.high, unit=f.unit, text=f.text[:200],
                   start=f.start, end=f.end, key=f.key())
            for f in figures_mod.extract(announcement.text, on=announcement.made_on))
        TextSignature.objects.filter(announcement=announcement).delete()
        signature = recycling.minhash(recycling.shingles(announcement.text))
        TextSignature.objects.bulk_create(TextSignature(announcement=announcement, band=band, hash=value)
                                          for band, value in recycling.band_hashes(signature))


def on_published(sender, record, revision, **kwargs):
    refresh_index(record)


def add_figure(announcement, kind, value, unit, text="", user=None):
    """A figure added or corrected by hand, kept across re-extractions."""
    figure = figures_mod.Figure(kind, float(value), unit, text, 0, 0)
    return Figure.objects.create(announcement=announcement, kind=kind, value=float(value), unit=unit[:40],
                                 text=text[:200], by_hand=True, key=figure.key())


def remove_figure(figure):
    """Take a wrong figure off an announcement (an automatic one comes back if the text is re-extracted)."""
    figure.delete()


def propose_announcement(data, user, summary=""):
    """A new announcement through the revisions (live for trusted contributors, pending otherwise),
    with the earlier announcements it repeats, found at once. A pending one is indexed too, so its
    author sees the candidates; `recycled` only ever returns published announcements."""
    record, revision = revisions.create(Announcement, data, user, summary)
    if revision.status != Revision.Status.ACCEPTED:
        refresh_index(record)
    return record, revision, recycled(record)


YEARS = range(1900, 2201)  # the years an announcement can be filtered on (dates outside are typos)


def filter_announcements(qs, actor=None, territory=None, programme=None, year=None, q=None):
    """The announcement filters of the list pages and the API: actor (id or part of the name),
    territory code, programme slug, year, words of the title or text."""
    if actor:
        actor = str(actor).strip()
        if actor.isdigit():  # an id: one beyond the engines' integers names no actor
            qs = qs.filter(actors__pk=int(actor)) if len(actor) <= 18 else qs.none()
        else:
            qs = qs.filter(actors__name__icontains=actor)
    if territory:
        qs = qs.filter(territory_code=str(territory).strip())
    if programme:
        qs = qs.filter(programme__slug=str(programme).strip())
    if year:
        if int(year) not in YEARS:
            raise ValidationError({"year": _("une année entre %(first)d et %(last)d")
                                   % {"first": YEARS[0], "last": YEARS[-1]}})
        qs = qs.filter(made_on__year=int(year))
    if q:
        for word in str(q).split()[:10]:
            qs = qs.filter(Q(title__icontains=word) | Q(text__icontains=word))
    return qs.distinct()


def recycled(announcement, limit=20):
    """Earlier (or same-day) announcements that say the same thing as `announcement`, best first."""
    bands = list(announcement.bands.values_list("band", "hash"))
    by_text = Q()
    for band, value in bands:
        by_text |= Q(band=band, hash=value)
    candidates = set()
    if bands:
        candidates |= set(TextSignature.objects.filter(by_text).exclude(announcement=announcement)
                          .values_list("announcement_id", flat=True))
    figures = list(announcement.figures.all())  # prefetched by clusters()
    mine = [f.key for f in figures]
    keys = [k for k in mine if not k.startswith(("year:", "deadline:"))]
    if len(keys) >= 2:
        sharing = (Figure.objects.filter(key__in=keys).exclude(announcement=announcement)
                   .values("announcement_id").annotate(n=Count("key", distinct=True)).filter(n__gte=2))
        candidates |= {row["announcement_id"] for row in sharing}
    common = _common_figures(mine)
    restated = _restated_targets(announcement, figures, common)
    candidates |= set(restated)
    matches = []
    others = Announcement.objects.published().filter(pk__in=candidates, made_on__lte=announcement.made_on)
    for other in others.prefetch_related("figures"):
        match = recycling.compare(announcement.text, mine, other.text, [f.key for f in other.figures.all()], common)
        if match is None and other.pk in restated:
            match = recycling.restatement(announcement.text, other.text, *restated[other.pk])
        elif match is not None and other.pk in restated:
            match.reasons.extend(sorted(restated[other.pk][1]))
        if match:
            match.other = other
            matches.append(match)
    matches.sort(key=lambda m: (-max(m.text_similarity, len(m.shared_figures) / 10), m.other.made_on))
    return matches[:limit]


def _restated_targets(announcement, figures, common):
    """{earlier announcement id: (its figure keys that `announcement` quotes again, reasons)}.

    A real reprise restates one figure — the target (« 300 fabriques », « 100 Manufactures ») — among the
    new figures of its own news, so one shared uncommon count or amount is enough here, when the texts also
    speak of the same thing (`recycling.restatement` checks their lemmas). Reason « promesse »: the figure
    is the target of a promise still pending on `announcement`'s date, of the same programme or by a shared
    actor. A target whose deadline had passed is left out: a new wave of 80 after the 80 promised for last
    year is news, not a reprise. Reason « chiffre »: any other figure of an announcement of the same
    programme (announcements that made no recorded promise are repeated too). Across programmes a plain
    figure is no evidence: actors as broad as « the government » quote the same populations (« 13 millions
    de Français ») for different things."""
    mine = {f.key: f for f in figures if f.kind in ("count", "amount") and f.high is None and f.key not in common}
    if not mine or announcement.pk is None:
        return {}
    programme = announcement.programme_id
    related = Q(announcement__actors__in=announcement.actors.all(), announcement__promises__isnull=False)
    if programme:
        related |= Q(announcement__programme_id=programme) | Q(announcement__promises__programme_id=programme)
    same = {key: _same_figure_keys(f) for key, f in mine.items()}
    keys = set().union(*same.values())
    found = list(Figure.objects.filter(related, key__in=keys, high__isnull=True, announcement__is_published=True,
                                       announcement__made_on__lte=announcement.made_on)
                 .exclude(announcement=announcement).select_related("announcement").distinct())
    targets, programmes = {}, {f.announcement_id: {f.announcement.programme_id} for f in found}
    for promise in Promise.objects.published().filter(announcement__in=programmes):
        targets.setdefault((promise.announcement_id, promise.target_value), []).append(promise)
        programmes[promise.announcement_id].add(promise.programme_id)
    restated = {}
    for target in found:
        made = targets.get((target.announcement_id, target.value), [])
        pending = [p for p in made if p.deadline is None or p.deadline >= announcement.made_on]
        if made and not pending or not made and not (programme and programme in programmes[target.announcement_id]):
            continue
        keys_found, reasons = restated.setdefault(target.announcement_id, (set(), set()))
        keys_found.update(key for key, also in same.items() if target.key in also)
        reasons.add("promesse" if made else "chiffre")
    return restated


def _same_figure_keys(figure):
    """The keys an earlier figure may carry to be `figure` said again: the same kind and value, the same unit
    or none on either side (« 100 Manufactures de proximité » and « les 100 tiers-lieux labellisés »)."""
    if figure.unit and figure.kind == "count":
        return {figure.key, f"count:{figures_mod.plain(figure.value)}:"}
    if figure.kind == "count":
        return {f"count:{figures_mod.plain(figure.value)}:{unit}" for unit in ("", *figures_mod.UNITS)}
    return {figure.key}


def _common_figures(keys):
    """Those of `keys` that more than 1 % of the archive carries (and at least 20 announcements):
    boilerplate such as « communes de moins de 3 500 habitants », no evidence of a reprise."""
    floor = max(20, Announcement.objects.count() // 100)
    return {row["key"] for row in Figure.objects.filter(key__in=set(keys)).values("key")
            .annotate(n=Count("announcement", distinct=True)).filter(n__gt=floor)}


def clusters():
    """Groups of announcements linked by recycling (each at least two), newest group first."""
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    announcements = {a.pk: a for a in Announcement.objects.published().prefetch_related("figures")}
    for announcement in announcements.values():
        for match in recycled(announcement):
            parent[find(announcement.pk)] = find(match.other.pk)
    groups = {}
    for pk in parent:
        groups.setdefault(find(pk), []).append(announcements[pk])
    result = [sorted(g, key=lambda a: a.made_on) for g in groups.values() if len(g) > 1]
    return sorted(result, key=lambda g: g[-1].made_on, reverse=True)


# --- Promise statuses -----------------------------------------------------------------------------

class Status:
    NOT_YET_DUE = "not_yet_due"
    IN_PROGRESS = "in_progress"
    KEPT = "kept"
    KEPT_LATE = "kept_late"
    PARTIALLY_KEPT = "partially_kept"
    BROKEN = "broken"
    UNVERIFIABLE = "unverifiable"


STATUS_LABELS = {
    Status.NOT_YET_DUE: _("pas encore échue"),
    Status.IN_PROGRESS: _("en cours"),
    Status.KEPT: _("tenue"),
    Status.KEPT_LATE: _("tenue en retard"),
    Status.PARTIALLY_KEPT: _("partiellement tenue"),
    Status.BROKEN: _("non tenue"),
    Status.UNVERIFIABLE: _("invérifiable"),
}
PARTIAL_SHARE = 0.5
STATUS_RULE = _(
    "On juge les résultats, pas les intentions. Avant l'échéance : « pas encore échue » sans résultat "
    "mesuré, « en cours » si un résultat est mesuré sans atteindre la cible (jamais compté comme tenu). "
    "Cible atteinte au plus tard à l'échéance : « tenue » ; atteinte après : « tenue en retard ». "
    "Échéance passée sans cible atteinte : « partiellement tenue » si le dernier résultat atteint au moins "
    "la moitié de la cible, « non tenue » sinon, « invérifiable » si aucun résultat n'a été mesuré.")


@dataclass
class Verdict:
    status: str
    label: str
    latest: object  # Outcome or a registry count, or None
    reached_on: datetime.date | None


@dataclass
class RegistryOutcome:
    """An outcome counted from the places of the promise's programme in the registry."""

    value: float
    measured_on: datetime.date
    source_url: str = ""
    archive_url: str = ""
    note: str = "compté d'après les lieux du programme dans le registre Tilios"
    method: str = "comptage du registre"
    distribution: tuple = ()


def linked_places(programme):
    """The programme's links to published places, with their dates, by the places' names."""
    return (programme.place_links.filter(place__is_published=True).select_related("place", "place__commune")
            .order_by("place__name", "place_id"))


def outcomes(promise, today=None):
    found = list(promise.outcomes.published().order_by("measured_on", "id"))
    if promise.count_from_registry and promise.programme_id:
        today = today or timezone.localdate()
        day = min(promise.deadline or today, today)
        places = promise.programme.places_on(day).values("pk")
        value = facts(day, today).filter(place__in=places).count()
        found.append(RegistryOutcome(float(value), day))
        found.sort(key=lambda o: o.measured_on)
    return found


def status(promise, today=None):
    today = today or timezone.localdate()
    measured = outcomes(promise, today)
    latest = measured[-1] if measured else None
    reached = next((o for o in measured if o.value >= promise.target_value), None)
    deadline = promise.deadline
    if reached is not None:
        code = Status.KEPT if deadline is None or reached.measured_on <= deadline else Status.KEPT_LATE
    elif deadline is None or today <= deadline:
        code = Status.IN_PROGRESS if latest is not None else Status.NOT_YET_DUE
    elif latest is None:
        code = Status.UNVERIFIABLE
    elif latest.value >= PARTIAL_SHARE * promise.target_value:
        code = Status.PARTIALLY_KEPT
    else:
        code = Status.BROKEN
    return Verdict(code, str(STATUS_LABELS[code]), latest, reached.measured_on if reached else None)


def promises(actor=None, status_code=None, today=None):
    qs = (Promise.objects.published().select_related("announcement", "programme")
          .prefetch_related("announcement__actors", "outcomes"))
    if actor:
        qs = qs.filter(Q(announcement__actors__name__icontains=actor) | Q(programme__actors__name__icontains=actor)
                       ).distinct()
    rows = [(p, status(p, today)) for p in qs]
    if status_code:
        rows = [(p, v) for p, v in rows if v.status == status_code]
    return rows


def timeline(programme=None, territory_code=None):
    """Announcements, promises and outcomes in date order."""
    events = []
    announcements = Announcement.objects.published()
    if programme is not None:
        announcements = announcements.filter(programme=programme)
    if territory_code:
        announcements = announcements.filter(territory_code=territory_code)
    for a in announcements:
        events.append((a.made_on, "announcement", a))
        for p in a.promises.published():
            if p.deadline:
                events.append((p.deadline, "deadline", p))
            for o in p.outcomes.published():
                events.append((o.measured_on, "outcome", o))
    return sorted(events, key=lambda e: (e[0], ["announcement", "outcome", "deadline"].index(e[1])))


def past_failures(today=None):
    """Broken promises, with their evidence (the outcomes) — the « échecs passés » page."""
    return [(p, v) for p, v in promises(today=today) if v.status == Status.BROKEN]


def replies(promise):
    """The published answers of actors about a promise and its outcomes (right of reply), oldest first."""
    return (Reply.objects.published().filter(Q(promise=promise) | Q(outcome__promise=promise))
            .select_related("actor").order_by("made_on", "id"))
