"""Comment numbers as committees write them: the MB/NC code and a sequence, "KR-003".

A comment is numbered once, when it is first submitted (or imported), and keeps its number for
good: editing, sign-off, moderation, withdrawal and a change of its organisation's code leave
it alone. The sequence runs per round and code; the callers hold the round's row lock
(`rounds.services.lock_round(..., for_comments=True)`, or SQLite's single writer), so two comments submitted at
once never take the same number (a unique index on (round, number) would refuse it anyway).
An imported table's own numbers ("US 021") are kept as written, and their digits count in the
sequence, so a number given later never repeats one.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.auth.models import Organisation
from consult.comments.models import Comment

TRAILING_DIGITS_RE = re.compile(r"(\d+)\D*$")


def format_number(code: str, seq: int) -> str:
    """ "KR-003"; "003" when the organisation has no code."""
    return f"{code}-{seq:03d}" if code else f"{seq:03d}"


def sequence_of(number: str) -> int:
    """The sequence a number written by a committee carries ("US 021": 21; "C-1": 1; none: 0)."""
    found = TRAILING_DIGITS_RE.search(number)
    return int(found.group(1)[-9:]) if found else 0


def next_seq(session: Session, round_id: int, code: str) -> int:
    highest = session.scalar(
        select(func.max(Comment.number_seq)).where(Comment.round_id == round_id, Comment.member_code == code)
    )
    return (highest or 0) + 1


def assign_number(session: Session, comment: Comment) -> None:
    """Give `comment` its number, if it has none yet."""
    if comment.number is not None:
        return
    organisation = session.get(Organisation, comment.organisation_id)
    code = organisation.member_code.upper() if organisation is not None else ""
    seq = next_seq(session, comment.round_id, code)
    comment.member_code, comment.number_seq, comment.number = code, seq, format_number(code, seq)


def canonical(number: str) -> str:
    """A number compared loosely: "US 21", "us-021" and "US021" are one."""
    parts = re.findall(r"[A-Za-z]+|\d+", number)
    return "".join(p.lstrip("0") or "0" if p.isdigit() else p.casefold() for p in parts)


def find_by_number(session: Session, round_id: int, reference: str) -> Comment | None:
    """The comment of the round that `reference` names: its number as written, or loosely
    ("US 21" for "US 021"), or "#123"/"123" for a comment without a number."""
    reference = reference.strip()
    if not reference:
        return None
    found = session.scalar(select(Comment).where(Comment.round_id == round_id, Comment.number == reference))
    if found is not None:
        return found
    wanted = canonical(reference)
    for comment_id, number in session.execute(
        select(Comment.id, Comment.number).where(Comment.round_id == round_id, Comment.number.is_not(None))
    ):
        if canonical(number) == wanted:
            return session.get(Comment, comment_id)
    bare = reference.lstrip("#")
    if bare.isdigit() and len(bare) < 18:
        return session.scalar(select(Comment).where(Comment.round_id == round_id, Comment.id == int(bare)))
    return None
