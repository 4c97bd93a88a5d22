"""Interview preparation from a posting and a profile, without a language model (no I/O).

A prep sheet (:class:`aggregator.core.models.PrepSheet`) has three parts:

* **likely asked**: questions made from the posting's own duty and requirement sentences, the
  ones that carry skills, tools, action verbs or ways of working; each cites the sentence it
  comes from, verbatim. Only when fewer than :data:`MIN_ASKED` can be made is the sheet filled
  up with general questions about the role (counted in ``PrepSheet.generic``).
* **brush up on**: the mentee's gaps (the match's, or the posting's skills the profile lacks),
  each with the sentence of the posting that asks for it.
* **questions to ask them**: team, first 90 days, how success is measured, remote or office
  practice, on-call (technical roles), growth path; worded after what the posting says about
  each or notes that it says nothing; the next-steps question always closes the list.

The vocabulary (action verbs, ways of working, section headings) is data in
``matchers/data/prep.yaml``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

from aggregator.core.models import NEXT_STEPS_QUESTION, Cited, Posting, PrepSheet
from matchers.profile import Profile
from matchers.sections import CLIENT_LIST, is_other_heading
from matchers.text import BODY_CHARS, Analyzer

MIN_ASKED = 4
MAX_ASKED = 6  # of the 4-8 the sheet may hold: enough to prepare, few enough to read
MAX_BRUSH_UP = 5
MAX_TO_ASK = 6  # the next-steps question included
_MAX_PHRASE_WORDS = 12
_MIN_SENTENCE_WORDS = 3
_MIN_CLAUSE_WORDS = 4  # "Shape, shepherd, ship, and show programs" is one duty
_LIST_ITEM_WORDS = 3  # an item of a list ("usability testing"), not a clause of its own
_MAX_SENTENCE_WORDS = 70
_DUPLICATE_OVERLAP = 0.5  # shared content words over the smaller question's: a near-duplicate
# Words that open a phrase of their own: a clause too long for a question is cut before one.
_PHRASE_STARTS = frozenset((
    "to", "for", "with", "by", "on", "in", "from", "and", "or", "including", "while", "across",
    "through", "using", "based", "so", "that", "which", "who", "when", "where", "as", "at",
    "via", "within", "into", "without", "whether", "such",
))
_TRAILING = frozenset(
    (
        "a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or",
        "our", "the", "their", "to", "with", "who", "which", "that", "your", "including",
        "such", "e.g", "any", "all", "through", "this", "these", "those", "where", "when",
        "across", "within", "between", "up", "so", "its", "it", "is", "are", "be",
    )
)
_STOP = _TRAILING | frozenset(
    (
        "about", "after", "be", "been", "did", "do", "does", "had", "has", "have", "how",
        "i", "is", "it", "me", "my", "tell", "time", "us", "was", "we", "what", "when",
        "where", "why", "you", "walk", "through", "would", "give", "example", "your",
        "this", "role",
    )
)
# "Working knowledge of", "Proven experience in": the opening word is no action here.
_NOT_AN_ACTION = frozenset({"knowledge", "experience", "proficiency", "familiarity", "skills"})
_WORD = re.compile(r"[a-z0-9][a-z0-9+#.'\u2019-]*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(“\"])")
_BULLET = re.compile(r"^[\s•\-\u2013\u2014*·▪◦●○]+")
# Where a clause ends: punctuation, a dash, or a comma before a conjunction or a new subject
# ("work for a small company, you know how important growth is").
_CLAUSE_END = re.compile(
    r"[;:(]| [-\u2013\u2014] |\. |, (?:and|while|which|so|including|you|we|they|it) "
)
# A bullet's label of a word or two before a dash ("Pitching - Crafting…", "Scheduling
# Coordinator - Reports…"): the duty is what follows it. Three words or more before the dash
# are a duty of their own ("Own the roadmap - work with design…").
_LABEL = re.compile(r"(?:[^\s\-\u2013\u2014]+ )?[^\s\-\u2013\u2014]+ [-\u2013\u2014] (?=\S)")
# How to apply, not what the job is: "Send Lexi an email with your CV &/or a portfolio".
_APPLYING = re.compile(r"\byour (?:cv|resume|résumé|application|portfolio|cover letter)\b", re.I)
# An aside opening among a duty's first words interrupts it ("Crafting & sending compelling
# (& personally tailored - we never …) email, video, and social media pitches"): the duty
# reads on after it.
_EARLY_ASIDE = re.compile(rf"^((?:\S+ ){{1,{_MIN_CLAUSE_WORDS - 1}}})\([^()]*\) (?=[a-z])")
_EXPERIENCE = re.compile(
    r"(?:experience|background|expertise|track record)\s+(?:in|with|of|working in|working with)"
    r"\s+(?P<what>[^.;:()]{4,80})",
    re.IGNORECASE,
)
_BOILERPLATE = re.compile(
    r"equal opportunity|regardless of|accommodation|visa|sponsorship|benefits|salary|401|"
    r"paid time off|parental leave|apply now|privacy|e-verify|background check|"
    r"we are an|we're an|is an equal|click|submit your|degree or equivalent|"
    r"bachelor|master's|authori[sz]ation to work|enrolled in|" + CLIENT_LIST
)


@dataclass(frozen=True, slots=True)
class Passage:
    """One sentence or bullet of a posting: verbatim text, its part of the posting, skills."""

    text: str
    part: str  # duties, requirements, skip, or "" before any heading
    position: int
    skills: tuple[str, ...]  # skill keys, in order of appearance


@dataclass(frozen=True, slots=True)
class _Candidate:
    variants: tuple[str, ...]  # the same question in other words; rotated to vary a sheet
    family: str  # duty, skill, experience or practice: the templates it is worded with
    source: str
    score: float
    position: int
    topic: str  # a skill key, practice or verb phrase: two questions never share one


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    verbs: frozenset[str]
    prefixes: tuple[str, ...]  # longest first
    practices: tuple[tuple[re.Pattern[str], str], ...]
    any_practice: re.Pattern[str]  # all of them at once: most sentences name none
    headings: dict[str, tuple[str, ...]]


def prepare(
    posting: Posting,
    profile: Profile,
    lead: int | str = "",
    gaps: Sequence[str] | None = None,
    analyzer: Analyzer | None = None,
) -> PrepSheet:
    """The prep sheet for ``profile`` and ``posting``; ``gaps``: the match's skill gaps
    (display names), else worked out from the skills the posting names and the profile lacks."""
    if analyzer is None:
        # The posting's part of a sheet is the same for every mentee: a digest that offers
        # one lead to several mentees works it out once.
        part = _cached_posting_part(posting)
        analyzer = _default_analyzer()
    else:
        part = _posting_part(posting, analyzer)
    passages, asked, generic, to_ask = part
    return PrepSheet(
        mentee=profile.id,
        lead=lead,
        title=_one_line(posting.title),
        company=_one_line(posting.company),
        asked=asked,
        brush_up=_brush_up(passages, posting, profile, gaps, analyzer),
        to_ask=to_ask,
        generic=generic,
    )


_PostingPart = tuple[tuple["Passage", ...], tuple[Cited, ...], int, tuple[str, ...]]


def _posting_part(posting: Posting, analyzer: Analyzer) -> _PostingPart:
    """A posting's sentences that name skills (what brush-up cites), likely questions (and how
    many are general), questions to ask."""
    passages = tuple(posting_passages(posting, analyzer))
    asked, generic = _asked(passages, posting, analyzer)
    to_ask = questions_to_ask(posting, avoid=[c.text for c in asked])
    return tuple(p for p in passages if p.skills), asked, generic, to_ask


# Room for every lead of one digest run of a large programme (benchmarks/digest.py: 500
# mentors offered 6,000 postings): one of 512 missed nine times in ten there, as each mentor's
# leads come in their own order. About 3 KB a posting.
@lru_cache(maxsize=8192)
def _cached_posting_part(posting: Posting) -> _PostingPart:
    return _posting_part(posting, _default_analyzer())


def forget_postings_read() -> None:
    """Empty what is kept of the postings and sentences read so far, as a new process starts
    (benchmarks/digest.py times each run cold, as cron's `leads digest` runs)."""
    for kept in (_cached_posting_part, _reading, _skills_named):
        kept.cache_clear()


# -- the posting's sentences ---------------------------------------------------------------


def posting_passages(posting: Posting, analyzer: Analyzer) -> list[Passage]:
    """The sentences and bullets of a posting's description, each with its part and skills."""
    vocabulary = _vocabulary()
    passages: list[Passage] = []
    part = ""
    for line in posting.description_text[:BODY_CHARS].split("\n"):
        text = _BULLET.sub("", line).strip()
        if not text:
            continue
        # A list item is no heading, whatever its words ("- 5+ years of SQL experience",
        # "• Performance bonus"), unless it opens a list of its own ("• Benefits:").
        item = text != line.strip() and not text.endswith((":", "?"))
        heading = None if item else _heading_part(text, vocabulary)
        if heading is not None:
            part = heading
            continue
        for sentence in _SENTENCE_END.split(text):
            sentence = sentence.strip()
            count = len(sentence.split())
            if _MIN_SENTENCE_WORDS <= count <= _MAX_SENTENCE_WORDS:
                found = _skills_named(sentence, analyzer)
                passages.append(Passage(sentence, part, len(passages), found))
    return passages


@lru_cache(maxsize=16384)  # sentences repeat across postings: see _reading
def _skills_named(sentence: str, analyzer: Analyzer) -> tuple[str, ...]:
    """The keys of the skills a sentence names, in order of appearance."""
    skills = analyzer.table.display
    return tuple(dict.fromkeys(f for f in analyzer(sentence) if f in skills))


def _heading_part(line: str, vocabulary: _Vocabulary) -> str | None:
    """The part a short heading line opens ("Requirements:" -> requirements), else None.
    The headings the matcher reads as the employer's, the offer's or the process's open a
    part to skip (matchers.sections: "Why us?", "Here's why we think this is a great
    opportunity:"), but not a field such as "Headquarters: Miami Beach, FL"."""
    if ":" not in line.rstrip(":") and is_other_heading(line):
        return "skip"
    words = line.split()
    if len(words) > 8 or (line[-1] in ".!" and not line.endswith("...")):
        return None
    lower = line.lower()
    for part in ("skip", "duties", "requirements"):
        if any(word in lower for word in vocabulary.headings[part]):
            return part
    # Any other short heading ("The stack:", "Why now?") ends the part before it.
    return None if len(words) > 4 or not line.endswith((":", "?")) else ""


# -- likely asked ----------------------------------------------------------------------------


def _asked(
    passages: Sequence[Passage], posting: Posting, analyzer: Analyzer
) -> tuple[tuple[Cited, ...], int]:
    candidates = [c for p in passages if p.part != "skip" for c in _candidates(p, analyzer)]
    candidates.sort(key=lambda c: (-c.score, c.position))
    chosen: list[_Candidate] = []
    # One question per sentence first; a sparse posting may then give a second question
    # from a sentence, about another topic, before general questions fill in.
    for limit, same_source in ((MAX_ASKED, True), (MIN_ASKED, False)):
        for candidate in candidates:
            if len(chosen) >= limit:
                break
            # A family has as many wordings as it may have questions on a sheet.
            crowded = sum(c.family == candidate.family for c in chosen) >= len(candidate.variants)
            if not crowded and not any(_same(candidate, c, same_source) for c in chosen):
                chosen.append(candidate)
    chosen.sort(key=lambda c: c.position)
    asked = _worded(chosen)
    generic = 0
    for question in _general_questions(posting):
        if len(asked) >= MIN_ASKED:
            break
        if not any(near_duplicate(question.text, other.text) for other in asked):
            asked.append(question)
            generic += 1
    return tuple(asked), generic


def _worded(chosen: Sequence[_Candidate]) -> list[Cited]:
    """The chosen questions, each family's templates taken in turn so no two read alike."""
    used: Counter[str] = Counter()
    asked = []
    for candidate in chosen:
        turn = used[candidate.family]
        used[candidate.family] += 1
        asked.append(Cited(candidate.variants[turn % len(candidate.variants)], candidate.source))
    return asked


def _candidates(passage: Passage, analyzer: Analyzer) -> Iterator[_Candidate]:
    """The questions one sentence can give, each scored by how much of the job it carries."""
    reading = _reading(passage.text)
    if reading is None:
        return
    weight = {"duties": 1.0, "requirements": 0.8, "": 0.5}[passage.part]
    names = [_skill_words(analyzer.table.name_of(key), passage.text) for key in passage.skills]
    if reading.duty is not None:
        verb, rest = reading.duty
        family, variants = _duty_questions(verb, rest, names, passage.text)
        yield _candidate(
            variants, family, passage,
            2.0 + weight + 0.5 * min(len(names), 2), f"duty:{verb} {rest}".lower(),
        )
    if names:
        named = " and ".join(names[:2])
        yield _candidate(
            tuple(t.format(skills=named) for t in _SKILL_TEMPLATES), "skill", passage,
            1.5 + weight + 0.5 * min(len(names), 2), f"skill:{passage.skills[0]}",
        )
    if reading.experience and not names:
        what = reading.experience
        yield _candidate(
            (f"Tell me about your experience with {what}: what are you proudest of there?",),
            "experience", passage, 1.2 + weight, f"experience:{what.lower()}",
        )
    if reading.practice is not None:
        pattern, question = reading.practice
        yield _candidate((question,), "practice", passage, 1.0 + weight, f"practice:{pattern}")


@dataclass(frozen=True, slots=True)
class _Reading:
    """What a sentence gives questions from, whatever its part of the posting or its skills."""

    duty: tuple[str, str] | None  # (verb, the words after it): see _duty_phrase
    experience: str  # what it asks experience in, "" when nothing
    practice: tuple[str, str] | None  # (pattern, question) of the first way of working named


# Sentences repeat across postings (an employer's postings share paragraphs: of the sentences
# of benchmarks/match_quality.py's postings, nearly one in three is another's), and reading
# them is most of what finding a posting's questions costs.
@lru_cache(maxsize=16384)
def _reading(sentence: str) -> _Reading | None:
    """What ``sentence`` gives questions from; None for boilerplate, which gives none."""
    lower = sentence.lower()
    if _BOILERPLATE.search(lower):
        return None
    experience = _EXPERIENCE.search(sentence)
    return _Reading(
        duty=_duty_phrase(sentence),
        experience=_trim(experience.group("what")) if experience is not None else "",
        practice=_practice(lower),
    )


def _practice(lower: str) -> tuple[str, str] | None:
    """(pattern, question) of the first way of working a lower-cased sentence names."""
    vocabulary = _vocabulary()
    if not vocabulary.any_practice.search(lower):
        return None
    return next(((p.pattern, q) for p, q in vocabulary.practices if p.search(lower)), None)


def _skill_words(name: str, sentence: str) -> str:
    """A skill's name as it reads mid-sentence: lower case where the posting writes it so
    ("branding") or where only its first letter is capital ("Project management")."""
    lower = name.lower()
    words = name.split()
    if lower in sentence or (len(words) > 1 and " ".join(words[1:]).islower()):
        return name[0].lower() + name[1:]
    return name


def _candidate(
    variants: tuple[str, ...], family: str, passage: Passage, score: float, topic: str
) -> _Candidate:
    return _Candidate(variants, family, passage.text, score, passage.position, topic)


def _duty_phrase(sentence: str) -> tuple[str, str] | None:
    """(verb in its base form, the words after it) when the sentence opens with an action."""
    vocabulary = _vocabulary()
    lower = sentence.lower()
    start = 0
    for prefix in vocabulary.prefixes:
        if lower.startswith(prefix + " "):
            start = len(prefix) + 1
            break
    opening = sentence[start:]
    if (label := _LABEL.match(opening)) is not None:  # "Pitching - Crafting … pitches"
        opening = opening[label.end() :]
    words = opening.split()
    if len(words) < 2:
        return None
    verb = base_verb(words[0].strip(",").lower(), vocabulary.verbs)
    if verb is None or words[1].lower().strip(",") in _NOT_AN_ACTION:
        return None
    if words[0].endswith(","):  # a list of verbs: "Shape, shepherd, ship, and show programs"
        verb += ","
    if _APPLYING.search(opening):
        return None
    rest = _trim(_EARLY_ASIDE.sub(r"\1", " ".join(_coordinated_verbs(words[0], words[1:]))))
    return (verb, rest) if len(rest.split()) >= 2 else None


_CONJUNCTIONS = frozenset({"and", "or", "&", "and/or"})
_INFLECTIONS = ("ing", "ed", "s")


def _coordinated_verbs(first: str, rest: list[str]) -> list[str]:
    """``rest`` with the verbs joined to the opening one ``first`` in their base form too, as
    the question puts the first: "Implementing and developing content" is asked as
    "implement and develop content", not "implement and developing content". Only verbs of
    the opening one's inflection, and only while each is joined to the one before ("and",
    "or", a comma): a later "and marketing" is as often a noun."""
    verbs = _vocabulary().verbs
    bare = first.rstrip(",").lower()
    ending = next((e for e in _INFLECTIONS if bare.endswith(e)), None)
    if ending is None or bare in verbs:
        return rest
    out = list(rest)
    joined = first.endswith(",")
    for index, word in enumerate(rest):
        core = word.rstrip(",").lower()
        if core in _CONJUNCTIONS:
            joined = True
            continue
        base = base_verb(core, verbs) if joined and core.endswith(ending) else None
        if base is None:
            break
        out[index] = base + word[len(core) :]
        joined = word.endswith(",")
    return out


def base_verb(word: str, verbs: frozenset[str]) -> str | None:
    """The base form of an inflected action verb ("analysing" -> "analyse"), else None."""
    if word in verbs:
        return word
    stems = []
    if word.endswith("ies"):
        stems.append(word[:-3] + "y")
    if word.endswith("ing"):
        stem = word[:-3]
        stems += [stem, stem + "e"]
        if len(stem) > 2 and stem[-1] == stem[-2]:
            stems.append(stem[:-1])  # "planning" -> "plan"
    if word.endswith("ed"):
        stems += [word[:-2], word[:-1]]
        if word.endswith("ied"):
            stems.append(word[:-3] + "y")
    if word.endswith("es"):
        stems.append(word[:-2])
    if word.endswith("s"):
        stems.append(word[:-1])
    return next((stem for stem in stems if stem in verbs), None)


# Words that join parts of one list item ("customer and partner activities").
_WITHIN_ITEM = frozenset(("and", "or"))


def _list_end(text: str, start: int, stop: int) -> int | None:
    """Where the list item at ``start`` (after a list's ", and ") ends: before the first word
    that opens a phrase of its own ("and" and "or" join words of the item), before ``stop``,
    if the text up to there fits in the dozen words. None when the ", and " ends no list (the
    part before it is no short item: "maintainable, and idiomatic code, and drive…"), when the
    item opens a phrase ("…, and to know…") or holds a comma ("clients providing high-touch,
    solutions-oriented service")."""
    before = text[: start - len(", and ")].rsplit(",", 1)[-1].split()
    words = list(re.finditer(r"\S+", text[start:stop]))
    if (not words or len(before) > _LIST_ITEM_WORDS or "and" in before
            or words[0].group().lower() in _PHRASE_STARTS):
        return None
    for at, word in enumerate(words[1:], start=1):
        if words[at - 1].group().endswith(","):
            return None  # "high-touch, solutions-oriented service": no plain item
        if word.group().lower() in _PHRASE_STARTS - _WITHIN_ITEM:
            end = start + words[at - 1].end()
            return end if len(text[:end].split()) <= _MAX_PHRASE_WORDS else None
    return None


def _trim(text: str) -> str:
    """The first clause of ``text`` (of a few words at least), at most a dozen words, not
    ending on a little word. A longer clause ends where a phrase of it does (before "to",
    "and", "based"… or after a comma), not inside one ("and capture demand based"). The ", and"
    before a list's last item ends no clause when the list fits in the dozen words ("triage,
    troubleshoot, and fix bugs"); when what follows the list does not, the clause ends with
    the list's last item ("craft & send email, video, and social media pitches", not "…
    email, video", which loses the noun the items share)."""
    clause = text
    clause_ends = list(_CLAUSE_END.finditer(text))
    for at, end in enumerate(clause_ends):
        if len(text[: end.start()].split()) < _MIN_CLAUSE_WORDS:
            continue
        after = clause_ends[at + 1].start() if at + 1 < len(clause_ends) else len(text)
        if end.group() == ", and " and "," in text[: end.start()]:
            if len(text[:after].split()) <= _MAX_PHRASE_WORDS:
                continue  # the last item of a short list: read on
            clause = text[: _list_end(text, end.end(), after) or end.start()]
            break
        clause = text[: end.start()]
        break
    words = clause.rstrip(" .,!?").split()
    if len(words) > _MAX_PHRASE_WORDS:
        # The first phrase end past half the dozen: the last one may fall inside a phrase
        # ("Specialists, serving as a point…" cut before "as").
        ends = (at for at in range(_MAX_PHRASE_WORDS // 2, _MAX_PHRASE_WORDS + 1)
                if words[at].lower() in _PHRASE_STARTS or words[at - 1].endswith(","))
        words = words[: next(ends, _MAX_PHRASE_WORDS)]
    opened = next((at for at, word in enumerate(words) if word.startswith("(")), None)
    if opened is not None and not any(")" in word for word in words[opened:]):
        words = words[:opened]  # an aside cut short reads as nonsense: end before it
    while words and words[-1].lower().strip(",") in _TRAILING:
        words.pop()
    return " ".join(words).rstrip(",")


_DUTY_TEMPLATES = (
    "Tell me about a time you had to {verb} {rest}. What did you do, and how did it turn out?",
    "This role would have you {verb} {rest}. How have you done that before?",
    "How would you go about it if you were asked to {verb} {rest}?",
    "What would your plan be to {verb} {rest}?",
    "Describe a time you had to {verb} {rest}, and what you learned from it.",
    "Give an example of when you had to {verb} {rest}. What would you do differently now?",
)
_DUTY_SKILL_TEMPLATES = (
    "Tell me about a time you used {skill} to {verb} {rest}.",
    "How have you used {skill} to {verb} {rest}? Walk me through one case.",
)
_SKILL_TEMPLATES = (
    "Walk me through a project where you used {skills}: what was your part in it?",
    "How have you used {skills} in your work so far? Give a concrete example.",
    "What is the hardest problem you have solved with {skills}?",
    "If we asked you to pick up {skills} on day one, how ready would you be, and why?",
    "What did you once get wrong with {skills}, and what did it teach you?",
    "How do you keep your {skills} up to date, and what have you learned lately?",
)
# The words the templates put around a question's subject: never what a question is about.
_TEMPLATE_WORDS = frozenset(
    word
    for template in (*_DUTY_TEMPLATES, *_DUTY_SKILL_TEMPLATES, *_SKILL_TEMPLATES)
    for word in re.findall(r"[a-z']+", re.sub(r"\{\w+\}", " ", template.lower()))
)


def _duty_questions(
    verb: str, rest: str, skills: Sequence[str], sentence: str
) -> tuple[str, tuple[str, ...]]:
    """Questions about a duty; "you used SQL to ..." when the sentence names a skill the
    duty's own words leave out."""
    named = [s for s in skills if _used_as_tool(s, sentence)]
    if named and not any(s.lower() in rest.lower() for s in named):
        return "duty_skill", tuple(
            t.format(skill=named[0], verb=verb, rest=rest) for t in _DUTY_SKILL_TEMPLATES
        )
    return "duty", tuple(t.format(verb=verb, rest=rest) for t in _DUTY_TEMPLATES)


def _used_as_tool(skill: str, sentence: str) -> bool:
    """Whether the sentence names ``skill`` as what the duty is done with, at the end of a
    phrase ("campaigns in HubSpot.", "written in Ruby-on-Rails", "(built with .NET)"), not as
    a team, a subject or an item of a list ("with Inside Sales Representatives", "with Site
    Reliability Engineering (SRE)", "with Product Management, Sales and Marketing"): only then
    is "you used SKILL to DUTY" a question that makes sense. Read from benchmarks/prep.py:
    of the 693 such questions asked before, about one in five made sense."""
    tool = rf"\b(?:in|with|using|via)\s+{re.escape(skill)}(?=\s*(?:$|[.;:)\-\u2013]))"
    return re.search(tool, sentence, re.IGNORECASE) is not None


def _same(one: _Candidate, other: _Candidate, same_source: bool = True) -> bool:
    return (
        one is other
        or (same_source and one.source == other.source)
        or one.topic == other.topic
        or near_duplicate(one.variants[0], other.variants[0])
    )


def near_duplicate(one: str, other: str) -> bool:
    """Whether two questions ask much the same: most content words of the shorter are shared."""
    a, b = content_words(one), content_words(other)
    if not a or not b:
        return a == b
    return len(a & b) / min(len(a), len(b)) >= _DUPLICATE_OVERLAP


@lru_cache(maxsize=8192)  # a sheet compares each question with each other one
def content_words(text: str) -> frozenset[str]:
    """The words of a question that are not template or little words."""
    words = (w.rstrip(".'\u2019-") for w in _WORD.findall(text.lower()))
    return frozenset(w for w in words if w not in _STOP and w not in _TEMPLATE_WORDS)


def _general_questions(posting: Posting) -> list[Cited]:
    """Questions any interview for the role may hold, citing the posting's title."""
    title = _one_line(posting.title)
    if not title:
        return []
    at = f" at {_one_line(posting.company)}" if posting.company.strip() else ""
    return [
        Cited(f"What draws you to the {title} role{at}?", title),
        Cited("Which of your past work best prepares you for this job?", title),
        Cited("What would you want to learn or change in your first year here?", title),
        Cited("Tell me about the project you are proudest of and your part in it.", title),
    ]


# -- brush up on -----------------------------------------------------------------------------


def _brush_up(
    passages: Sequence[Passage],
    posting: Posting,
    profile: Profile,
    gaps: Sequence[str] | None,
    analyzer: Analyzer,
) -> tuple[Cited, ...]:
    table = analyzer.table
    if gaps is not None:
        named = [(gap, _skill_key(gap, analyzer)) for gap in dict.fromkeys(gaps)]
    else:
        named = [(table.name_of(k), k) for k in _missing(passages, profile, analyzer)]
    out = []
    # Cited where the job asks for it before where the offer or the blurb names it.
    cited = sorted(passages, key=lambda p: p.part == "skip")
    for name, key in named[:MAX_BRUSH_UP]:
        source = next((p.text for p in cited if key in p.skills), None)
        out.append(Cited(name, source if source is not None else _mentioning(posting, name)))
    return tuple(out)


def _skill_key(name: str, analyzer: Analyzer) -> str:
    """The skills table's key for a skill name (the longest phrase found in it), else the name."""
    found = [f for f in analyzer(name) if f in analyzer.table.display]
    return found[-1] if found else name


def _missing(passages: Sequence[Passage], profile: Profile, analyzer: Analyzer) -> list[str]:
    """The posting's skills the profile does not name, requirement sentences first."""
    have = set(_profile_skills(profile, analyzer))
    # Never from a part about the employer or the offer (as the matcher's gaps never are).
    asked = [p for p in passages if p.part != "skip"]
    ordered = sorted(asked, key=lambda p: (p.part == "", p.position))
    return [
        key for key in dict.fromkeys(k for p in ordered for k in p.skills) if key not in have
    ]


def _profile_skills(profile: Profile, analyzer: Analyzer) -> list[str]:
    text = "\n".join((*profile.skills, *profile.roles, profile.about, profile.resume))
    names = analyzer.table.names
    listed = [names[s.lower()] for s in profile.skills if s.lower() in names]
    return [*listed, *(f for f in analyzer(text) if f in analyzer.table.display)]


def _mentioning(posting: Posting, name: str) -> str:
    """Where else the posting names a skill: its title or its tags ("" when nowhere)."""
    if name.lower() in posting.title.lower():
        return _one_line(posting.title)
    return next((tag for tag in posting.tags if name.lower() in tag.lower()), "")


# -- questions to ask them -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Topic:
    pattern: re.Pattern[str]
    said: str  # the question when the posting mentions it: {0} is the posting's words
    omitted: str | None  # the question when it does not; None: ask only when mentioned


_TOPICS = (
    _Topic(
        re.compile(r"\b(?:join|joining|part of)\s+(?:our|the|a)\s+((?:[\w&/-]+\s+){0,3}?team)\b",
                   re.IGNORECASE),
        "You mention joining the {0}: how is it organised, and whom would I work with most?",
        "Whom would I work with day to day, and how is the team set up?",
    ),
    _Topic(
        re.compile(r"\b(first\s+(?:30|60|90|\d+)\s+days|first\s+(?:few\s+)?months|onboarding)\b",
                   re.IGNORECASE),
        "The posting mentions the {0}: what would a strong start look like to you?",
        "What would you expect me to have achieved in the first 90 days?",
    ),
    _Topic(
        re.compile(r"\b(kpis?|okrs?|metrics|quotas?|targets|success measures?)\b", re.IGNORECASE),
        "How are the {0} for this role set, and how often are they reviewed?",
        "How will you measure success in this role after six months?",
    ),
    _Topic(
        re.compile(r"\b(remote|hybrid|on-?site|in the office|office-based|work from home)\b",
                   re.IGNORECASE),
        "The posting says {0}: what does that look like day to day (core hours, office days, "
        "time zones)?",
        "The posting does not say where the work happens: what is the team's remote, hybrid "
        "or office practice?",
    ),
    _Topic(
        re.compile(r"\b(on-?call|pager|incident response|24/7|production support)\b",
                   re.IGNORECASE),
        "The posting mentions {0}: how is the rotation shared, and how are incidents followed up?",
        None,
    ),
    _Topic(
        re.compile(r"\b(career (?:growth|development|path|progression)|growth opportunit\w*|"
                   r"learning budget|professional development|mentorship)\b", re.IGNORECASE),
        "You mention {0}: what has that looked like for people who held this role before?",
        "Where have people in this role gone next, and what would growth look like for me?",
    ),
)


def questions_to_ask(posting: Posting, avoid: Sequence[str] = ()) -> tuple[str, ...]:
    """Questions for the mentee to ask, from what the posting says and omits, none a
    near-duplicate of one in ``avoid``; the next-steps question last, always."""
    # A board's remote flag says where the work happens even when the text does not.
    remote = "Remote\n" if posting.remote else ""
    text = f"{posting.title}\n{posting.location}\n{remote}{posting.description_text[:BODY_CHARS]}"
    said: list[str] = []
    omitted: list[str] = []
    for topic, found in zip(_TOPICS, _first_mentions(text), strict=True):
        if found is not None:
            question: str | None = topic.said.format(_as_asked(found.group(1)))
        else:
            question = topic.omitted
        if question is not None and not any(near_duplicate(question, a) for a in avoid):
            (said if found is not None else omitted).append(question)
    return (*[*said, *omitted][: MAX_TO_ASK - 1], NEXT_STEPS_QUESTION)


# Where any topic is named: one scan of a posting for all of them (most places fail the \b they
# share) costs about a third less than a scan for each. Every topic's pattern opens with \b and
# ignores case (tests/test_prep_speed_identity.py checks).
_ANY_TOPIC = re.compile(
    r"\b(?=" + "|".join(t.pattern.pattern.removeprefix(r"\b") for t in _TOPICS) + ")",
    re.IGNORECASE,
)


def _first_mentions(text: str) -> list[re.Match[str] | None]:
    """Each topic's first match in ``text`` (None for one not named), as its pattern's search
    finds it: the first of the places any topic is named where the topic's own pattern matches."""
    found: list[re.Match[str] | None] = [None] * len(_TOPICS)
    for place in _ANY_TOPIC.finditer(text):
        for index, topic in enumerate(_TOPICS):
            if found[index] is None:
                found[index] = topic.pattern.match(text, place.start())
    return found


# How a question names what the posting said: "KPIs", not "kpis", and never "the KPI for".
_NAMED_AS = {"kpi": "KPIs", "kpis": "KPIs", "okr": "OKRs", "okrs": "OKRs", "quota": "quotas",
             "success measure": "success measures"}  # fmt: skip


def _as_asked(said: str) -> str:
    """The posting's words as a question's middle: lower case, but for acronyms ("the GTM
    team") and the plural the question's grammar needs."""
    words = _one_line(said)
    if words.lower() in _NAMED_AS:
        return _NAMED_AS[words.lower()]
    return " ".join(w if sum(c.isupper() for c in w) > 1 else w.lower() for w in words.split())


# -- the vocabulary --------------------------------------------------------------------------


@cache
def _default_analyzer() -> Analyzer:
    return Analyzer()


@cache
def _vocabulary() -> _Vocabulary:
    text = resources.files("matchers").joinpath("data/prep.yaml").read_text(encoding="utf-8")
    data: Any = YAML(typ="safe").load(text)
    prefixes = sorted((str(p).lower() for p in data["prefixes"]), key=len, reverse=True)
    return _Vocabulary(
        verbs=frozenset(str(v).lower() for v in data["verbs"]),
        prefixes=tuple(prefixes),
        practices=tuple(
            (re.compile(str(p["pattern"])), str(p["question"])) for p in data["practices"]
        ),
        # Joined bare, not each in a group of its own: the regex engine skips the places no
        # alternative of one flat alternation can start at, and searches nearly twice as fast.
        any_practice=re.compile("|".join(str(p["pattern"]) for p in data["practices"])),
        headings={part: tuple(map(str, words)) for part, words in data["headings"].items()},
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())
