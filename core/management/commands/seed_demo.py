"""Create the demo accounts listed in the README. Safe to run again: nothing duplicates."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction

from core.accounts import verified_email_mark
from hiring.models import InterviewSet, Membership, Role, Team
from hiring.services import set_create, set_item_add
from questionbank.models import Question

CURATORS_GROUP = "Curators"
DEMO_ACCOUNTS = [
    # username, password, email, is_staff, role in the demo team
    ("candidate", "viva-candidate", "candidate@example.com", False, None),
    ("hiring", "viva-hiring", "hiring@example.com", False, Role.OWNER),
    ("curator", "viva-curator", "curator@example.com", True, None),
]


class Command(BaseCommand):
    help = "Create demo accounts (candidate, hiring-team owner, staff curator)."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        team, _ = Team.objects.get_or_create(
            slug="demo-team", defaults={"name": "Demo Hiring Team"}
        )
        for username, password, email, is_staff, role in DEMO_ACCOUNTS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": email, "is_staff": is_staff}
            )
            if created:
                user.set_password(password)
                user.save()
            verified_email_mark(user=user)  # the demo's addresses are ours
            if is_staff:
                self._make_curator(user)
            if role:
                Membership.objects.get_or_create(team=team, user=user, defaults={"role": role})
            state = "created" if created else "already there"
            self.stdout.write(f"  {username:<10} password: {password:<16} ({state})")
        self._demo_set(team)
        self.stdout.write(self.style.SUCCESS("Demo accounts ready."))

    def _make_curator(self, user) -> None:
        """Staff in the "Curators" group: the question bank, not users, groups or teams."""
        group, _ = Group.objects.get_or_create(name=CURATORS_GROUP)
        group.permissions.set(Permission.objects.filter(content_type__app_label="questionbank"))
        if user.is_superuser:  # an older demo made the curator a superuser
            user.is_superuser = False
            user.save(update_fields=["is_superuser"])
        user.groups.add(group)

    def _demo_set(self, team: Team) -> None:
        """A small interview set so the hiring pages have something to show."""
        if InterviewSet.objects.filter(team=team).exists():
            return
        questions = list(
            Question.objects.published().in_bank().filter(level="mid").order_by("slug")[:4]
        )
        if not questions:
            return
        owner = team.memberships.filter(role=Role.OWNER).first()
        interview_set = set_create(
            team=team,
            title="Backend screening (demo)",
            instructions="Answer in your own words, as you would in a conversation.",
            time_limit_minutes=30,
            created_by=owner.user if owner else None,
        )
        for question in questions:
            set_item_add(interview_set=interview_set, question=question)
        self.stdout.write("  demo interview set: Backend screening (demo)")
