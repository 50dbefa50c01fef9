"""ImportRun.known_on: the day the source published the file, when its records attest their places.

Runs made before this field backdated their revisions' knowledge time only: recover the date from the
earliest import revision of the run's source written during the run and published before it started.
(Then `tilios census --rebuild` rebuilds the facts from this evidence.)"""
from django.db import migrations, models
from django.utils import timezone


def recover_known_on(apps, schema_editor):
    ImportRun = apps.get_model("sources", "ImportRun")
    Revision = apps.get_model("revisions", "Revision")
    for run in ImportRun.objects.filter(known_on=None, finished_at__isnull=False):
        backdated = (Revision.objects.filter(source_id=run.source_id, kind="import", created_at__gte=run.started_at,
                                             created_at__lte=run.finished_at, accepted_at__lt=run.started_at)
                     .order_by("accepted_at").values_list("accepted_at", flat=True).first())
        if backdated is not None:
            run.known_on = timezone.localdate(backdated)
            run.save(update_fields=["known_on"])


class Migration(migrations.Migration):

    dependencies = [
        ("sources", "0007_load_source_catalogue"),
        ("revisions", "0003_activity_action"),
    ]

    operations = [
        migrations.AddField(
            model_name="importrun",
            name="known_on",
            field=models.DateField(blank=True, null=True, verbose_name="connu depuis"),
        ),
        migrations.RunPython(recover_known_on, migrations.RunPython.noop),
    ]
