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

# session, round_, now, event: a round was approved (it may be open already).
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
# session, round_, actor, event: a prepared round waits for a moderator's approval.
round_submitted = _events.signal("round-submitted")
# session, round_, actor, event: a moderator sent a round back to its preparer (the reason is
# the event's).
round_sent_back = _events.signal("round-sent-back")
# session, round_, actor, event: the organisers ask the moderators to publish a closed round.
publication_requested = _events.signal("publication-requested")
# session, round_, actor, event: a moderator declined a publication request (the reason is the
# event's).
publication_declined = _events.signal("publication-declined")
# session, comment, event: the focal point returned a comment to its author (the reason is the
# event's).
comment_returned = _events.signal("comment-returned")
# session, comment, event: the author withdrew a comment.
comment_withdrawn = _events.signal("comment-withdrawn")
# session, disposition, comment, acknowledgement, event: the commenter (or their focal point)
# answered a released disposition: satisfied, or objection maintained.
disposition_acknowledged = _events.signal("disposition-acknowledged")


def connect(signal, receiver) -> None:  # noqa: ANN001 (blinker's own types)
    """Connect `receiver` for every sender, strongly (idempotent: apps may be built repeatedly)."""
    signal.connect(receiver, weak=False)
