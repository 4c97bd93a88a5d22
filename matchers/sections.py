"""What a posting asks for, apart from what it offers and says about its employer.

A job description mixes the job (responsibilities, requirements, the stack) with the
company blurb, benefits and perks, pay, the equal-opportunity statement and how to apply.
The words of the second part are no skill the mentee lacks ("Human resources", "Diversity
equity inclusion" from an EEO statement) and no reason a mentee wants the job, so "Brush up
on", "Why it fits" and feedback read only the first. Sections are recognised by their
headings; paragraphs outside any heading by what they say.

Inside the job's own text, the names of teams and people the hire works with ("partner
with Product Management and Engineering teams", "other key functions (Public Policy,
Corporate Communications)", "our Director of Customer Success", "collaborate with graphic
designers, content marketers and video producers") are no more asked for than the blurb
is: they go to the rest too. So do the subjects of a degree ("BA/BS degree in
Finance, Accounting or Economics"): what the hire studied, not a skill to brush up on; and
what the job will teach ("learn the ecosystem of real estate technology and lead
generation", "get familiar with our tech stack (Slack, Notion)"): not asked beforehand.
"""

from __future__ import annotations

import re

from aggregator.core.headings import BULLET, is_heading

# The employer's clients or brands ("Brands we've worked with: HubSpot, FreshBooks"): what
# the employer sells to, not a tool of the job.
CLIENT_LIST = (
    r"(?:brands|clients|companies|customers|partners) (?:we(?:'|\u2019)ve|we have) worked with"
    r"|(?:clients|customers) include|trusted by"
)
_CLIENTS = re.compile(CLIENT_LIST)
# Headings of sections about the employer, the offer or the process, not the job. "About
# the role" is the job; "About us", "About Knack" and "About the company" are not.
_OTHER_HEADING = re.compile(
    r"benefit|perk|what we offer|we offer|offer you|in it for you|do for you\b"  # "What we can…"
    r"|why (?:join|work|you.ll love)"
    r"|why \w+\W*$|^about (?!(?:the |this |our |your )?(?:role|position|job|opportunit|you|team"
    r"|work|responsibilit|requirement))|who we are|our (?:mission|values|culture|story"
    r"|commitment|company|benefits)|life at|working (?:at|here|with us)|compensation|salary"
    r"|pay (?:range|band)|equal (?:employment )?opportunit|eeo|diversity|inclusion"
    r"|how to apply|to apply|apply now|hiring process|interview process|recruitment process"
    r"|next steps|headquarters|^url:|^location|the company|the perks|you can expect"
    r"|what you.ll get|vision|investors|funding|backed by"
    r"|great opportunity|why we think"  # "Here's why we think this is a great opportunity:"
    r"|" + CLIENT_LIST,  # "Clients we've worked with:", a list of them below
)
# Paragraphs anywhere that are an EEO statement, an offer, a note on the process or the
# employer's clients.
_OTHER_PARAGRAPH = re.compile(
    r"equal (?:employment )?opportunit|regardless of|without regard|protected (?:veteran|class"
    r"|characteristic|status)|reasonable accommodation|e-verify|sexual orientation"
    r"|gender identity|national origin|we offer|offers? benefits|benefits include|perks"
    r"|paid time off|\bpto\b|401\(?k|health insurance|dental|parental leave|stock options"
    r"|privacy (?:policy|notice)|recruitment agenc|headhunters"
    # how to apply ("Please upload a 1 minute video introducing yourself")
    r"|how to apply|^to apply\b|\bplease (?:upload|attach|record|submit|send)\b"
    r"|\bwe(?:.ve| have)? raised\b|\braised \$|\bseries [a-e] (?:round|funding)|" + CLIENT_LIST,
)
# A word of every alternative above: a paragraph with none of them cannot match, and
# looking for plain substrings first is several times cheaper than the regex on every
# paragraph of 100,000 postings (tests/test_match_explanations.py checks they agree).
_OTHER_PARAGRAPH_CUES = (
    "opportunit", "regard", "protected", "accommodation", "verify", "orientation", "gender",
    "origin", "offer", "benefit", "perk", "paid time", "pto", "401", "insurance", "dental",
    "parental", "stock option", "privacy", "agenc", "headhunter", "apply", "please", "raised",
    "series ",
    "worked with", "include", "trusted by",
)
# Paragraphs that describe the employer; kept when they also describe the job.
_EMPLOYER_OPENING = re.compile(
    r"^(?:we(?:'|\u2019)re|we are|we have|our |founded|since \d|at \w+|headquarters:|url:)",
)
# A short label before a paragraph ("tldr: ...", "Headquarters: ...").
_LABEL = re.compile(r"^[\w-]{1,12}:\s*")
_ABOUT_THE_JOB = re.compile(
    r"looking for|seeking|hiring|you(?:'|\u2019)ll|you will|the role|this role|this position"
    r"|join (?:us|our \w+) as|responsib|requirement|experience (?:in|with)",
)
# Names of the teams, functions and people a job works with: one to six words before
# "teams" (or "colleague": "working with a DevOps colleague") with no function word among
# them (so a name never swallows a clause), a list in brackets, after "such as" or
# "consisting of" that follows ("a 2-4 person team, consisting of a Product Manager, 1-2
# Developers, and a Designer"), and the field of a leader's title. Found from the word
# "team" (and its kin) back, which is much cheaper than trying every word.
_TEAM_WORD = re.compile(
    r"\b(?:teams?|departments?|functions|organi[sz]ations|orgs|colleagues?)\b")
