"""The hiring models move here from interviews: state only, the tables stay (0002 renames them)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('interviews', '0004_blind_review'),
        ('questionbank', '0003_baseline_fingerprints'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Team',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=120)),
                        ('slug', models.SlugField(unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'db_table': 'interviews_team',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='InterviewSet',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=200)),
                        ('instructions', models.TextField(blank=True)),
                        ('time_limit_minutes', models.PositiveSmallIntegerField(default=45)),
                        ('candidates_see_results', models.BooleanField(default=False)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='interview_sets', to='hiring.team')),
                    ],
                    options={
                        'db_table': 'interviews_interviewset',
                        'ordering': ['-updated_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Invitation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('token_hash', models.CharField(max_length=64, unique=True)),
                        ('name', models.CharField(blank=True, max_length=120)),
                        ('email', models.EmailField(blank=True, max_length=254)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('started', 'Started'), ('completed', 'Completed'), ('expired', 'Expired'), ('revoked', 'Revoked')], default='pending', max_length=10)),
                        ('expires_at', models.DateTimeField()),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('used_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('interview_set', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to='hiring.interviewset')),
                    ],
                    options={
                        'db_table': 'interviews_invitation',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='BlindReview',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('interview_set', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='blind_reviews', to='hiring.interviewset')),
                    ],
                    options={
                        'db_table': 'interviews_blindreview',
                        'constraints': [models.UniqueConstraint(fields=('user', 'interview_set'), name='one_blind_review_per_reviewer_and_set')],
                    },
                ),
                migrations.CreateModel(
                    name='InterviewSetItem',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveSmallIntegerField(default=0)),
                        ('interview_set', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='hiring.interviewset')),
                        ('question', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='set_items', to='questionbank.question')),
                    ],
                    options={
                        'db_table': 'interviews_interviewsetitem',
                        'ordering': ['position', 'id'],
                        'constraints': [models.UniqueConstraint(fields=('interview_set', 'question'), name='question_once_per_set')],
                    },
                ),
                migrations.CreateModel(
                    name='InterviewSetVersion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveIntegerField()),
                        ('title', models.CharField(max_length=200)),
                        ('instructions', models.TextField(blank=True)),
                        ('time_limit_minutes', models.PositiveSmallIntegerField()),
                        ('question_ids', models.JSONField(default=list)),
                        ('fingerprint', models.CharField(max_length=64)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('interview_set', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='hiring.interviewset')),
                    ],
                    options={
                        'db_table': 'interviews_interviewsetversion',
                        'ordering': ['-number'],
                        'constraints': [models.UniqueConstraint(fields=('interview_set', 'number'), name='set_version_number')],
                    },
                ),
                migrations.CreateModel(
                    name='Membership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('owner', 'Owner'), ('reviewer', 'Reviewer'), ('viewer', 'Viewer')], default='viewer', max_length=10)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=settings.AUTH_USER_MODEL)),
                        ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='hiring.team')),
                    ],
                    options={
                        'db_table': 'interviews_membership',
                        'constraints': [models.UniqueConstraint(fields=('team', 'user'), name='one_membership_per_team')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
