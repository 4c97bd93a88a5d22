"""Reading the header line of an HN "Who is hiring?" comment.

By the thread's rules a post starts ``Company | Role | Location | REMOTE/ONSITE | …`` — in
practice the fields come in any order, separated by ``|`` (sometimes by dashes or bullets),
with URLs, pay, visa notes and funding stages mixed in. Each field is classified by what it
says, not by where it stands; only the company is taken by position (the first field).
Comments that have no such header (replies, questions, "CLOSED") are not job posts: ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aggregator.core.models import Salary
from sources.markup import employment_type, plain_label
from sources.paytext import parse_pay


@dataclass(frozen=True, slots=True)
class Header:
    """What a post's header line says about the job."""

    company: str
    title: str
    location: str
    remote: bool
    employment_type: str
    salary: Salary | None


_PIPE = re.compile(r"\s*\|\s*")
_OTHER_SEPARATORS = (
    re.compile(r"\s+[—\u2013]\s+|\s*—\s*"),  # em/en dash between spaces (em dash also unspaced)
    re.compile(r"\s+•\s+"),
    re.compile(r"\s+-\s+"),
)
_URL = re.compile(
    r"\b(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|io|ai|co|dev|app|net|org|tech|"
    r"so|xyz|inc|law|health|network|fm|tv|eu|de|se|uk)\b(?:/\S*)?",
    re.IGNORECASE,
)
_LINK = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_ONLY_URL = re.compile(rf"^(?:{_URL.pattern})\W*$", re.IGNORECASE)
_ROLE = re.compile(
    r"\b(?:engineer\w*|developer\w*|devs?|swes?|sres?|devops|devrel|designers?|managers?|"
    r"pms?|ems?|tpms?|scientists?|researchers?|analysts?|architects?|leads?|head\s+of|"
    r"directors?|vp|cto|founding|co-?founders?|recruiters?|advocates?|marketers?|marketing|"
    r"sales|account\s+execs?\w*|aes?|consultants?|specialists?|administrators?|assistants?|"
    r"technicians?|writers?|gtm|quants?|interns?|internships?|programmers?|product\s+owners?|"
    r"chief\s+of\s+staff|experts?|generalists?|hackers?)\b",
    re.IGNORECASE,
)
# Words that name jobs only loosely: a field that also names a place is a place
# ("Onsite, San Francisco + remote for some roles").
_WEAK_ROLE = re.compile(
    r"\b(?:roles?|positions?|openings?|various|eng|support|everyone|hiring\s+for|ic|"
    r"full[\s-]?stack|front[\s-]?end|back[\s-]?end|fe|be|ml|ai/ml)\b",
    re.IGNORECASE,
)
_TYPE = re.compile(
    r"\b(?:full[\s-]?time|part[\s-]?time|contract(?:or|-to-hire)?|freelance|permanent|perm|"
    r"internships?|interns?|temporary|1099|w2|fte|trial-to-hire)\b",
    re.IGNORECASE,
)
_REMOTE = re.compile(
    r"\b(?:remote\w*|anywhere|wfh|work\s+from\s+home|distributed|worldwide)\b", re.IGNORECASE
)
_NOT_REMOTE = re.compile(r"\b(?:no|not|non)[\s-]+remote\b|\bremote\s+(?:is\s+)?not\b", re.I)
_WORKPLACE = re.compile(
    r"\b(?:on[\s-]?site|in[\s-]?office|in[\s-]?person|hybrid|"
    r"\d\s?(?:x|days?)\s*(?:/|a|per)\s*week|time\s?zones?|utc|gmt|[pce][sd]?t)\b",
    re.IGNORECASE,
)
_PLACE_CODES = re.compile(
    r"\b(?:US|USA|U\.S\.A?\.?|UK|EU|EMEA|APAC|LATAM|LatAm|NA|CAN|CA|NYC|NY|SF|LA|DC|NZ|AUS|"
    r"[A-Z][a-z]+,\s?(?:AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|"
    r"MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC|ON|BC|"
    r"QC|AB|NL|UK|FR|CZ))\b"
)
_PLACES = re.compile(
    r"\b(?:united\s+states|america[s]?|canada|europe\w*|united\s+kingdom|england|london|"
    r"global|san\s+francisco|bay\s+area|new\s+york|brooklyn|manhattan|boston|seattle|austin|"
    r"los\s+angeles|chicago|denver|boulder|atlanta|miami|washington|toronto|vancouver|"
    r"montreal|waterloo|ontario|berlin|munich|hamburg|paris|amsterdam|netherlands|stockholm|"
    r"sweden|copenhagen|denmark|oslo|norway|helsinki|finland|zurich|switzerland|lisbon|"
    r"portugal|madrid|barcelona|spain|dublin|ireland|prague|warsaw|poland|budapest|vienna|"
    r"germany|france|italy|tel\s+aviv|israel|india|bangalore|bengaluru|hyderabad|delhi|"
    r"tokyo|japan|singapore|sydney|melbourne|australia|brazil|mexico|argentina|palo\s+alto|"
    r"mountain\s+view|sunnyvale|san\s+jose|san\s+diego|santa\s+clara|san\s+mateo|oakland|"
    r"berkeley|portland|pittsburgh|philadelphia|cambridge|salt\s+lake|raleigh|durham|"
    r"minneapolis|detroit|houston|dallas|phoenix|nashville|redmond|bellevue|new\s+jersey|"
    r"virginia|texas|california|colorado|massachusetts|florida|santa\s+monica|luxembourg|"
    r"belgium|austria|estonia|romania|bucharest|czechia|greece|turkey|nigeria|kenya|"
    r"south\s+africa|korea|seoul|taiwan|vietnam|philippines|indonesia|colombia|chile|"
    r"remote|cet|est|pst)\b",
    re.IGNORECASE,
)
_VISA = re.compile(r"\b(?:visa\w*|sponsor\w*|citizenship|clearance|relocat\w*)\b", re.IGNORECASE)
_META = re.compile(
    r"\b(?:series\s+[a-f]|seed|yc|funded|funding|bootstrapped|profitable|startup|equity|"
    r"salary|comp(?:ensation)?|benefits|nonprofit|open\s+source)\b",
    re.IGNORECASE,
)
# Openers of comments that are not posts: replies, questions, notices, people seeking work.
_NOT_A_POST = re.compile(
    r"^\s*(?:hey|hi|hello|thanks|thank\s+you|is\s+this|are\s+you|does|do\s+you|why|what|how|"
    r"note|reminder|in\s+addition|looking\s+for\s+work|great\s+thread|careful|"
    r"we(?:'re|\u2019re|\s+are)(?!\s+hiring)|>|&gt;)\b",
    re.IGNORECASE,
)
# ... and openers that rule a comment out even when it is laid out like a header.
_NEVER_A_POST = re.compile(r"^\W*(?:seeking|closed|filled|edit\s*:|update\s*:)", re.IGNORECASE)
_PROSE_COMPANY = re.compile(
    r"^\s*(?:at\s+)?(?P<company>[\w][\w.&'\u2019 -]{0,40}?)\s+(?:is|are)\s+(?:\w+\s+)?"
    r"(?:hiring|looking\s+for|seeking|growing)\b"
)
_HIRING_AT = re.compile(r"\bhiring\s+(?:at|for)\s+(?P<company>[^,;|]+)", re.IGNORECASE)
_PROSE_ROLE = re.compile(
    r"\b(?:hiring|looking\s+for|seeking|need)\s+(?:an?\s+|one\s+|two\s+|several\s+|\d+\s+)?"
    r"(?P<role>(?:[\w+#/.-]+\s+){0,4}?(?:engineers?|developers?|designers?|scientists?|"
    r"managers?|analysts?|architects?|researchers?|leads?))\b",
    re.IGNORECASE,
)
_BRACKETS = re.compile(r"\s*(?:\([^)]*\)?|\[[^\]]*\]?)")
_TAGLINE = re.compile(r"\s+[-\u2013—:]\s+.*$|\s*[—\u2013]\s*.*$")
_WE_ARE = r"(?:we(?:'re|\u2019re|\s+are)\s+)?"
_COMPANY_NOISE = re.compile(rf"^{_WE_ARE}hiring\b.*$|[*_]", re.IGNORECASE)
_TITLE_PREFIX = re.compile(rf"^(?:{_WE_ARE}hiring(?:\s+for)?:?\s+|roles?:\s*)", re.IGNORECASE)
# "Hiring: Executive Assistant", "Roles: …" introduce a role; "We're hiring SWEs to …" does not.
_LIST_INTRO = re.compile(
    rf"^(?:{_WE_ARE}hiring(?:\s+for)?|roles?|positions?|openings?)\s*:\s*", re.IGNORECASE
)
_TAG_PREFIX = re.compile(r"^\[[^\]]*\]\s*(?=\S)")  # "[Leadership] Engineering Manager"
_LOCATION_PREFIX = re.compile(r"^(?:location|locations|based\s+in)\s*:\s*", re.IGNORECASE)
# A field in the first person is a sentence ("Careful - I applied to this role …").
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I\u2019m|my|we|we're|we\u2019re|our)\b", re.IGNORECASE)
_MAX_FIELD_WORDS = 25  # longer "fields" are prose that ran on without a paragraph break
# Where a field runs on into the post's first sentence: "ONSITE Zigment is a customer …".
_RUN_ON = re.compile(
    r"\s+(?=(?:[A-Z][\w.&-]*\s+){1,3}(?:is|are|was|has|have|builds?|helps?|makes?)\s|"
    r"(?:We|We're|We\u2019re|Our|I|I'm|I\u2019m)\s)"
)
_LABELLED = re.compile(
    r"^(?P<label>company|role|position|title|location)\s*:\s*(?P<value>.+)$", re.IGNORECASE
)
_AT_COMPANY = re.compile(r"^at\s+(?P<company>[^,(]{1,40}?)\s*(?:\([^)]*\))?\s*,?\s+we", re.I)
_BULLET_TAIL = re.compile(r"\s+[—\u2013-]\s+|:\s|\s+\[")
_PAY_NOTE = re.compile(r"\s*\([^)]*\d[^)]*\)")
# A short line with these words is a sentence about the job, not the job's name.
_LISTED_ROLE_NOISE = re.compile(
    r"\b(?:you|your|we|our|us|years?|experience|have|will|is|are|was|with|apply|see|check|"
    r"visit|email|contact|send|description)\b|[.!?]\s",
    re.I,
)
# A body line that states pay: labelled ("Salary: …") or starting with the amount ("$120k - …").
_PAY_LINE = re.compile(
    r"^\W*(?:(?:salary|compensation|comp|pay|base|range)\b|[$€£]\s?\d)", re.IGNORECASE
)


