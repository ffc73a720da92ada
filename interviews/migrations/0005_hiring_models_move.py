"""The hiring models now live in the hiring app: state only, no table is touched."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('hiring', '0001_initial'),
        ('interviews', '0004_blind_review'),
        ('questionbank', '0004_team_in_hiring'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name='blindreview',
                    name='one_blind_review_per_reviewer_and_set',
                ),
                migrations.RemoveField(
                    model_name='interviewset',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='interviewset',
                    name='team',
                ),
                migrations.RemoveField(
                    model_name='invitation',
                    name='interview_set',
                ),
                migrations.RemoveConstraint(
                    model_name='interviewsetitem',
                    name='question_once_per_set',
                ),
                migrations.RemoveConstraint(
                    model_name='interviewsetversion',
                    name='set_version_number',
                ),
                migrations.AlterField(
                    model_name='session',
                    name='set_version',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='hiring.interviewsetversion'),
                ),
                migrations.RemoveField(
                    model_name='invitation',
                    name='created_by',
                ),
                migrations.AlterField(
                    model_name='session',
                    name='invitation',
                    field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='session', to='hiring.invitation'),
                ),
                migrations.RemoveConstraint(
                    model_name='membership',
                    name='one_membership_per_team',
                ),
                migrations.RemoveField(
                    model_name='blindreview',
                    name='interview_set',
                ),
                migrations.RemoveField(
                    model_name='blindreview',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='interviewsetitem',
                    name='interview_set',
                ),
                migrations.RemoveField(
                    model_name='interviewsetitem',
                    name='question',
                ),
                migrations.RemoveField(
                    model_name='interviewsetversion',
                    name='interview_set',
                ),
                migrations.DeleteModel(
                    name='Invitation',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='team',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='BlindReview',
                ),
                migrations.DeleteModel(
                    name='InterviewSetItem',
                ),
                migrations.DeleteModel(
                    name='InterviewSet',
                ),
                migrations.DeleteModel(
                    name='InterviewSetVersion',
                ),
                migrations.DeleteModel(
                    name='Team',
                ),
                migrations.DeleteModel(
                    name='Membership',
                ),
            ],
            database_operations=[],
        ),
    ]
