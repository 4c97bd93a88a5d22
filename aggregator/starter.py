"""`leads init`: a commented starter config.yaml from a few answers.

The file comes from a text template, so its comments can explain every section. Each value a
person typed is written as a double-quoted YAML string that reads back exactly as typed (quotes,
colons, accents and all). The text is checked with ``load_config`` before it is put in place,
so `leads init` never leaves a config behind that the next command refuses.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, EmailStr, TypeAdapter, ValidationError

from aggregator.core.config import SourceOptions, load_config
from aggregator.core.errors import ConfigError
from aggregator.core.models import DEFAULT_DIGEST_SCHEDULE, Mentee, Mentor, slugify
from aggregator.core.schedule_expressions import check_timezone

# Sources for a config given none, so the first `leads run` finds something.
EXAMPLE_FEEDS = (
    "https://weworkremotely.com/categories/remote-programming-jobs.rss",
    "https://www.python.org/jobs/feed/rss/",
)
# What YAML may hold literally in a double-quoted string (json.dumps has already escaped the
# C0 controls, quotes and backslashes); NEL, the Unicode line and paragraph separators and the
# byte-order mark are legal but read as line breaks or dropped by some parsers, so they are
# escaped too.
_NOT_LITERAL = re.compile(
    "[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_EMAIL = TypeAdapter(EmailStr)
Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Answers:
    """What `leads init` was told, by flags or at the prompts; "" and () mean not given."""

    timezone: str = "UTC"
    mentor_name: str = ""
    mentor_email: str = ""
    mentee_name: str = ""
    mentee_email: str = ""
    mentee_skills: tuple[str, ...] = ()
    mentee_roles: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    greenhouse: tuple[str, ...] = ()  # board names, as in boards.greenhouse.io/<board>
    lever: tuple[str, ...] = ()  # company names, as in jobs.lever.co/<company>

    @property
    def has_sources(self) -> bool:
        """True when a feed, board or company was given (else the sources are examples)."""
        return bool(self.feeds or self.greenhouse or self.lever)


def comma_list(text: str) -> tuple[str, ...]:
    """``"python, sql,"`` -> ``("python", "sql")``."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def email_address(text: str, flag: str) -> str:
    """``text`` if it is an email address; ConfigError naming ``flag`` otherwise."""
    try:
        return str(_EMAIL.validate_python(text))
    except ValidationError as exc:
        reason = _first_problem(exc).removeprefix("value is not a valid email address: ")
        raise ConfigError(
            f"{text!r} is not an email address: {reason}",
            key=flag,
            fix="give an address such as ana@example.org",
        ) from exc


def starter_config(answers: Answers, source_types: Mapping[str, type[SourceOptions]]) -> str:
    """The text of a commented config.yaml holding ``answers``; ConfigError names a bad flag."""
    try:
        check_timezone(answers.timezone)
    except ValueError as exc:
        raise ConfigError(str(exc), key="--timezone") from exc
    mentor = _mentor(answers)
    mentee = _mentee(answers, mentor)
    sources = _sources(answers, source_types)
    return "".join(
        (
            _HEADER,
            _SETTINGS.format(timezone=yaml_quoted(answers.timezone)),
            _sources_yaml(sources, example=not answers.has_sources),
            _mentors_yaml(mentor),
            _mentees_yaml(mentee),
        )
    )


def refuse_overwrite(path: Path, force: bool) -> None:
    """ConfigError when ``path`` exists, unless ``force``."""
    if path.exists() and not force:
        raise ConfigError(
            "the file already exists",
            file=str(path),
            fix="pass --force to replace it (its contents are lost), or pick another path "
            "with --config",
        )


def write_starter(
    path: Path, text: str, source_types: Mapping[str, type[SourceOptions]], *, force: bool
) -> None:
    """Check ``text`` loads as a config, then put it at ``path`` (replaced only with ``force``)."""
    refuse_overwrite(path, force)
    draft = path.with_name(f".{path.name}.new")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        draft.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the file ({exc.strerror or exc})", file=str(path)) from exc
    try:
        load_config(draft, source_types)
        os.replace(draft, path)
    except (ConfigError, OSError):
        draft.unlink(missing_ok=True)
        raise


def yaml_quoted(text: str) -> str:
    """``text`` as a double-quoted YAML scalar that reads back exactly, whatever it holds."""
    literal = json.dumps(text, ensure_ascii=False)  # JSON strings are YAML double-quoted ones
    return _NOT_LITERAL.sub(lambda m: f"\\u{ord(m.group()):04x}", literal)


def _yaml_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(yaml_quoted(item) for item in items) + "]"


# --- people -------------------------------------------------------------------------------