# substrings of the above
_TEAM_CUES = ("team", "department", "function", "organi", "orgs", "colleague")
_NAME_WORD = (r"(?!(?:to|for|with|on|in|of|by|at|as|is|are|be|who|that|which|a|an|the|our"
              r"|your|other|and|or)\b)[\w&/+.-]+")
_NAMES_BEFORE = re.compile(
    rf"(?<![\w&/+.-]){_NAME_WORD}(?:(?:,\s*(?:and\s+|&\s+)?|\s+(?:and|&|or)\s+|\s+)"
    rf"{_NAME_WORD}){{0,5}}\s+$"
)
_NAMES_AFTER = re.compile(
    r"\s*\([^)]{1,200}\)|\s+(?:such as|including|like)\s+[^.;:]{1,150}"
    r"|,?\s+(?:consisting of|made up of|composed of|comprised of|comprising)\s+[^.;:]{1,150}"
)
_LOOK_BACK = 100
_LEADER_CUES = ("Director", "Head", "VP", "Vice", "Chief")  # the titles _LEADER opens with
# The people a job works with: a list of one- to three-word names after "collaborate with"
# (or "partner with", "work closely with", "liaise with", "coordinate with", and "partner
# with and support"), up to the first function word ("collaborate with designers and
# engineers to ship features").
_WITH_CUES = ("collaborat", "partner", "closely with", "liaise", "liaising", "coordinat")
_NAME = rf"(?:(?:the|our)\s+)?{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}"
# Such names in a list: "Product, Sales and Legal", "Strategy & GTM".
_NAMES = rf"({_NAME}(?:(?:,\s*(?:and\s+|&\s+)?|\s+(?:and|&)\s+){_NAME}){{0,7}})"
_COLLABORATORS = re.compile(
    r"\b(?:collaborat\w*|partner(?:s|ing)?|work(?:s|ing)? closely|liais\w*|coordinat\w*)"
    r" with(?:\s+and\s+(?:support|advise|serve|influence)\w*)?"
    rf"\s+{_NAMES}"
)
# The functions a job works with, named as stakeholders ("working with Product, Commercial,
# Strategy & GTM stakeholders", "with Sales Operations, Marketing and other stakeholders");
# only after "with", as "manage stakeholders" is the job.
_STAKEHOLDERS = re.compile(
    rf"\bwith\s+{_NAMES}"
    r"(?:,?\s+and\s+other)?\s+stakeholders\b"
)
# The subjects of a degree: after "degree in" (or "BS in", "Master of Science in", "degree
# program in"), up to the end of the clause or an "or equivalent" / "or a related field".
_DEGREE_CUES = ("degree", "bachelor", "master", "diploma", "ba/", "bs/", "bs ", "bsc", "msc",
                "ms ", "mba", "phd")
_DEGREE_SUBJECTS = re.compile(
    r"\b(?:degrees?|diploma|bachelor(?:'s|\u2019s|s)?|master(?:'s|\u2019s|s)?|ba/bs|bs/ba|bs/ms"
    r"|ms/phd|bsc|msc|bs|ms|ba|mba|phd)(?: of (?:science|arts))?(?: degree)?(?: program)? in "
    r"([^.;:()]{1,150}?)(?=,? or (?:an? )?(?:equivalent|related|similar|other)\b|,? with\b"
    r"|,? and \d|[.;:()]|$)"
)
# What the hire will learn on the job: from the cue to the end of the clause or its next
# comma (a list in brackets stays whole).
_LEARN_CUES = ("learn", "familiar", "pick up")
_TO_LEARN = re.compile(
    r"\b(?:learn|gets? familiar with|getting familiar with|become familiar with|pick up)\s+"
    r"((?:[^.;:,()]|\([^)]*\))+)"
)
_LEADER = re.compile(
    r"\b(?:Director|Head|VP|Vice President|Chief \w+ Officer) of "
    r"(?:[A-Z][\w&-]*(?:,? (?:and |& )?)?)+"
)


