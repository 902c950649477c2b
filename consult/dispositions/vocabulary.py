"""The words committees write their decisions with, read from and written into observations.

The ISO form has no column for the decision: the secretariat states it in its observation
("Accepted.", "Not accepted. The clause already says so.", "Duplicate of US 021"). On import,
the kind is read from the observation's first words and the observation is kept exactly as
written. On export, an observation is written exactly as stored; only when its words do not
already state a decision (an observation typed on the disposition page, say) is the decision's
name put in front ("Accepted in principle. " + the text), so that the exported table still
says what was decided, and reading it back gives the same kind. A "noted" observation that
states nothing is left alone: noted is what a table that states nothing is read as.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from consult.dispositions.models import DispositionKind

# First words (casefolded), longest first within a kind's rivals; English, as ISO tables are.
_WORDS: list[tuple[str, DispositionKind]] = [
    (r"accepted with (?:modifications?|changes?|amendments?)", DispositionKind.ACCEPTED_WITH_MODIFICATIONS),
    (r"accept(?:ed)? (?:in principle|with comments?)", DispositionKind.ACCEPTED_IN_PRINCIPLE),
    (r"agreed in principle|accept in principle", DispositionKind.ACCEPTED_IN_PRINCIPLE),
    (r"partially accepted|partly accepted|accepted in part|partial(?:ly)? agreed", DispositionKind.PARTIALLY_ACCEPTED),
    (r"not accepted|rejected|reject|declined|not agreed|disagree(?:d)?", DispositionKind.NOT_ACCEPTED),
    (r"duplicate(?:d)?(?: of| with| to)?|same as|see (?:comment|response to|resolution of)", DispositionKind.DUPLICATE),
    (r"deferred|defer|unresolved|postponed|for (?:the )?next (?:round|edition|stage)", DispositionKind.DEFERRED),
    (r"completed|complete|done|implemented", DispositionKind.COMPLETED),
    (r"accepted|accept|agreed|agree", DispositionKind.ACCEPTED),
    (r"noted|acknowledged|no action|no change", DispositionKind.NOTED),
    # French tables (ISO's other official language) write refusals these ways too.
    (r"refus[ée]e?|rejet[ée]e?|non retenue?", DispositionKind.NOT_ACCEPTED),
]  # fmt: skip
_LEADING_RE = re.compile(r"^\s*[\"'“‘(\[]*\s*")
_AFTER = r"(?=$|[\s.,:;!)\]\-–—\"'”’])"
_COMPILED = [(re.compile(_LEADING_RE.pattern + f"(?:{words}){_AFTER}", re.IGNORECASE), kind) for words, kind in _WORDS]
# "Duplicate of US 021", "see comment DE-001.": the other comment's number, up to a period/comma.
_DUPLICATE_OF_RE = re.compile(
    r"^\s*(?:duplicate(?:d)?(?: of| with| to)?|same as|see (?:comment|response to|resolution of))\s*:?\s*"
    r"(?:comment\s+)?(?P<ref>[^\s,;.]+(?:\s(?:\d+|[A-Z]-?\d+))?)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Reading:
    kind: DispositionKind
    stated: bool  # the words say it (False: nothing recognised, read as noted)
    duplicate_ref: str = ""  # DUPLICATE: the other comment's number as written


_REF_AFTER_LABEL_RE = re.compile(r"\s*[:：]?\s*(?P<ref>[^\s,;.，。；]+(?:\s(?:\d+|[A-Z]-?\d+))?)")


def read(
    observation: str,
    labels: Mapping[DispositionKind, str] | Iterable[tuple[DispositionKind, str]] | None = None,
) -> Reading:
    """The decision an observation states by its first words (see the module docstring).

    `labels`: the names of the kinds as this product writes them (in each of its languages, so
    that a table exported in French reads back the same on an English page), recognised too.
    """
    text = observation.strip()
    found: DispositionKind | None = None
    for pattern, kind in _COMPILED:
        if pattern.match(text):
            found = kind
            break
    label_length = 0
    if found is None and labels:
        pairs = labels.items() if isinstance(labels, Mapping) else labels
        folded = text.casefold()
        for kind, label in sorted(pairs, key=lambda pair: -len(str(pair[1]))):
            name = str(label).casefold()
            if folded.startswith(name) and (len(folded) == len(name) or not folded[len(name)].isalnum()):
                found, label_length = kind, len(name)
                break
    if found is None:
        return Reading(DispositionKind.NOTED, False)
    ref = ""
    if found is DispositionKind.DUPLICATE:
        match = _REF_AFTER_LABEL_RE.match(text, label_length) if label_length else _DUPLICATE_OF_RE.match(text)
        ref = match.group("ref").strip() if match else ""
    return Reading(found, True, ref)


def cell(kind: DispositionKind, observation: str, label: str, duplicate_of: str = "") -> str:
    """The "Observations of the secretariat" cell: the observation as written, with the
    decision put in front only when the words do not state one (module docstring)."""
    if observation and (read(observation).stated or kind is DispositionKind.NOTED):
        return observation
    head = f"{label} {duplicate_of}".strip() if kind is DispositionKind.DUPLICATE else label
    return f"{head}. {observation}" if observation else head
