"""Who may do what in a hiring team.

Owners manage members and everything else; reviewers build sets, invite, review and
override grades; viewers read. Non-members get a 404 (we do not confirm that a team,
set or candidate exists), members without the role get a 403. Staff get no special
access here: hiring data belongs to the team, curators work in the admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from hiring.models import Role, Team

WRITE_ROLES = frozenset({Role.OWNER, Role.REVIEWER})
MANAGE_ROLES = frozenset({Role.OWNER})


@dataclass(frozen=True)
class Access:
    """A user's standing in one team, resolved together with the object asked for."""

    team: Team
    role: str

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES

    @property
    def can_manage(self) -> bool:
        return self.role in MANAGE_ROLES

    def require_write(self) -> None:
        if not self.can_write:
            raise PermissionDenied("Only owners and reviewers can do that.")

    def require_manage(self) -> None:
        if not self.can_manage:
            raise PermissionDenied("Only the team's owners can do that.")
