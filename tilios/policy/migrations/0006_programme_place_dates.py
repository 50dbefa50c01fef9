"""A programme's places get a date range: the plain link table becomes the `ProgrammePlace` model (same
table, same rows, nothing copied), then takes its two dates."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("places", "0013_contact"),
        ("policy", "0005_citations_archive_url"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ProgrammePlace",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("place", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                    related_name="programme_links", to="places.place")),
                        ("programme", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                        related_name="place_links", to="policy.programme")),
                    ],
                    options={"db_table": "policy_programme_places", "ordering": ["place__name"]},
                ),
                migrations.AlterField(
                    model_name="programme",
                    name="places",
                    field=models.ManyToManyField(blank=True, related_name="programmes",
                                                 through="policy.ProgrammePlace", to="places.place"),
                ),
                # The table already has this unique pair, under the name Django gave the plain link.
                migrations.AddConstraint(
                    model_name="programmeplace",
                    constraint=models.UniqueConstraint(fields=("programme", "place"),
                                                       name="policy_programme_place_once"),
                ),
            ],
        ),
        migrations.AddField(
            model_name="programmeplace",
            name="since",
            field=models.DateField(blank=True, null=True, verbose_name="depuis"),
        ),
        migrations.AddField(
            model_name="programmeplace",
            name="until",
            field=models.DateField(blank=True, null=True, verbose_name="jusqu'au"),
        ),
    ]