def header_lines(comment_html: str) -> list[str]:
    """The lines of a comment's first paragraph, as plain text."""
    first = re.split(r"<p>|</p>", comment_html or "", maxsplit=1)[0]
    first = re.sub(r"<br\s*/?>", "\n", first, flags=re.IGNORECASE)
    return [plain_label(line) for line in first.split("\n") if plain_label(line)]


def parse_header(comment_html: str) -> Header | None:
    """The job a comment's first line describes; None when the comment is not a job post."""
    lines = header_lines(comment_html)
    if not lines:
        return None
    labelled = _labelled_header(comment_html)
    if labelled is not None:
        return labelled
    if _NEVER_A_POST.match(lines[0]) or ("|" not in lines[0] and _NOT_A_POST.match(lines[0])):
        return None
    fields = _fields(lines[0])
    if fields is None:
        return _prose_header(lines[0], comment_html)
    return _structured_header(fields, comment_html)


def _labelled_header(comment_html: str) -> Header | None:
    """A post written as "Company: X / Role: Y / Location: Z" lines."""
    lines = _body_lines(comment_html)
    if not lines or not _LABELLED.match(lines[0]):
        return None
    values: dict[str, str] = {}
    for line in lines[:8]:
        found = _LABELLED.match(line)
        if found:
            values.setdefault(found.group("label").lower(), found.group("value").strip())
    if "company" not in values:
        return None
    title = values.get("role") or values.get("position") or values.get("title") or ""
    location = values.get("location", "")
    return Header(
        company=_company(values["company"]),
        title=_title(title) or _title_in_body(comment_html),
        location=location,
        remote=_says_remote(location),
        employment_type=_employment([title]),
        salary=_pay_in_body(comment_html),
    )


