"""Epoch states (roles) and the transitions Kafka allows between them, as data.

Kafka 4.x (KIP-996 pre-vote) states, with Kafka's T24 "Unattached with a voted key" named VOTED
here for readability:

  UNATTACHED   epoch known, no leader known, not voted (observers live here while searching)
  VOTED        unattached after granting a standard vote in this epoch (persisted)
  PROSPECTIVE  pre-vote in the current epoch; memory-only (never persisted)
  CANDIDATE    epoch+1, voted for itself (persisted), collecting votes
  LEADER       won the election of its epoch (persisted)
  FOLLOWER     knows the leader of its epoch (persisted), fetching from it
  RESIGNED     former leader of its epoch shutting down or fenced by check-quorum; memory-only

`ALLOWED_TRANSITIONS` is asserted on every transition (`check_transition`). Same-role pairs are
epoch changes (e.g. UNATTACHED -> UNATTACHED at a higher epoch). Observers (no local id, or an id
outside the voter set) may only use the UNATTACHED/FOLLOWER part of the table
(`OBSERVER_ROLES`), which is asserted too.
"""

from __future__ import annotations

import enum


class RoleName(enum.StrEnum):
    UNATTACHED = "unattached"
    VOTED = "voted"
    PROSPECTIVE = "prospective"
    CANDIDATE = "candidate"
    LEADER = "leader"
    FOLLOWER = "follower"
    RESIGNED = "resigned"


R = RoleName

ALLOWED_TRANSITIONS: frozenset[tuple[RoleName, RoleName]] = frozenset(
    {
        # learns a higher epoch without a leader
        *((role, R.UNATTACHED) for role in RoleName),
        # grants a standard vote in its current epoch
        (R.UNATTACHED, R.VOTED),
        (R.PROSPECTIVE, R.VOTED),
        # election timeout (pre-vote) / fetch timeout / lost or timed-out election
        (R.UNATTACHED, R.PROSPECTIVE),
        (R.VOTED, R.PROSPECTIVE),
        (R.FOLLOWER, R.PROSPECTIVE),
        (R.CANDIDATE, R.PROSPECTIVE),
        (R.RESIGNED, R.PROSPECTIVE),
        # pre-vote won, or pre-vote disabled (T24: timeouts go straight to Candidate)
        (R.PROSPECTIVE, R.CANDIDATE),
        (R.UNATTACHED, R.CANDIDATE),
        (R.VOTED, R.CANDIDATE),
        (R.FOLLOWER, R.CANDIDATE),
        (R.CANDIDATE, R.CANDIDATE),
        (R.RESIGNED, R.CANDIDATE),
        # majority granted
        (R.CANDIDATE, R.LEADER),
        # graceful shutdown / check-quorum failure
        (R.LEADER, R.RESIGNED),
        # learns the leader of an equal or higher epoch
        (R.UNATTACHED, R.FOLLOWER),
        (R.VOTED, R.FOLLOWER),
        (R.PROSPECTIVE, R.FOLLOWER),
        (R.CANDIDATE, R.FOLLOWER),
        (R.FOLLOWER, R.FOLLOWER),
        (R.LEADER, R.FOLLOWER),
        (R.RESIGNED, R.FOLLOWER),
    }
)

# States an observer (no local id, or not a voter) may ever be in.
OBSERVER_ROLES: frozenset[RoleName] = frozenset({R.UNATTACHED, R.FOLLOWER})
# States written to the quorum-state store when entered.
PERSISTED_ROLES: frozenset[RoleName] = frozenset(
    {R.UNATTACHED, R.VOTED, R.CANDIDATE, R.LEADER, R.FOLLOWER}
)


def check_transition(source: RoleName, target: RoleName, *, is_voter: bool) -> None:
    """Assert that `source -> target` is one of Kafka's transitions for this kind of replica."""
    assert (source, target) in ALLOWED_TRANSITIONS, f"illegal transition {source} -> {target}"
    if not is_voter:
        assert target in OBSERVER_ROLES, f"an observer cannot become {target}"
