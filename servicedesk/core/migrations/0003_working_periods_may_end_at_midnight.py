"""A working period may end at midnight at the end of its day, stored as an end of 00:00."""

import datetime

from django.db import migrations, models


LAST_INSTANT = datetime.time(23, 59, 59, 999999)
MIDNIGHT = datetime.time(0)


def last_instant_to_midnight(apps, schema_editor):
    WorkingPeriod = apps.get_model("core", "WorkingPeriod")
    WorkingPeriod.objects.filter(end=LAST_INSTANT).update(end=MIDNIGHT)


def midnight_to_last_instant(apps, schema_editor):
    WorkingPeriod = apps.get_model("core", "WorkingPeriod")
    WorkingPeriod.objects.filter(end=MIDNIGHT).update(end=LAST_INSTANT)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_number_sequences_and_append_only_audit"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="workingperiod",
            name="workingperiod_start_before_end",
        ),
        migrations.AlterField(
            model_name="workingperiod",
            name="end",
            field=models.TimeField(
                help_text="00:00 means midnight at the end of the day.", verbose_name="end"
            ),
        ),
        migrations.RunPython(last_instant_to_midnight, midnight_to_last_instant),
        migrations.AddConstraint(
            model_name="workingperiod",
            constraint=models.CheckConstraint(
                condition=models.Q(("start__lt", models.F("end")), ("end", datetime.time(0, 0)), _connector="OR"),
                name="workingperiod_start_before_end_or_midnight",
            ),
        ),
    ]