def _fields(line: str) -> list[str] | None:
    """The line's fields, or None when no separator splits it into a header."""
    parts = [part.strip(" *_") for part in _PIPE.split(line)]
    parts = [part for part in parts if part]
    if len(parts) < 2:
        for separator in _OTHER_SEPARATORS:
            parts = [part.strip(" *_") for part in separator.split(line) if part.strip(" *_")]
            if (
                len(parts) >= 2
                and not _FIRST_PERSON.search(parts[1])
                and any(_kind(part) != "other" for part in parts[1:])
            ):
                break
        else:
            return None
    fields: list[str] = []
    for part in parts:
        cut = _RUN_ON.split(part, maxsplit=1)[0] if len(part.split()) > 4 else part
        words = cut.split()
        fields.append(" ".join(words[:_MAX_FIELD_WORDS]))
        if cut != part or len(words) > _MAX_FIELD_WORDS:
            break
    return fields


def _kind(field: str) -> str:
    """What a header field states: url, salary, visa, role, place, type, meta or other."""
    if _ONLY_URL.match(field):
        return "url"
    if parse_pay(field) is not None:
        return "salary"
    field = _URL.sub(" ", field)  # "estuary.dev" names no developer
    if _VISA.search(field) and len(field.split()) <= 6:
        return "visa"
    nouns = [noun.lower() for noun in _ROLE.findall(field)]
    if any(not noun.startswith("intern") for noun in nouns):
        return "role"
    placed = bool(_REMOTE.search(field) or _WORKPLACE.search(field) or _is_place(field))
    if _WEAK_ROLE.search(field) and not placed:
        return "role"
    if placed:
        return "place"
    if _TYPE.search(field):
        return "type"
    if _META.search(field):
        return "meta"
    return "other"


