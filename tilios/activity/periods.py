"""Periods of activity reports: months, dates given by users, today."""
import calendar
import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

COUNT_FIELDS = ("regular_users", "occasional_visits", "desk_days_used", "desk_days_available", "events")
OPTIONAL_COUNTS = ("desk_days_used", "desk_days_available")
TREND_MONTHS = 6
# Rural / urban: INSEE's historical rule (« commune rurale » = fewer than 2 000 inhabitants), applied to
# the commune's own population since the unités urbaines and the 2020 density grid are not loaded.
RURAL_POPULATION = 2000
# The rules and group names below are data of every evaluation (JSON, CSV, CLI: French); pages translate them.
RURAL_RULE = gettext_noop("rural = commune de moins de 2 000 habitants (population municipale de la commune, "
                          "règle historique de l’INSEE ; la grille communale de densité n’est pas chargée)")
EMPTY_RULE = gettext_noop("vide la plupart du temps = plus de la moitié des mois déclarés de la fenêtre sans "
                          "aucune activité")
COST_RULE = gettext_noop("budget du programme ÷ somme, sur les lieux à l’activité connue, de la statistique "
                         "d’usagers réguliers du barème (médiane mensuelle sur la fenêtre)")
UNKNOWN = "unknown"
UNKNOWN_LABEL = gettext_noop("activité inconnue")


# --- dates ---------------------------------------------------------------------------------------

def add_months(day, n):
    index = day.year * 12 + day.month - 1 + n
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def month_end(day):
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


# Reporting windows reach years back from a date: outside these years they leave the calendar.
FIRST_DAY, LAST_DAY = datetime.date(1900, 1, 1), datetime.date(2199, 12, 31)


def check_date(day, name="on"):
    """`day` itself, or a ValidationError naming `name` when it lies outside FIRST_DAY..LAST_DAY."""
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError({name: _("date hors limites « %(value)s » (entre %(first)s et %(last)s)")
                               % {"value": day.isoformat(), "first": FIRST_DAY.isoformat(),
                                  "last": LAST_DAY.isoformat()}})
    return day


def parse_date(value, name="on"):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return check_date(value, name)
    try:
        day = datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({name: _("date invalide « %(value)s » (attendu AAAA-MM-JJ)") % {"value": str(value)[:40]}})
    return check_date(day, name)


def today():
    return timezone.localdate()

