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

Some statements name skills they do not ask for (chosen on the tuning half's fifth round and
all its earlier ones, each removing more wrong gaps than right): a skill among soft skills
("Effective interpersonal, communication, negotiation and collaboration skills": 5 wrong
gaps went, 2 right), the backgrounds of a list ending "or similar environment" (or role,
industry, ...: "management consulting, investment banking, finance or similar environment"
asks for none of them; 2 wrong went, none right), and "expert" only states a requirement
as "expert in" (or at, with, on): "matters ranging from litigation to expert advice" asks
for no litigation (1 wrong went). Nor does the field an employer or a market is in ("at an
internet, MarTech/AdTech or SaaS company", "the ad-tech space": chosen on the sixth round,
4 wrong gaps went, no right one; "a creative or brand marketing agency", on the ninth: 1
wrong went, no right one). Skills are read longest phrase first (see
:meth:`matchers.text.Analyzer.skills`): "video editing" asks for video production, not
editing (1 wrong went).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from aggregator.core.headings import is_heading
from matchers.alternatives import alternative_lists
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
    r"|expert(?= in| at| with| on)|background in|skills?|skilled|abilit(?:y|ies)|able to"
    r"|track record|degree"
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
# A list of soft skills ("Effective interpersonal, communication, negotiation and
# collaboration skills") asks for a manner of working, not for the skills it names among
# them: an enumeration of short items ending in "skills", one of them a soft skill.
_LIST_WORD = r"\b(?!(?:skills|with|and|or|in|of|to)\b)[a-z][\w/-]*"
_LIST_ITEM = rf"{_LIST_WORD}(?:\s+{_LIST_WORD}){{0,2}}"
_SKILLS_LIST = re.compile(
    rf"{_LIST_ITEM}(?:(?:,\s*(?:and\s+|&\s+)?|\s+(?:and|&)\s+){_LIST_ITEM}){{1,7}}\s+skills\b"
)
_SOFT_SKILL = re.compile(r"\b(?:interpersonal|communication|collaboration|teamwork|leadership"
                         r"|organi[sz]ational)\b")
# A list of alternatives ending in "or a similar environment" (or role, industry, ...:
# "management consulting, investment banking or similar environment") names examples of
# the background it asks, none of them required.
_OPEN_ITEM = re.compile(
    r"(?:similar|related|comparable)(?: \w+)? (?:environments?|roles?|industr(?:y|ies)|fields?"
    r"|compan(?:y|ies)|firms?|settings?|backgrounds?|functions?|positions?)\b"
)
# The field an employer or a market is in ("at a MarTech/AdTech or SaaS company", "the
# ad-tech space", "business intelligence market trends", "a creative or brand marketing
# agency") is no skill the hire brings.
_DOMAIN_WORD = r"\b(?!(?:in|at|of|with|for|from|to|on|experience|the|an?)\b)[\w/&.+-]+"
# The nouns of such a field, as stem -> its endings: the stems are also the cue words a line
# must hold before the pattern is tried, so the two cannot disagree.
_DOMAIN_NOUNS = {"compan": "(?:y|ies)", "firm": "s?", "agenc": "(?:y|ies)",
                 "industr": "(?:y|ies)", "market": "s?(?! research| analysis| sizing)",
                 "space": "", "sector": "s?"}
_DOMAIN = re.compile(
    rf"{_DOMAIN_WORD}(?:(?:,? (?:or|and) |, | ){_DOMAIN_WORD}){{0,3}}"
    rf"(?= (?:{'|'.join(stem + ending for stem, ending in _DOMAIN_NOUNS.items())})\b)"
)
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
            firm |= skill_columns_in(without_soft_lists(line), features, vocabulary,
                                     is_skill) - _open_list_skills(line, features, vocabulary,
                                                                   is_skill)
        mentions: dict[int, int] = {}
        for line in other:
            named = skill_columns_in(without_soft_lists(line), features, vocabulary, is_skill)
            for column in named:
                mentions[column] = mentions.get(column, 0) + 1
        firm |= {c for c, n in mentions.items() if n >= _DUTY_MENTIONS}
        rows.extend([row] * len(firm))
        columns.extend(firm)
    return sp.csr_matrix(
        (np.ones(len(rows), np.float32), (np.array(rows, np.int64), np.array(columns, np.int64))),
        shape=(len(jobs), len(vocabulary)),
    )


def without_soft_lists(line: str) -> str:
    """The line without its lists of soft skills (see ``_SKILLS_LIST``) and the fields of
    employers and markets it names (see ``_DOMAIN``)."""
    lower = line.lower()
    if any(stem in lower for stem in _DOMAIN_NOUNS):
        line = _DOMAIN.sub(" ; ", line)
        lower = line.lower()
    if "skills" not in lower:
        return line
    kept, at = [], 0
    for match in _SKILLS_LIST.finditer(lower):
        if _SOFT_SKILL.search(match.group()):
            kept.append(line[at : match.start()])
            at = match.end()
    return " ; ".join([*kept, line[at:]]) if at else line


def _open_list_skills(
    line: str,
    features: Callable[[str], list[str]],
    vocabulary: Mapping[str, int],
    is_skill: np.ndarray,
) -> set[int]:
    """The skills of the line's lists of alternatives that end "or similar" (see
    ``_OPEN_ITEM``)."""
    if not any(word in line for word in ("similar", "related", "comparable")):
        return set()
    return {column for items in alternative_lists(line)
            if any(_OPEN_ITEM.match(item) for item in items)
            for item in items for column in skill_columns_in(item, features, vocabulary,
                                                             is_skill)}