def _is_place(field: str) -> bool:
    return bool(_PLACE_CODES.search(field) or _PLACES.search(field))


def _structured_header(fields: list[str], comment_html: str) -> Header:
    kinds = [_kind(field) for field in fields]
    first = fields[0]
    company = _company(first)
    if kinds[0] == "role" and "role" not in kinds[1:] and not _URL.search(first):
        company = ""  # "Support Engineer | Remote | …": the post names no company
    else:
        kinds[0] = "company"
    extras = [inner.strip("()[] ") for inner in _BRACKETS.findall(first)] if company else []
    of_kind: dict[str, list[str]] = {}
    for field, kind in zip(fields, kinds, strict=True):
        of_kind.setdefault(kind, []).append(field)
    places = [_LOCATION_PREFIX.sub("", f).strip(" -\u2013—,") for f in of_kind.get("place", [])]
    places += [extra for extra in extras if _kind(extra) == "place"]
    roles, pays = of_kind.get("role", []), of_kind.get("salary", [])
    said = " | ".join([*fields[1:], first.replace(company, "", 1) if company else ""])
    return Header(
        company=company,
        title=_title(roles[0]) if roles else _title_in_body(comment_html),
        location="; ".join(dict.fromkeys(p for p in places if p)),
        remote=_says_remote(said),
        employment_type=next(map(employment_type, of_kind.get("type", [])), "")
        or _employment(fields[1:]),
        salary=parse_pay(pays[0]) if pays else _pay_in_body(comment_html),
    )


