import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tilios.places import queries
from tilios.places.presenters import place_summary


class Command(BaseCommand):
    help = ("Les lieux les plus proches d'un point : tilios near LAT LON [-k N] [--kind K] "
            "[--open-now | --open-at AAAA-MM-JJTHH:MM]")

    def add_arguments(self, parser):
        parser.add_argument("lat", type=float)
        parser.add_argument("lon", type=float)
        parser.add_argument("-k", type=int, default=10, help="nombre de lieux (10 par défaut)")
        parser.add_argument("--kind", action="append", default=[], help="type de lieu (répétable)")
        parser.add_argument("--radius", type=float, help="rayon maximal en km")
        parser.add_argument("--format", choices=["table", "json"], default="table")
        when = parser.add_mutually_exclusive_group()
        when.add_argument("--open-now", action="store_true", help="seulement les lieux ouverts maintenant")
        when.add_argument("--open-at", metavar="DATE_HEURE",
                          help="seulement les lieux ouverts à cette date et heure ISO (sans décalage : "
                               "heure locale de chaque lieu)")

    def handle(self, lat, lon, k, kind, radius, format, open_now=False, open_at=None, **options):
        if k < 1:
            raise CommandError("-k : au moins 1")
        try:
            moment = queries.parse_moment(open_at) if open_at else timezone.now() if open_now else None
            places = queries.page(queries.search(kinds=kind), limit=k, near=queries.parse_point(f"{lat},{lon}"),
                                  radius_km=None if radius is None else queries.parse_radius(radius),
                                  open_at=moment).places
        except (queries.QueryError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if format == "json":
            self.stdout.write(json.dumps([place_summary(p) for p in places], ensure_ascii=False, indent=1))
            return
        for place in places:
            kinds = ",".join(place.kind_codes) or "-"
            self.stdout.write(f"{place.distance_km:8.2f} km  {place.public_id}  {place.name}  ({place.town}; {kinds})")
        if not places:
            self.stdout.write("aucun lieu trouvé")
