"""The managers linked before watchlists existed follow their places, as new ones do (services.watch_managed_place)."""
from django.db import migrations


def follow(apps, schema_editor):
    PlaceManager = apps.get_model("accounts", "PlaceManager")
    Watch = apps.get_model("watchlist", "Watch")
    ContentType = apps.get_model("contenttypes", "ContentType")
    place_type, _created = ContentType.objects.get_or_create(app_label="places", model="place")
    Watch.objects.bulk_create([Watch(user_id=link.user_id, content_type=place_type, object_id=link.place_id)
                               for link in PlaceManager.objects.all()], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("watchlist", "0001_initial"), ("accounts", "0001_initial"), ("places", "0013_contact"),
                    ("contenttypes", "0002_remove_content_type_name")]
    operations = [migrations.RunPython(follow, migrations.RunPython.noop)]