_MENTOR_FLAGS = {"name": "--mentor-name", "email": "--mentor-email"}
_MENTEE_FLAGS = {
    "name": "--mentee-name",
    "email": "--mentee-email",
    "skills": "--mentee-skills",
    "roles": "--mentee-roles",
}


def _mentor(answers: Answers) -> Mentor | None:
    if not (answers.mentor_name or answers.mentor_email):
        if answers.mentee_name or answers.mentee_email:
            raise ConfigError(
                "a mentee needs a mentor", key="--mentee-name", fix="give --mentor-name too"
            )
        return None
    values = {
        "id": slugify(answers.mentor_name) or "mentor",
        "name": answers.mentor_name,
        "email": email_address(answers.mentor_email, "--mentor-email"),
        "timezone": answers.timezone,
    }
    return _validated(Mentor, values, _MENTOR_FLAGS)


def _mentee(answers: Answers, mentor: Mentor | None) -> Mentee | None:
    if mentor is None or not (answers.mentee_name or answers.mentee_email):
        return None
    values = {
        "id": slugify(answers.mentee_name) or "mentee",
        "name": answers.mentee_name,
        "email": email_address(answers.mentee_email, "--mentee-email"),
        "mentor": mentor.id,
        "skills": answers.mentee_skills,
        "roles": answers.mentee_roles,
    }
    return _validated(Mentee, values, _MENTEE_FLAGS)


def _validated(model: type[Model], values: dict[str, Any], flags: dict[str, str]) -> Model:
    """The model of ``values``; ConfigError naming the flag of the first bad value."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        raise ConfigError(
            f"{_first_problem(exc)} (got {values.get(field)!r})",
            key=flags.get(field, field),
            fix="correct the value",
        ) from exc


def _first_problem(exc: ValidationError) -> str:
    return str(exc.errors()[0]["msg"]).removeprefix("Value error, ")


# --- sources ------------------------------------------------------------------------------


def _sources(
    answers: Answers, source_types: Mapping[str, type[SourceOptions]]
) -> list[dict[str, str]]:
    """Source entries with unique names, each checked by its type's options model."""
    feeds = answers.feeds if answers.has_sources else EXAMPLE_FEEDS
    wanted = [
        *(("rss", "url", "--feed", url, _feed_name(url)) for url in feeds),
        *(("greenhouse", "board", "--greenhouse", board, board) for board in answers.greenhouse),
        *(("lever", "company", "--lever", company, company) for company in answers.lever),
    ]
    entries: list[dict[str, str]] = []
    taken: set[str] = set()
    for kind, setting, flag, value, suggested in wanted:
        name = _unique(slugify(suggested) or kind, taken)
        entry = {"name": name, "type": kind, setting: value}
        try:
            source_types[kind].model_validate(entry)
        except ValidationError as exc:
            raise ConfigError(f"{value!r}: {_first_problem(exc)}", key=flag) from exc
        entries.append(entry)
    return entries


def _feed_name(url: str) -> str:
    """``https://www.python.org/jobs/feed/`` -> ``python``: the site's name."""
    labels = [label for label in (urlsplit(url).hostname or "").split(".") if label != "www"]
    return "-".join(labels[:-1] or labels)


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    taken.add(candidate)
    return candidate


# --- the text -----------------------------------------------------------------------------

_HEADER = """\
# mentor-leads configuration, written by `leads init`.
#
# `leads check` tries everything below once; `leads run` collects, matches and sends the
# digests that are due. Unknown keys are errors, so a typo never silently does nothing.
# Any string may use ${ENV_VAR} (or ${ENV_VAR:-default}) so secrets stay out of this file.
# The example config.yaml of mentor-leads documents every setting.

"""

_SETTINGS = """\
storage:
  # SQLAlchemy URL. A relative SQLite path is relative to this file.
  url: sqlite:///leads.db

delivery:
  # file: each digest is an .eml file in `outbox` (open it in a mail program);
  # smtp: sent through the server below (`leads check` tries the login, sending nothing).
  method: file
  outbox: outbox
  # smtp:
  #   host: smtp.example.org
  #   port: 587
  #   security: starttls   # starttls | ssl | none
  #   username: digests@example.org
  #   password: ${{LEADS_SMTP_PASSWORD}}
  #   from: "Mentor Leads <digests@example.org>"

schedule:
  # When `leads schedule` (and the crontab lines `leads cron` prints) collect and match:
  # a cron expression or a form such as `every 3h`, `hourly`, `daily 07:00`.
  collect: every 3h
  timezone: {timezone}

"""


