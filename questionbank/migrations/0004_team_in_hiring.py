"""A private question's team is now hiring.Team: state only, same column and table."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('hiring', '0001_initial'),
        ('questionbank', '0003_baseline_fingerprints'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='question',
                    name='team',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='private_questions', to='hiring.team'),
                ),
            ],
            database_operations=[],
        ),
    ]
