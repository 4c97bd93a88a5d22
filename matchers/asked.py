"""Which skills a posting firmly asks of the hire: the evidence a brush-up gap needs.

A posting names many skills it does not ask the hire to bring: the domain of its product
("products for an e-commerce marketplace"), the context of a duty ("consider the impact on
manufacturing processes"), the employer's own tools ("we use Salesforce, Box and
ProSeries"). What it asks is said in a statement of what the hire must bring: a line under
a requirements heading ("Requirements", "You have", "What you'll bring", "Nice to have"),
or a line stating experience, knowledge, skills or ability ("Familiarity with modern CI/CD
tools", "Strong general accounting skills"). A skill named only among the duties is asked
when the duties name it more than once (an FX analyst's duties name FX trades four times);
once is no sure gap. A skill named only in the title is none either ("Marketing Manager,
Google Cloud" names the product area), and lines about the employer's tools count for
nothing. (Chosen on the tuning half of benchmarks/match_explain.py, where skills named once
among the duties had been right gaps 22 times in 27, and those only in the title 7 in 11.)
Outside a requirements section the statement is a sentence, not a line: "Write clear,
concise user-interface text for products. Act as a subject matter expert ..." states no
UI skill (on the tuning half's fourth round, 2 wrong gaps went and no right one). A
sentence in the employer's voice there ("We are Pixellu, a software company ... running a
photography business") is no duty either (1 wrong gap went, no right one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from matchers.sections import is_heading
from matchers.vectors import skill_columns_in

# Headings of what the hire brings (nice-to-haves too: still asked, if less firmly).
_REQUIREMENT_HEADING = re.compile(
    r"requir|qualif|you have|you bring|you.ll bring|you will bring|about you|looking for"
    r"|ideal|skills|must|who you are|experience|your profile|candidate|successful|\bneed"
    r"|bonus|a plus|nice to have|helpful|preferred|what it takes|expect from you"
)
# Words of a statement of what the hire brings, wherever it stands.
_REQUIREMENT_CUE = re.compile(
    r"\b(?:experience[ds]?|proficien\w*|knowledge\w*|familiar\w*|understanding|expertise"
    r"|expert|background in|skills?|skilled|abilit(?:y|ies)|able to|track record|degree"
    r"|fluen(?:t|cy)|certifi\w*|you have|you are|you bring|years?|mastery|competen\w*"
    r"|command of|hands-on|must|required|a plus|bonus|nice to have|preferred|ideally)\b"
)
# A line about the employer's own tools names no skill the hire must bring.
_EMPLOYER_TOOLS = re.compile(r"\bwe (?:use|rely on|work with)\b|\bour (?:tech )?stack\b"
                             r"|\bour tools\b")
# A sentence in the employer's voice is about the employer, not a duty of the hire: "We
# are Pixellu, a software company on a mission to take the work out of running a
# photography business".
_EMPLOYER_VOICE = re.compile(r"^\W*(?:we|our)\b")
# A skill named only among the duties needs this many lines naming it.
_DUTY_MENTIONS = 2
# A sentence ends at a full stop before white space (not the dots of "e.g." or "Node.js").
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)\.\s+")


def statements(job: str) -> tuple[list[str], list[str]]:
    """The lines of a job's text (see :func:`matchers.sections.requirements`) as (statements
    of what the hire must bring, its other lines), lines about the employer's tools in
    neither; outside a requirements section, each sentence of a line is told apart, and
    those in the employer's voice are in neither."""
    asked: list[str] = []
    other: list[str] = []
    under_requirements = False
    for line in (raw.strip() for raw in job.splitlines()):
        if not line:
            continue
        if is_heading(line):
            under_requirements = _REQUIREMENT_HEADING.search(line.lower()) is not None
            other.append(line)
        elif _EMPLOYER_TOOLS.search(line.lower()):
            continue
        elif under_requirements:
            asked.append(line)
        else:
            # A line of several sentences states a requirement only in those with a cue:
            # "Write user-interface text. Act as a subject matter expert" asks for no UI.
            for sentence in _SENTENCE_END.split(line):
                lower = sentence.lower()
                if _REQUIREMENT_CUE.search(lower):
                    asked.append(sentence)
                elif not _EMPLOYER_VOICE.match(lower):
                    other.append(sentence)
    return asked, other


def firmly_asked_matrix(
    jobs: Sequence[str],
    features: Callable[[str], list[str]],
    vocabulary: Mapping[str, int],
    is_skill: np.ndarray,
) -> sp.csr_matrix:
    """Job texts x terms, 1 for each skill a job's text firmly asks (see the module doc)."""
    rows: list[int] = []
    columns: list[int] = []
    for row, job in enumerate(jobs):
        asked, other = statements(job)
        firm: set[int] = set()
        for line in asked:
            firm |= skill_columns_in(line, features, vocabulary, is_skill)
        mentions: dict[int, int] = {}
        for line in other:
            for column in skill_columns_in(line, features, vocabulary, is_skill):
                mentions[column] = mentions.get(column, 0) + 1
        firm |= {c for c, n in mentions.items() if n >= _DUTY_MENTIONS}
        rows.extend([row] * len(firm))
        columns.extend(firm)
    return sp.csr_matrix(
        (np.ones(len(rows), np.float32), (np.array(rows, np.int64), np.array(columns, np.int64))),
        shape=(len(jobs), len(vocabulary)),
    )
