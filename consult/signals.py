"""Domain events: a transition announces, the rooms that react subscribe.

A service sends the signal of its transition inside the caller's transaction, with the session
and what happened as keyword arguments; rooms higher up the house connect their receivers at
their `init_app` (digests tell people, dispositions are released with a publication). So a
lower room never imports a higher one: the flow runs one way, down the floors. Receivers may
write to the session (outbox rows, dispositions) and must not commit.
"""

from __future__ import annotations

from blinker import Namespace

_events = Namespace()

# session, round_, now: a round was approved (it may be open already).
round_approved = _events.signal("round-approved")
# session, round_, actor, now: a round's results were published.
round_published = _events.signal("round-published")
# session, comment, event: a comment was saved or submitted and may now wait for someone.
comment_submitted = _events.signal("comment-submitted")
# session, comment, event, decision ("accepted", "rejected", "hidden"): the author is to hear.
comment_decided = _events.signal("comment-decided")
# session, round_, event, authors ({author id: number of their comments answered}).
dispositions_released = _events.signal("dispositions-released")
# sender=user; session, kind (new_sign_in, factor_added, factor_removed, second_factor_reset),
# and what the email says: something happened to a person's account security.
account_event = _events.signal("account-event")


def connect(signal, receiver) -> None:  # noqa: ANN001 (blinker's own types)
    """Connect `receiver` for every sender, strongly (idempotent: apps may be built repeatedly)."""
    signal.connect(receiver, weak=False)
