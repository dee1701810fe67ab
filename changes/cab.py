"""The change advisory board: who votes on a change, and the quorum rule that decides.

The board of a normal change is every active member of the active teams of kind "cab";
that of an emergency change, of kind "emergency_cab". Change managers chair every
board, so they may always vote. Nobody votes on a change they raised or carry out.

The quorum (``CHANGE_CAB_QUORUM``, ``CHANGE_EMERGENCY_CAB_QUORUM``) is either a whole
number of approvals (``"3"``, capped at the board's size) or a fraction of the board
(``"0.5"``, ``"2/3"``, ``"1.0"`` for everyone), rounded up. After each vote:

1. a rejection by a change manager rejects the change (veto);
2. otherwise, enough approvals approve it;
3. otherwise, when so many members rejected that the quorum can no longer be reached,
   it is rejected;
4. otherwise it waits for more votes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q

from servicedesk.core.choices import TeamKind
from servicedesk.core.models import Membership, User

from .choices import CABDecision, ChangeType, VoteDecision

MANAGE_PERMISSION = ("changes", "manage_change")


@dataclass(frozen=True)
class QuorumRule:
    """A number of approvals, or a fraction of the board's members."""

    count: int | None = None
    fraction: Fraction | None = None

    def required(self, members: int) -> int:
        """Approvals needed from a board of ``members`` voters (at least one)."""
        if self.count is not None:
            return max(1, min(self.count, members))
        assert self.fraction is not None
        return max(1, math.ceil(self.fraction * members))

    def __str__(self) -> str:
        return str(self.count) if self.count is not None else str(self.fraction)


def parse_quorum(value: object) -> QuorumRule:
    """Read a quorum setting: ``3`` (approvals) or ``0.5`` / ``"2/3"`` (fraction of the board)."""
    if isinstance(value, bool):
        raise ImproperlyConfigured(f"Not a quorum: {value!r}")
    text = str(value).strip()
    if isinstance(value, int) or text.isdigit():
        count = int(text)
        if count < 1:
            raise ImproperlyConfigured(f"A quorum needs at least one approval, not {value!r}.")
        return QuorumRule(count=count)
    try:
        fraction = Fraction(text)
    except (ValueError, ZeroDivisionError) as exc:
        raise ImproperlyConfigured(f"Not a quorum: {value!r}") from exc
    if not 0 < fraction <= 1:
        raise ImproperlyConfigured(f"A quorum fraction lies in (0, 1], not {value!r}.")
    return QuorumRule(fraction=fraction)


def quorum_rule(change_type: str) -> QuorumRule:
    """The configured rule for a change of this type."""
    if change_type == ChangeType.EMERGENCY:
        return parse_quorum(settings.CHANGE_EMERGENCY_CAB_QUORUM)
    return parse_quorum(settings.CHANGE_CAB_QUORUM)


def board_kind(change_type: str) -> str:
    """The kind of team that authorises a change of this type."""
    return TeamKind.EMERGENCY_CAB if change_type == ChangeType.EMERGENCY else TeamKind.CAB


def change_manager_ids() -> set[int]:
    """Active users who hold the change manager's permission (through a group or directly)."""
    permission = Permission.objects.filter(
        content_type__app_label=MANAGE_PERMISSION[0], codename=MANAGE_PERMISSION[1]
    ).first()
    if permission is None:
        return set()
    return set(
        User.objects.filter(
            Q(groups__permissions=permission) | Q(user_permissions=permission), is_active=True
        ).values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class Board:
    """Who may vote on one change, the change managers among them, and the approvals needed."""

    voter_ids: frozenset[int]
    manager_ids: frozenset[int]
    rule: QuorumRule

    @property
    def required(self) -> int:
        return self.rule.required(len(self.voter_ids))

    def decide(self, votes: Mapping[int, str]) -> str:
        """The board's decision from the votes (voter id → decision) cast so far."""
        counted = {voter: d for voter, d in votes.items() if voter in self.voter_ids}
        if any(
            d == VoteDecision.REJECT and voter in self.manager_ids for voter, d in counted.items()
        ):
            return CABDecision.REJECTED
        approvals = sum(d == VoteDecision.APPROVE for d in counted.values())
        rejections = sum(d == VoteDecision.REJECT for d in counted.values())
        if approvals >= self.required:
            return CABDecision.APPROVED
        if len(self.voter_ids) - rejections < self.required:
            return CABDecision.REJECTED
        return CABDecision.PENDING


def board_for(change) -> Board:
    """The board that authorises ``change`` as its teams and roles stand now."""
    members = set(
        Membership.objects.filter(
            team__kind=board_kind(change.change_type), team__is_active=True, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    managers = change_manager_ids()
    conflicted = {change.requester_id, change.assignee_id} - {None}
    return Board(
        voter_ids=frozenset((members | managers) - conflicted),
        manager_ids=frozenset(managers),
        rule=quorum_rule(change.change_type),
    )
