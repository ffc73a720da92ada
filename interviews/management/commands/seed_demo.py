"""Create the demo accounts listed in the README. Safe to run again: nothing duplicates."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from interviews.models import Membership, Role, Team

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
                user.is_superuser = is_staff
                user.save()
            if role:
                Membership.objects.get_or_create(team=team, user=user, defaults={"role": role})
            state = "created" if created else "already there"
            self.stdout.write(f"  {username:<10} password: {password:<16} ({state})")
        self.stdout.write(self.style.SUCCESS("Demo accounts ready."))
