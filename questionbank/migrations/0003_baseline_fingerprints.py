"""Record the bank questions' current content as their last import.

Questions a curator has changed in the admin (a change entry in the admin log) are left
without a baseline, so the next import keeps them and names them rather than risk
overwriting an edit.
"""

from django.db import migrations


def baseline(apps, schema_editor):
    from questionbank.selectors import question_fingerprint, question_record

    Question = apps.get_model("questionbank", "Question")
    LogEntry = apps.get_model("admin", "LogEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type = ContentType.objects.filter(app_label="questionbank", model="question").first()
    edited = set()
    if content_type is not None:
        edited = set(
            LogEntry.objects.filter(content_type=content_type, action_flag=2).values_list(
                "object_id", flat=True
            )
        )
    questions = Question.objects.filter(team__isnull=True).select_related("topic")
    for question in questions.prefetch_related(
        "tags", "criteria", "choices", "misconceptions", "samples"
    ):
        if str(question.pk) in edited:
            continue
        fingerprint = question_fingerprint(question_record(question), topic_slug=question.topic.slug)
        Question.objects.filter(pk=question.pk).update(imported_fingerprint=fingerprint)


class Migration(migrations.Migration):
    dependencies = [
        ("questionbank", "0002_misconceptions_samples_fingerprint"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(baseline, migrations.RunPython.noop)]
