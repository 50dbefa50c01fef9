"""How the policy API shows the archive's records: announcements, figures, programmes, promises, outcomes,
replies, timeline events — plain dicts for JSON, from what `tilios.policy.services` returns."""
from tilios.policy import services


def iso_date(value):
    return value.isoformat() if value else None


def announcement_ref(a):
    return {"id": a.pk, "made_on": iso_date(a.made_on), "title": a.title, "url": a.get_absolute_url()}


def announcement_summary(a):
    return {
        **announcement_ref(a),
        "actors": [{"id": x.pk, "name": x.name, "kind": x.kind} for x in a.actors.all()],
        "territory_code": a.territory_code,
        "programme": {"slug": a.programme.slug, "name": a.programme.name} if a.programme_id else None,
        "source": {"url": a.source_url, "title": a.source_title, "page": a.source_page, "archive_url": a.archive_url},
        "published": a.is_published,
    }


def figure_out(f):
    return {"id": f.pk, "kind": f.kind, "value": f.value, "high": f.high, "unit": f.unit, "text": f.text, "start": f.start,
            "end": f.end, "by_hand": f.by_hand, "key": f.key}


def match_out(m):
    return {"announcement": announcement_ref(m.other), "reasons": m.reasons,
            "text_similarity": round(m.text_similarity, 3), "word_overlap": round(m.word_overlap, 3),
            "shared_figures": m.shared_figures,
            "shared_passages": [list(span) for span in m.shared_passages],
            "other_passages": [list(span) for span in m.other_passages]}


def outcome_out(o):
    registry = isinstance(o, services.RegistryOutcome)
    return {"value": o.value, "measured_on": iso_date(o.measured_on), "source_url": o.source_url or None,
            "archive_url": o.archive_url or None, "method": o.method, "note": o.note, "distribution": list(o.distribution), "from_registry": registry}


def promise_out(p, verdict):
    return {
        "id": p.pk, "metric": p.metric, "target_value": p.target_value, "unit": p.unit,
        "deadline": iso_date(p.deadline), "territory_code": p.territory_code or p.announcement.territory_code,
        "programme": p.programme.slug if p.programme_id else None,
        "announcement": announcement_ref(p.announcement), "source_url": p.announcement.source_url,
        "count_from_registry": p.count_from_registry,
        "status": verdict.status, "status_label": verdict.label,
        "latest_outcome": outcome_out(verdict.latest) if verdict.latest is not None else None,
        "reached_on": iso_date(verdict.reached_on), "url": p.get_absolute_url(),
        "replies": [reply_out(r) for r in services.replies(p)],
    }


def reply_out(r):
    return {"id": r.pk, "actor": r.actor.name, "made_on": iso_date(r.made_on), "text": r.text,
            "source_url": r.source_url, "about": "outcome" if r.outcome_id else "promise", "outcome": r.outcome_id}


def programme_summary(p):
    return {"slug": p.slug, "name": p.name, "kind": p.kind, "started_on": iso_date(p.started_on),
            "ended_on": iso_date(p.ended_on), "budget_eur": float(p.budget_eur) if p.budget_eur is not None else None,
            "actors": [x.name for x in p.actors.all()], "url": p.get_absolute_url()}


def event_out(day, kind, obj):
    out = {"date": iso_date(day), "kind": kind}
    if kind == "announcement":
        out["announcement"] = announcement_ref(obj)
    elif kind == "deadline":
        out["promise"] = {"id": obj.pk, "metric": obj.metric, "target_value": obj.target_value, "unit": obj.unit,
                          "url": obj.get_absolute_url()}
    else:
        out["outcome"] = {"promise": obj.promise_id, "value": obj.value, "source_url": obj.source_url,
                          "note": obj.note}
    return out


def statuses():
    return {code: str(label) for code, label in services.STATUS_LABELS.items()}