def _employment(fields: list[str]) -> str:
    """The employment type the first field naming one states ("Full-time", "Contract")."""
    for field in fields:
        found = _TYPE.search(field)
        if found:
            return employment_type(found.group(0))
    return ""


def _prose_header(line: str, comment_html: str) -> Header | None:
    """A post written as a sentence: "Acme is hiring a Senior Engineer …", "At Acme, we …"."""
    found = _PROSE_COMPANY.match(line) or _AT_COMPANY.match(line)
    if not found or found.group("company").lower() in ("we", "i", "it", "this", "who", "which"):
        return None
    sentence = re.split(r"(?<=[.!?])\s", line, maxsplit=1)[0]
    role = _PROSE_ROLE.search(sentence)
    return Header(
        company=_company(found.group("company")),
        title=_title(role.group("role")) if role else _title_in_body(comment_html),
        location="",
        remote=_says_remote(sentence),
        employment_type=_employment([sentence]),
        salary=parse_pay(sentence) or _pay_in_body(comment_html),
    )


def _company(field: str) -> str:
    hiring_at = _HIRING_AT.search(field)
    if hiring_at and not field.lower().startswith("hiring"):
        field = hiring_at.group("company")
    prose = _PROSE_COMPANY.match(field)
    if prose:
        field = prose.group("company")
    name = _BRACKETS.sub(" ", field)
    # Links go, but a bare domain may be the name itself ("klarasystems.com", "Coram.ai").
    name = _LINK.sub(" ", name) if _LINK.sub(" ", name).strip() else name
    name = _TAGLINE.sub("", " ".join(name.split()))
    name = _COMPANY_NOISE.sub("", name)
    return name.strip(" ,;:-\u2013—/@").strip()


def _title(field: str) -> str:
    title = _TAG_PREFIX.sub("", _TITLE_PREFIX.sub("", _LINK.sub(" ", field).strip()))
    title = re.sub(r"\(\s*\)", "", title).strip(" ,;:-\u2013—*[]")
    return " ".join(title.split())


def _body_lines(comment_html: str) -> list[str]:
    """The comment's paragraphs and lines, as plain text."""
    parts = re.split(r"<p>|</p>|<br\s*/?>|\n", comment_html or "", flags=re.IGNORECASE)
    return [text for text in map(plain_label, parts) if text]


def _title_in_body(comment_html: str) -> str:
    """Roles listed on short lines of the body ("• Staff Engineer"), else named in a sentence.

    "We're hiring a Senior Full-Stack Engineer" names one in a sentence.
    """
    listed: list[str] = []
    for line in _body_lines(comment_html)[1:30]:
        role = _listed_role(line)
        if role:
            listed.append(role)
            if len(listed) == 5:
                break
        elif listed:
            break
    if listed:
        return "; ".join(dict.fromkeys(listed))
    body = " ".join(_body_lines(comment_html)[:12])
    found = _PROSE_ROLE.search(body)
    return _title(found.group("role")) if found else ""


def _listed_role(line: str) -> str:
    """The role a short body line names ("• Staff Engineer ($200k) — for those who …"), or ""."""
    role = _LIST_INTRO.sub("", line.lstrip("-\u2013—•*+> ").strip())
    if role != line:  # a bullet or "Hiring: …": what follows a dash or colon describes the role
        role = _PAY_NOTE.sub("", _BULLET_TAIL.split(role, maxsplit=1)[0])
    role = _LINK.sub(" ", role)
    if len(role.split()) > 10 or not _ROLE.search(role) or _LISTED_ROLE_NOISE.search(role):
        return ""
    return _title(role)


def _says_remote(text: str) -> bool:
    return bool(_REMOTE.search(text)) and not _NOT_REMOTE.search(text)


def _pay_in_body(comment_html: str) -> Salary | None:
    """Pay stated on a labelled line of the body ("Salary: $150k-$180k")."""
    for line in _body_lines(comment_html):
        found = parse_pay(line) if _PAY_LINE.match(line) else None
        if found is not None:
            return found
    return None