def _sources_yaml(entries: list[dict[str, str]], *, example: bool) -> str:
    """The ``sources:`` section; ``example``: the entries are examples, written as comments.

    Examples are internet feeds: were they live, the first `leads check` of a machine without
    a network (or behind a proxy) would fail on sources nobody chose.
    """
    lines = [
        "# Where postings come from. Every source has a unique `name` and a `type`;",
        "# `enabled: false` keeps a source configured but skips it.",
        "# `leads add-source URL` adds one from a pasted careers, board or feed URL.",
    ]
    if example:
        lines += [
            "# None yet. Two public job feeds, as examples: uncomment them (and delete the `[]`),",
            "# or replace them with feeds that suit your mentees.",
            "sources: []",
        ]
    else:
        lines.append("sources:")
    for entry in entries:
        entry_lines = [f"  - name: {yaml_quoted(entry['name'])}", f"    type: {entry['type']}"]
        settings = (item for item in entry.items() if item[0] not in ("name", "type"))
        entry_lines.extend(f"    {key}: {yaml_quoted(value)}" for key, value in settings)
        lines.extend("#" + line[1:] if example else line for line in entry_lines)
    return "\n".join(lines) + "\n\n"


def _mentors_yaml(mentor: Mentor | None) -> str:
    head = "# The people who read digests; each gets one email for all their mentees.\n"
    if mentor is None:
        return head + "mentors: []\n" + _entry(_MENTOR_LINES, _EXAMPLE_MENTOR, example=True) + "\n"
    return head + "mentors:\n" + _entry(_MENTOR_LINES, _mentor_values(mentor)) + "\n"


def _mentees_yaml(mentee: Mentee | None) -> str:
    head = "# The people leads are found for. `mentor` is a mentor's id or email.\n"
    if mentee is None:
        return head + "mentees: []\n" + _entry(_MENTEE_LINES, _EXAMPLE_MENTEE, example=True)
    return head + "mentees:\n" + _entry(_MENTEE_LINES, _mentee_values(mentee))


# One entry of a list, with {placeholders} for the values. A line starting "?" is an optional
# setting, written as a comment to uncomment (its trailing comment two columns to the left, to
# line up once "# " is added).
_MENTOR_LINES = """\
  - id: {id}
    name: {name}
    email: {email}
    # Digests go out on the mentor's clock: give an IANA zone such as America/Chicago.
    timezone: {timezone}
    digest:
      schedule: {schedule}        # or e.g. daily 08:00, weekdays 08:30, monthly 1 09:00
      max_leads_per_mentee: 5
      send_empty: false                 # true: also mail a short "nothing new this time"
?   network: Connections.csv          # a LinkedIn export: digests name contacts there
"""

_MENTEE_LINES = """\
  - id: {id}
    name: {name}
    email: {email}
    mentor: {mentor}
    # What postings are matched against: skills, and the jobs they are looking for.
    skills: {skills}
    roles: {roles}
?   locations: [remote, Berlin]       # where they can work
?   seniority: junior                 # entry | junior | mid | senior
?   resume: resumes/cv.pdf            # a .txt, .md, .pdf or .docx, relative to this file
?   exclude: {{companies: [], keywords: []}}
"""

_EXAMPLE_MENTOR = {
    "id": "maria",
    "name": "Maria Okafor",
    "email": "maria@example.org",
    "timezone": "Europe/Berlin",
    "schedule": DEFAULT_DIGEST_SCHEDULE,
}
_EXAMPLE_MENTEE = {
    "id": "sam-lee",
    "name": "Sam Lee",
    "email": "sam@example.org",
    "mentor": "maria",
    "skills": "[python, sql]",
    "roles": "[backend engineer]",
}


def _mentor_values(mentor: Mentor) -> dict[str, str]:
    return {
        "id": yaml_quoted(mentor.id),
        "name": yaml_quoted(mentor.name),
        "email": yaml_quoted(str(mentor.email)),
        "timezone": yaml_quoted(mentor.timezone),
        "schedule": mentor.digest.schedule,
    }


def _mentee_values(mentee: Mentee) -> dict[str, str]:
    return {
        "id": yaml_quoted(mentee.id),
        "name": yaml_quoted(mentee.name),
        "email": yaml_quoted(str(mentee.email)),
        "mentor": yaml_quoted(mentee.mentor),
        "skills": _yaml_list(mentee.skills),
        "roles": _yaml_list(mentee.roles),
    }


def _entry(template: str, values: Mapping[str, str], *, example: bool = False) -> str:
    """The entry with its values; optional settings as comments, or all of it (an example)."""
    # Values are filled in one pass, so a value holding "{x}" is never formatted again.
    lines = template.format_map(values).splitlines(keepends=True)
    if example:
        return "".join("#" + line[1:] for line in lines)
    return "".join(
        "    # " + line.removeprefix("?").lstrip() if line.startswith("?") else line
        for line in lines
    )