def requirements(text: str, company: str = "") -> str:
    """The part of a job description that is about the job itself (see the module doc)."""
    return split_description(text, company)[0]


def split_description(text: str, company: str = "") -> tuple[str, str]:
    """``text`` as (what the job is and asks for, the rest), each joined by newlines."""
    job: list[str] = []
    rest: list[str] = []
    skipping = False
    name = company.strip().lower()
    for paragraph in _paragraphs(text):
        lower = paragraph.lower()
        if is_heading(paragraph) and not _listed_after_colon(paragraph, lower):
            skipping = is_other_heading(paragraph)
            (rest if skipping else job).append(paragraph)
            continue
        other = skipping or _other_paragraph(lower)
        if not other:
            other = _about_employer(lower, name, BULLET.match(paragraph) is not None)
        if other:
            rest.append(paragraph)
            continue
        kept, names = _without_names(paragraph, lower)
        job.append(kept)
        rest.extend(names)
    return "\n".join(job), "\n".join(rest)


def _without_names(paragraph: str, lower: str) -> tuple[str, list[str]]:
    """The paragraph without the names of the teams, leaders and people the job works with,
    the subjects of degrees it mentions and what it will teach, and those."""
    spans = []
    words = _TEAM_WORD.finditer(lower) if any(w in lower for w in _TEAM_CUES) else ()
    for word in words:
        start, end = word.span()
        before = _NAMES_BEFORE.search(lower, max(0, start - _LOOK_BACK), start)
        after = _NAMES_AFTER.match(lower, end)
        if before is None and after is None:
            continue  # "a team of experts": no name
        spans.append((before.start() if before else start, after.end() if after else end))
    if " of " in paragraph and any(t in paragraph for t in _LEADER_CUES):
        spans.extend(m.span() for m in _LEADER.finditer(paragraph))
    if any(c in lower for c in _WITH_CUES):
        spans.extend(m.span(1) for m in _COLLABORATORS.finditer(lower))
    if "stakeholders" in lower:
        spans.extend(m.span(1) for m in _STAKEHOLDERS.finditer(lower))
    if any(c in lower for c in _DEGREE_CUES):
        spans.extend(m.span(1) for m in _DEGREE_SUBJECTS.finditer(lower))
    if any(c in lower for c in _LEARN_CUES):
        spans.extend(m.span(1) for m in _TO_LEARN.finditer(lower))
    if not spans:
        return paragraph, []
    kept, names, at = [], [], 0
    for start, end in sorted(spans):
        if start < at:  # overlapping spans: the first one reaches further back
            start = at
        kept.append(paragraph[at:start])
        names.append(paragraph[start:end])
        at = max(at, end)
    kept.append(paragraph[at:])
    return " ; ".join(kept), [n for n in names if n]


def _paragraphs(text: str) -> list[str]:
    """Lines of text, without empty ones (bullets and headings are lines of their own)."""
    return [line for line in (raw.strip() for raw in text.splitlines()) if line]


def _listed_after_colon(line: str, lower: str) -> bool:
    """A heading-like line that is a whole list itself ("Brands we've worked with: HubSpot,
    FreshBooks"), told by what it says: a paragraph, not the start of a section."""
    listed = line.partition(":")[2]
    return bool(listed.strip()) and _CLIENTS.search(lower) is not None


def is_other_heading(line: str) -> bool:
    """Whether ``line`` heads a section about the employer, the offer or the process."""
    return is_heading(line) and _OTHER_HEADING.search(line.lower().strip(" :\t")) is not None


def _other_paragraph(lower: str) -> bool:
    """Whether a lower-cased paragraph is an EEO statement, an offer or a process note."""
    return any(c in lower for c in _OTHER_PARAGRAPH_CUES) and (
        _OTHER_PARAGRAPH.search(lower) is not None
    )


def _about_employer(paragraph: str, company: str, bullet: bool) -> bool:
    """A paragraph opening like a company blurb ("We're Knack, ...", "Relay is ...") that
    says nothing of the job (a mere mention of the employer says nothing either way). After a
    bullet or a short label, only one saying what the employer is counts ("• noxx is a
    payroll and compliance tool", "tldr: Dragonfruit Media is an agency..."): "• We're a team
    of five…" or "Stack: Acme's platform runs on Python" may well describe the job."""
    unbulleted = BULLET.sub("", paragraph, count=1) if bullet else paragraph
    body = _LABEL.sub("", unbulleted, count=1)
    if bullet or body != unbulleted:
        about = bool(company) and body.startswith(f"{company} is ")
    else:
        about = bool(company) and paragraph.startswith(company)
    if not bullet:
        about = about or _EMPLOYER_OPENING.match(paragraph) is not None
    return about and _ABOUT_THE_JOB.search(paragraph) is None
