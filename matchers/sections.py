"""What a posting asks for, apart from what it offers and says about its employer.

A job description mixes the job (responsibilities, requirements, the stack) with the
company blurb, benefits and perks, pay, the equal-opportunity statement and how to apply.
The words of the second part are no skill the mentee lacks ("Human resources", "Diversity
equity inclusion" from an EEO statement) and no reason a mentee wants the job, so "Brush up
on", "Why it fits" and feedback read only the first. Sections are recognised by their
headings; paragraphs outside any heading by what they say.
"""

from __future__ import annotations

import re

_BULLET = re.compile(r"^\s*(?:[\u2022\-*\u2013\u00b7\u25aa\u25cf\u25e6]|\d+[.)])\s*")
# Headings of sections about the employer, the offer or the process, not the job. "About
# the role" is the job; "About us", "About Knack" and "About the company" are not.
_OTHER_HEADING = re.compile(
    r"benefit|perk|what we offer|we offer|offer you|in it for you|why (?:join|work|you.ll love)"
    r"|why \w+\W*$|^about (?!(?:the |this |our |your )?(?:role|position|job|opportunit|you|team"
    r"|work|responsibilit|requirement))|who we are|our (?:mission|values|culture|story"
    r"|commitment|company|benefits)|life at|working (?:at|here|with us)|compensation|salary"
    r"|pay (?:range|band)|equal (?:employment )?opportunit|eeo|diversity|inclusion"
    r"|how to apply|to apply|apply now|hiring process|interview process|recruitment process"
    r"|next steps|headquarters|^url:|^location|the company|the perks",
    re.IGNORECASE,
)
# Paragraphs anywhere that are an EEO statement, an offer or a note on the process.
_OTHER_PARAGRAPH = re.compile(
    r"equal (?:employment )?opportunit|regardless of|without regard|protected (?:veteran|class"
    r"|characteristic|status)|reasonable accommodation|e-verify|sexual orientation"
    r"|gender identity|national origin|we offer|offers? benefits|benefits include|perks"
    r"|paid time off|\bpto\b|401\(?k|health insurance|dental|parental leave|stock options"
    r"|privacy (?:policy|notice)|recruitment agenc|headhunters",
    re.IGNORECASE,
)
# Paragraphs that describe the employer; kept when they also describe the job.
_EMPLOYER_OPENING = re.compile(
    r"^(?:we(?:'|\u2019)re|we are|we have|our |founded|since \d|at \w+|headquarters:|url:)",
    re.IGNORECASE,
)
_ABOUT_THE_JOB = re.compile(
    r"looking for|seeking|hiring|you(?:'|\u2019)ll|you will|the role|this role|this position"
    r"|join (?:us|our \w+) as|responsib|requirement|experience (?:in|with)",
    re.IGNORECASE,
)
_HEADING_WORDS = 9


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
        if _is_heading(paragraph):
            skipping = bool(_OTHER_HEADING.search(paragraph.strip(" :\t")))
            (rest if skipping else job).append(paragraph)
            continue
        other = skipping or _OTHER_PARAGRAPH.search(paragraph) is not None
        if not other and not _BULLET.match(paragraph):
            other = _about_employer(paragraph, name)
        (rest if other else job).append(paragraph)
    return "\n".join(job), "\n".join(rest)


def _paragraphs(text: str) -> list[str]:
    """Lines of text, without empty ones (bullets and headings are lines of their own)."""
    return [line for line in (raw.strip() for raw in text.splitlines()) if line]


def _is_heading(line: str) -> bool:
    words = line.split()
    if not words or len(words) > _HEADING_WORDS or _BULLET.match(line):
        return False
    return line.endswith(":") or not line.rstrip().endswith((".", ",", ";", "!"))


def _about_employer(paragraph: str, company: str) -> bool:
    """A paragraph opening like a company blurb ("We're Knack, ...", "Relay is ...") that
    says nothing of the job (a mere mention of the employer says nothing either way)."""
    opening = _EMPLOYER_OPENING.match(paragraph) is not None
    named = bool(company) and paragraph.lower().startswith(company)
    return (opening or named) and _ABOUT_THE_JOB.search(paragraph) is None
