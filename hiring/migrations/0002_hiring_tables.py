"""The moved tables take the hiring app's names, and the admin's content types follow
(permissions and history entries keep pointing at the same models)."""

from django.db import migrations

MODELS = (
    "team",
    "membership",
    "interviewset",
    "blindreview",
    "interviewsetitem",
    "interviewsetversion",
    "invitation",
)


def content_types_to_hiring(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        old = ContentType.objects.filter(app_label="interviews", model=model).first()
        if old is None:
            continue
        if ContentType.objects.filter(app_label="hiring", model=model).exists():
            continue  # made by an earlier partial run; the old row keeps its references
        old.app_label = "hiring"
        old.save(update_fields=["app_label"])


def content_types_to_interviews(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="hiring", model__in=MODELS).update(
        app_label="interviews"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("hiring", "0001_initial"),
        ("interviews", "0005_hiring_models_move"),
        ("questionbank", "0004_team_in_hiring"),
    ]

    operations = [
        *(migrations.AlterModelTable(name=model, table=None) for model in MODELS),
        migrations.RunPython(content_types_to_hiring, content_types_to_interviews),
    ]
