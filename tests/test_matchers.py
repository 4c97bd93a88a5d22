"""The TF-IDF matcher on recorded We Work Remotely postings: text, filters, scores, explanations."""

from __future__ import annotations

import struct
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aggregator.core.models import Exclusions, Mentee, Posting
from matchers import (
    Feedback,
    Profile,
    Settings,
    SkillTableError,
    TfidfMatcher,
    default_table,
    dump_matcher,
    load_matcher,
    passes,
    profile_from_mentee,
    profile_hash,
    tfidf,
)
from matchers.filters import Level, PostingFacts, title_levels
from matchers.skills import parse_table
from matchers.text import Analyzer
from sources.rss import parse_feed

FEEDS = Path(__file__).parent / "fixtures" / "rss" / "wwr_2022-11"
NOW = datetime(2022, 11, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def postings() -> list[Posting]:
    """The WWR category feeds of November 2022, one posting per URL."""
    seen: dict[str, Posting] = {}
    for feed in [*sorted(FEEDS.glob("remote-*-jobs.rss")), FEEDS / "all-other-remote-jobs.rss"]:
        if feed.name in ("remote-jobs.rss", "remote-programming-jobs.rss"):
            continue
        url = f"https://weworkremotely.com/categories/{feed.name}"
        for posting in parse_feed(feed.read_bytes(), url, "application/rss+xml", "wwr"):
            seen.setdefault(posting.url, posting)
    return list(seen.values())


@pytest.fixture(scope="module")
def keyed(postings: list[Posting]) -> list[tuple[str, Posting]]:
    return [(f"p{i}", p) for i, p in enumerate(postings)]


@pytest.fixture(scope="module")
def matcher(postings: list[Posting]) -> TfidfMatcher:
    return TfidfMatcher().fit(postings)


def frontend() -> Profile:
    return Profile(id="ada", roles=("Frontend developer",), skills=("React", "TypeScript", "CSS"))


def category(keyed: list[tuple[str, Posting]], key: str) -> str:
    return dict(keyed)[key].tags[0]


# -- text ------------------------------------------------------------------------------


def test_the_shipped_skills_table_is_consistent() -> None:
    table = default_table()
    assert len(table.display) >= 300
    assert table.display["c#"] == "C#" and table.display["kubernetes"] == "Kubernetes"



@pytest.mark.parametrize(
    ("text", "named"),
    [
        # A salesperson's or buyer's contract negotiation was shown as "Contract law".
        ("Contract negotiation with suppliers", ["Contract negotiation"]),
        ("Experience with our ATS (Greenhouse)", ["Applicant tracking systems"] * 2),  # not HRIS
        ("SVN and Git", ["Subversion", "Git"]),
        ("Google Workspace", ["Google Workspace"]),  # not Microsoft Office
        ("IFRS reporting", ["IFRS"]),  # not GAAP
        ("Invoicing customers", ["Accounts receivable"]),  # not payable
        ("GCP certification", ["Google Cloud"]),  # not clinical research
        ("Influencer marketing", ["Influencer marketing"]),  # not affiliate marketing
        ("Event planning", ["Event planning"]),  # not event marketing
        ("Vite and Babel", ["Vite", "Babel"]),  # not Webpack
        ("Infrastructure as code", ["Infrastructure as code"]),  # not Terraform
        ("Art direction", ["Art direction"]),  # not fine arts
        ("Product vision", []),  # no roadmap
        # a marketplace's ads (seen as an SEM gap of the judged sample)
        ("Amazon PPC a must; run paid search (PPC) campaigns",
         ["Amazon advertising", "SEM", "SEM"]),
        # Ordinary words that named a skill: seen as gaps of the judged sample ("Less" from
        # "mentor less experienced engineers"); in the benchmark's postings every "less" and
        # "workday" was the ordinary word.
        ("Mentoring less experienced engineers", []),
        ("CSS preprocessors (Sass, Less CSS)", ["CSS", "Sass", "Less CSS"]),
        ("Overlap with the east coast workday; spend 70% of their workday", []),
        ("Experience with Workday HCM", ["HRIS"]),
        # An ordinary phrase at a sentence's or a line's end reads as it does anywhere else
        # (seen in the judged sample: "familiarity with text editing." was Editing).
        ("Overlap with the east coast workday.", []),
        ("Shape a fast-growing HR tech startup; HR-tech experience", []),  # a market
        ("A background in retail and/or consumer electronics", []),  # another
        ("Power electronics and analog circuits", ["Electronics"] * 2),
        # a language's types (seen as Data entry, from "typing", for an admin assistant)
        ("Static typing, or typing tools for JS", ["JavaScript"]),
        ("Fast typing and data entry", ["Data entry"] * 2),
        ("Experience in HR", ["Human resources"]),
        ("Familiarity with text editing.\n• Working with editors on revisions.", []),
        ("Copy editing and proofreading.\nUse a text editor", ["Editing", "Editing"]),
        # the verb (seen as a why-term of the judged sample: "If you excel, you'll have the
        # opportunity to work up to full-time")
        ("If you excel, you will grow; people who excel at research", []),
        ("Advanced Excel skills; export the reports to Excel", ["Microsoft Excel"] * 2),
    ],
)
def test_a_skill_is_named_as_itself_not_as_a_neighbour(text: str, named: list[str]) -> None:
    """The table's rule (a synonym is another name of the same skill, never a related,
    broader or narrower one), held for the synonyms that broke it."""
    table = default_table()
    assert [table.name_of(key) for key in Analyzer().skills(text)] == named

def test_a_synonym_claimed_by_two_skills_is_refused() -> None:
    text = "skills:\n  a:\n    Java: [jvm]\n    Kotlin: [jvm]\n"
    with pytest.raises(SkillTableError, match="jvm"):
        parse_table(text)


def test_a_synonym_longer_than_three_words_is_refused() -> None:
    with pytest.raises(SkillTableError, match="at most 3"):
        parse_table("skills:\n  a:\n    Ops: [big data platform operations engineering]\n")


def test_a_broader_skill_must_be_a_skill_of_the_table() -> None:
    text = "families:\n  f: [a]\nskills:\n  a:\n    Java: []\nbroader:\n  Java: [JVM]\n"
    with pytest.raises(SkillTableError, match="JVM"):
        parse_table(text)
    table = parse_table(
        text.replace("[JVM]", "[Kotlin]").replace("Java: []", "Java: []\n    Kotlin: []")
    )
    assert table.broader == {"java": frozenset({"kotlin"})}


def test_a_background_must_be_a_skill_of_the_table() -> None:
    text = "families:\n  f: [a]\nskills:\n  a:\n    Banking: []\nbackgrounds: [Bankng]\n"
    with pytest.raises(SkillTableError, match="`backgrounds:` names 'Bankng'"):
        parse_table(text)
    assert parse_table(text.replace("Bankng", "Banking")).backgrounds == {"banking"}


def test_a_pay_rate_is_no_word() -> None:
    tokens = default_table().tokens("UX Designer ($110-$190/hr), 60k/yr or 40 per hr; HR partner")
    assert tokens == ["ux", "designer", "hourly", "hr", "partner"]


def test_tokens_keep_punctuated_skill_names_whole() -> None:
    tokens = default_table().tokens("C#/.NET, C++ and F# on Node.js with CI/CD; ASP.NET. 5+ years")
    assert tokens == ["c#", ".net", "c++", "f#", "node.js", "ci/cd", "asp.net", "years"]


def test_synonyms_are_normalised_to_the_canonical_skill() -> None:
    tokens = default_table().tokens("JS dev: k8s, Postgres, golang, NodeJS")
    assert tokens == ["javascript", "dev", "kubernetes", "postgresql", "golang", "node.js"]


def test_words_name_the_skill_job_text_means_by_them() -> None:
    table = default_table()
    assert table.tokens("Unix/Linux") == ["unix"]  # one family of systems, one ask
    assert ("writer",) not in table.phrases  # a technical writer writes no fiction
    assert ("landing", "pages") not in table.phrases  # copy, design or code, not CRO
    assert table.phrases.get(("hedging",)) != "foreign exchange"  # rates are hedged too
    assert table.name_of(table.phrases[("real", "estate")]) == "Real estate"  # not Facilities
    assert table.tokens("excel at sales, excel under pressure") == ["excelling", "sales",
                                                                    "excelling", "pressure"]


def test_a_synonym_names_the_same_skill_not_a_related_one() -> None:
    table = default_table()

    def skill(text: str) -> str | None:
        words = tuple(table.tokens(text))
        key = table.phrases.get(words) or (words[0] if len(words) == 1 else None)
        return table.name_of(key) if key in table.display else None

    assert [skill(t) for t in ("KPIs", "product launches", "video content", "documentation")] \
        == [None, None, None, None]  # no OKRs, Go-to-market, Video marketing, Technical writing
    assert [skill(t) for t in ("content strategy", "mergers and acquisitions", "google sheets",
                               "data studio", "upselling")] \
        == ["Content strategy", "M&A", "Google Sheets", "Looker Studio", "Upselling"]
    implies = table.broader[table.phrases[("digital", "advertising")]]
    assert table.phrases[("digital", "marketing")] in implies  # narrower: by `broader`


def test_skill_phrases_are_features_counted_once() -> None:
    analyzer = Analyzer()
    features = analyzer("Ruby on Rails and ML; Amazon Web Services; front-end")
    assert features.count("ruby rails") == 1
    assert "machine learning" in features  # "ml" stands for it
    assert "aws" in features
    assert "frontend" in features  # front-end, front end and frontend read alike
    assert analyzer("RoR").count("ruby rails") == 1


# -- filters ---------------------------------------------------------------------------


def job(title: str = "Developer", location: str = "", remote: bool = False, **kw: Any) -> Posting:
    return Posting(source="t", external_id=title + location, url="", title=title,
                   location=location, remote=remote, **kw)


def test_a_chicago_mentee_with_remote_gets_chicago_area_and_remote_postings() -> None:
    wanted = ("Chicago", "remote")
    assert passes(Profile(id="m", locations=wanted), job(location="Chicago, IL"), NOW)
    assert passes(Profile(id="m", locations=wanted), job(location="Evanston, IL"), NOW)
    assert passes(Profile(id="m", locations=wanted), job(location="USA Only", remote=True), NOW)
    assert not passes(Profile(id="m", locations=wanted), job(location="New York, NY"), NOW)
    remote_job = job(location="Remote", remote=True)
    assert not passes(Profile(id="m", locations=("Chicago",)), remote_job, NOW)


@pytest.mark.parametrize(
    ("wanted", "location", "shown"),
    [
        (("Chicago", "remote"), "Oceania Only", False),
        (("Chicago", "remote"), "Latin America Only", False),
        (("Chicago", "remote"), "Remote (UK)", False),
        (("Chicago", "remote"), "USA Only", True),
        (("Chicago", "remote"), "Americas Only", True),
        (("Chicago", "remote"), "North America Only", True),
        (("Chicago", "remote"), "Anywhere in the World", True),
        (("Berlin", "remote"), "Europe Only", True),
        (("Berlin", "remote"), "EMEA Only", True),
        (("Berlin", "remote"), "USA Only", False),
        (("Berlin", "Chicago", "remote"), "USA Only", True),
        (("remote",), "Oceania Only", True),  # where the mentee is is not known
        (("Kraków", "remote"), "USA Only", True),  # a place the table does not know
    ],
)
def test_a_remote_job_limited_to_a_region_is_shown_only_to_mentees_there(
    wanted: tuple[str, ...], location: str, shown: bool
) -> None:
    posting = job(location=location, remote=True)
    profile = Profile(id="m", locations=wanted)
    assert passes(profile, posting, NOW) is shown
    mask = PostingFacts([posting, job(location="Chicago, IL")]).mask(profile)
    assert mask is not None and bool(mask[0]) is shown


def test_absent_location_fields_filter_nothing() -> None:
    assert passes(Profile(id="m"), job(location="Lisbon"), NOW)
    assert passes(Profile(id="m", locations=("Chicago",)), job(location=""), NOW)


def test_excluded_companies_and_keywords() -> None:
    profile = Profile(id="m", exclude_companies=("Acme",), exclude_keywords=("crypto", "C#"))
    assert not passes(profile, job(company="Acme, Inc."), NOW)
    assert not passes(profile, job(company="Acme Robotics"), NOW)
    assert passes(profile, job(company="Acmeville"), NOW)
    assert not passes(profile, job(description_text="A crypto exchange"), NOW)
    assert passes(profile, job(description_text="Cryptography research"), NOW)
    assert not passes(profile, job(title="C# developer"), NOW)


def test_an_entry_level_mentee_is_not_shown_staff_principal_or_director_roles() -> None:
    entry = Profile(id="m", seniority="entry")
    for title in ("Staff Engineer", "Principal Designer", "Director of Sales", "Senior Developer"):
        assert not passes(entry, job(title=title), NOW), title
    for title in ("Junior Developer", "Developer", "Staff Accountant", "Data Entry Clerk"):
        assert passes(entry, job(title=title), NOW), title
    assert title_levels("Junior/Mid Developer") == Level.JUNIOR | Level.MID
    assert passes(Profile(id="m"), job(title="Principal Engineer"), NOW)


def test_the_age_filter_applies_only_with_a_maximum_age() -> None:
    old = job(posted_at=NOW - timedelta(days=40))
    undated = job()
    assert not passes(Profile(id="m"), old, NOW, max_age_days=30)
    assert passes(Profile(id="m"), old, NOW, max_age_days=None)
    assert passes(Profile(id="m"), undated, NOW, max_age_days=1)


def test_array_filters_agree_with_the_one_posting_filters(postings: list[Posting]) -> None:
    facts = PostingFacts(postings)
    profiles = [
        Profile(id="a", locations=("remote",), seniority="entry"),
        Profile(id="b", locations=("London",), exclude_companies=("Toptal",)),
        Profile(id="c", seniority="senior", locations=("USA", "Canada")),
        Profile(id="d", locations=("Chicago", "remote")),
        Profile(id="e", locations=("Berlin", "remote"), seniority="junior"),
    ]
    for profile in profiles:
        mask = facts.mask(profile)
        assert mask is not None
        assert mask.tolist() == [passes(profile, p, NOW) for p in postings]


# -- ranking ---------------------------------------------------------------------------


def test_a_frontend_profile_gets_frontend_postings_with_reasons_and_gaps(
    matcher: TfidfMatcher, keyed: list[tuple[str, Posting]]
) -> None:
    matches = matcher.rank(frontend(), keyed, top=10)
    assert len(matches) == 10
    assert all(0 < m.score <= 1 for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    front = sum(category(keyed, m.posting) in ("Front-End Programming", "Full-Stack Programming")
                for m in matches)
    assert front >= 8
    best = matches[0]
    assert "React" in best.why and len(best.why) <= 5
    text = dict(keyed)[best.posting].description_text.lower()
    skills = default_table()
    for gap in (g for m in matches for g in m.gaps):
        assert gap not in ("React", "TypeScript", "CSS")
        assert gap in skills.display.values()
    assert any(m.gaps for m in matches)
    assert text  # explanations come from a real description


def test_why_names_skills_as_mentors_know_them(
    matcher: TfidfMatcher, keyed: list[tuple[str, Posting]]
) -> None:
    profile = Profile(id="k", roles=("DevOps engineer",), skills=("k8s", "terraform", "AWS"))
    matches = matcher.rank(profile, keyed, top=5)
    assert any(category(keyed, m.posting) == "DevOps and Sysadmin" for m in matches[:3])
    reasons = {term for m in matches for term in m.why}
    assert {"Kubernetes", "Terraform"} & reasons
    assert "k8s" not in reasons


def test_ranking_is_deterministic(
    matcher: TfidfMatcher, postings: list[Posting], keyed: list[tuple[str, Posting]]
) -> None:
    first = matcher  # fitted on the postings in their order, as TfidfMatcher().fit(postings)
    second = TfidfMatcher().fit(list(reversed(postings)))
    assert first.fingerprint == second.fingerprint
    profile = replace(frontend(), resume="Five years of React and Redux; some Node.js.")
    assert first.rank(profile, keyed, top=15) == second.rank(profile, keyed, top=15)
    assert first.rank(profile, keyed, top=15) == first.rank(profile, keyed, top=15)


def test_rank_many_equals_rank_for_each_profile(
    matcher: TfidfMatcher, keyed: list[tuple[str, Posting]]
) -> None:
    profiles = [frontend(), Profile(id="s", roles=("Customer support",), skills=("Zendesk",))]
    together = matcher.rank_many(profiles, keyed, top=8, chunk=1)
    for profile in profiles:
        assert together[profile.id] == matcher.rank(profile, keyed, top=8)


def test_a_score_does_not_depend_on_the_other_postings_ranked(
    matcher: TfidfMatcher, keyed: list[tuple[str, Posting]]
) -> None:
    """New postings scored alone get the scores they would get among all postings."""
    profile = replace(frontend(), resume="React, Redux and accessibility work since 2019.")
    among_all = {m.posting: m for m in matcher.rank(profile, keyed, top=None)}
    alone = matcher.rank(profile, keyed[:40], top=None)
    assert alone and all(among_all[m.posting] == m for m in alone)


def twin_of(matcher: TfidfMatcher, keyed: list[tuple[str, Posting]], key: str) -> str:
    """The posting most like ``key``, by the matcher's own measure."""
    posting = dict(keyed)[key]
    alike = Profile(id="t", roles=(posting.title,), about=posting.description_text)
    return next(m.posting for m in matcher.rank(alike, keyed, top=3) if m.posting != key)


def test_likes_and_dislikes_together_move_the_profile(
    matcher: TfidfMatcher, keyed: list[tuple[str, Posting]]
) -> None:
    postings = dict(keyed)
    profile = Profile(id="f", roles=("Software developer",), skills=("JavaScript", "Python"))

    def ranking(liked: list[str] = [], disliked: list[str] = []) -> list[str]:  # noqa: B006
        matches = matcher.rank(profile, keyed, top=None, liked=[postings[k] for k in liked],
                               disliked=[postings[k] for k in disliked])
        return [m.posting for m in matches]

    def place(order: list[str], key: str) -> int:
        return order.index(key) if key in order else len(keyed)

    before = ranking()
    liked = next(k for k in before if "Designer" in postings[k].title)
    disliked = before[0]
    after = ranking([liked], [disliked])
    assert disliked not in after  # never shown again
    others = [key for key in before if key != disliked]
    assert place(after, twin_of(matcher, keyed, liked)) < place(others,
                                                                twin_of(matcher, keyed, liked))
    assert place(after, twin_of(matcher, keyed, disliked)) > place(
        others, twin_of(matcher, keyed, disliked))


def with_a_copy(keyed: list[tuple[str, Posting]], key: str) -> list[tuple[str, Posting]]:
    """The postings with the last replaced by a copy of ``key``'s under another employer and
    link (keyed "copy"): the same job, asking the same."""
    copy = replace(dict(keyed)[key], company="Another Agency", url="https://example.org/copy",
                   external_id="copy")
    return [*keyed[:-1], ("copy", copy)]


def test_dislikes_alone_push_down_only_postings_close_to_the_disliked_ones(
    matcher: TfidfMatcher, keyed: list[tuple[str, Posting]]
) -> None:
    """One-sided feedback says too little to move the whole profile: a posting that asks
    for nothing like what the disliked one asks keeps its score."""
    profile = frontend()
    disliked = matcher.rank(profile, keyed, top=1)[0].posting
    postings = with_a_copy(keyed, disliked)
    before = {m.posting: m.score for m in matcher.rank(profile, postings, top=None)}
    after = {m.posting: m.score for m in matcher.rank(
        profile, postings, top=None, disliked=[dict(keyed)[disliked]])}
    assert after.get("copy", 0.0) < before["copy"]
    moved = {key for key, score in before.items() if after.get(key) != score} - {disliked}
    assert all(after.get(key, 0.0) < before[key] for key in moved)
    assert len(moved) < len(before) / 2


def test_likes_alone_pull_up_only_near_copies_of_the_liked_posting(
    matcher: TfidfMatcher, keyed: list[tuple[str, Posting]]
) -> None:
    """The same job under another employer and link rises; every posting asking for
    something else keeps its score."""
    profile = frontend()
    first = [m.posting for m in matcher.rank(profile, keyed, top=20)]
    postings = with_a_copy(keyed, first[0])
    before = {m.posting: m.score for m in matcher.rank(profile, postings, top=None)}
    after = {m.posting: m.score for m in matcher.rank(profile, postings, top=None,
                                                      liked=[dict(keyed)[first[0]]])}
    assert after["copy"] > before["copy"]
    moved = {key for key, score in before.items() if after[key] != score}
    assert moved <= {"copy", *first}
    assert all(after[key] > before[key] for key in moved)


def test_a_like_and_a_dislike_of_the_same_job_move_nothing(
    matcher: TfidfMatcher, keyed: list[tuple[str, Posting]]
) -> None:
    """Marks that contradict each other (one job liked, its copy elsewhere disliked) do not
    foretell each other, so they say nothing about the rest of the ranking: every other
    posting keeps its score. With the agreement test off, the same marks move the profile."""
    profile = Profile(id="f", roles=("Software developer",), skills=("JavaScript", "Python"))
    liked = matcher.rank(profile, keyed, top=3)[2].posting
    postings = with_a_copy(keyed, liked)
    wish = {"liked": [dict(postings)[liked]], "disliked": [dict(postings)["copy"]]}
    before = {m.posting: m.score for m in matcher.rank(profile, postings, top=None)}
    after = {m.posting: m.score for m in matcher.rank(profile, postings, top=None, **wish)}
    assert after == {key: score for key, score in before.items() if key != "copy"}
    ungated = matcher.with_feedback_settings(replace(matcher.settings, feedback_agreement=0.0))
    moved = {m.posting: m.score for m in ungated.rank(profile, postings, top=None, **wish)}
    assert moved != after


def python_over_javascript(matcher: TfidfMatcher, keyed: list[tuple[str, Posting]]
                           ) -> tuple[Profile, dict[str, list[Posting]], set[str]]:
    """A software developer's profile, with marks that agree: three Python developer jobs of
    its first page liked, three JavaScript ones disliked (and the keys of the six)."""
    by_key = dict(keyed)
    profile = Profile(id="f", roles=("Software developer",), skills=("JavaScript", "Python"))
    first = [m.posting for m in matcher.rank(profile, keyed, top=40)]

    def titled(word: str, other: str) -> list[str]:
        return [k for k in first
                if word in by_key[k].title.lower() and other not in by_key[k].title.lower()]
    liked, disliked = titled("python developer", "java")[:3], titled("javascript", "python")[:3]
    assert len(liked) == len(disliked) == 3
    return (profile, {"liked": [by_key[k] for k in liked],
                      "disliked": [by_key[k] for k in disliked]}, {*liked, *disliked})


def test_marks_that_foretell_each_other_move_the_profile(
    matcher: TfidfMatcher, keyed: list[tuple[str, Posting]]
) -> None:
    """Likes of one kind of job and dislikes of another agree: each mark is ranked better
    by the move the others make, so the profile moves as without the agreement test."""
    profile, wish, _ = python_over_javascript(matcher, keyed)
    ungated = matcher.with_feedback_settings(replace(matcher.settings, feedback_agreement=0.0))
    before = matcher.rank(profile, keyed, top=20)
    assert matcher.rank(profile, keyed, top=20, **wish) == ungated.rank(profile, keyed, top=20,
                                                                        **wish) != before


def test_agreeing_marks_lift_the_liked_role_by_title_and_lower_the_disliked_one(
    matcher: TfidfMatcher, keyed: list[tuple[str, Posting]]
) -> None:
    """The move in the space of titles: beside the same feedback without it, every other
    posting whose title names Python (and not JavaScript) scores higher, and every one
    naming JavaScript (and not Python) lower."""
    by_key = dict(keyed)
    profile, wish, marked = python_over_javascript(matcher, keyed)
    untitled = matcher.with_feedback_settings(
        replace(matcher.settings, feedback_title_pull=0.0, feedback_title_push=0.0))
    on, off = ({m.posting: m.score for m in judge.rank(profile, keyed, top=60, **wish)}
               for judge in (matcher, untitled))
    rose = fell = 0
    for key in on.keys() & off.keys() - marked:
        title = by_key[key].title.lower()
        if "python" in title and "java" not in title:
            assert on[key] > off[key], by_key[key].title
            rose += 1
        elif "javascript" in title and "python" not in title:
            assert on[key] < off[key], by_key[key].title
            fell += 1
    assert rose >= 5 and fell >= 2


def test_a_title_says_the_role_not_its_employer_or_rank(matcher: TfidfMatcher) -> None:
    """What a liked title says: "Senior Python Developer" at Pythonic Labs says Python and
    Python developer, not "senior", a bare "developer" or its employer's name."""
    posting = Posting(source="s", external_id="1", url="https://example.org/1",
                      title="Senior Python Developer at Pythonic Labs", company="Pythonic Labs")
    titles = matcher.index([("k", posting)]).titles
    assert sorted(matcher.terms[c] for c in titles.indices) == ["python", "python developer"]


def test_likes_and_dislikes_reorder_only_postings_whose_score_they_clearly_change(
    matcher: TfidfMatcher, postings: list[Posting], keyed: list[tuple[str, Posting]]
) -> None:
    """A score the moved profile changes by no more than ``feedback_trust`` of it stays as
    it was: no swaps at the edge of the page for a difference feedback barely makes."""
    by_key = dict(keyed)
    profile = Profile(id="f", roles=("Software developer",), skills=("JavaScript", "Python"))
    first = [m.posting for m in matcher.rank(profile, keyed, top=10)]
    wish = {"liked": [by_key[first[1]]], "disliked": [by_key[first[0]]]}
    unnudged = replace(matcher.settings, feedback_pull=0.0, feedback_push=0.0)
    scores = {}
    for trust in (0.0, matcher.settings.feedback_trust):
        judge = matcher.with_feedback_settings(replace(unnudged, feedback_trust=trust))
        scores[trust] = {m.posting: m.score for m in judge.rank(profile, keyed, top=None, **wish)}
    before = {m.posting: m.score for m in matcher.rank(profile, keyed, top=None)}
    blended, trusted = scores[0.0], scores[matcher.settings.feedback_trust]
    kept = changed = 0
    for key, score in before.items():
        change = abs(blended.get(key, 0.0) - score) / score
        if change < matcher.settings.feedback_trust - 0.01:
            assert trusted.get(key) == score
            kept += 1
        elif change > matcher.settings.feedback_trust + 0.01:
            assert trusted.get(key) == blended.get(key)
            changed += 1
    assert kept and changed


def test_matchers_differing_only_in_feedback_settings_share_the_fit(
    matcher: TfidfMatcher, postings: list[Posting], keyed: list[tuple[str, Posting]]
) -> None:
    """Feedback settings change no vector: a fitted matcher takes others without a refit
    (benchmarks/match_feedback.py tries many), keeps its fingerprint and indexes, and ranks
    as a matcher fitted with them."""
    by_key = dict(keyed)
    profile = Profile(id="f", roles=("Software developer",), skills=("JavaScript", "Python"))
    first = [m.posting for m in matcher.rank(profile, keyed, top=10)]
    wish = {"liked": [by_key[first[1]]], "disliked": [by_key[first[0]]]}
    other = replace(matcher.settings, feedback_trust=0.0, feedback_share=0.8)
    reused = matcher.with_feedback_settings(other)
    fitted = TfidfMatcher(other).fit(postings)
    assert reused.fingerprint == fitted.fingerprint == matcher.fingerprint
    index = matcher.index(keyed)
    moved = reused.rank(profile, index, top=10, **wish)
    assert moved == fitted.rank(profile, keyed, top=10, **wish)
    assert moved != matcher.rank(profile, index, top=10, **wish)
    with pytest.raises(ValueError, match="only the feedback settings"):
        matcher.with_feedback_settings(replace(matcher.settings, title=1.0))


def test_one_like_cannot_bring_a_far_off_posting_onto_the_first_page(
    matcher: TfidfMatcher, postings: list[Posting], keyed: list[tuple[str, Posting]]
) -> None:
    """Feedback lifts only postings the profile alone ranks near its top (the model's
    reference sample is all these postings): liking customer-support jobs does not fill a
    frontend developer's first page with support jobs, even when the score is the moved
    profile's alone."""
    by_key = dict(keyed)
    profile = frontend()
    moved_only = matcher.with_feedback_settings(replace(matcher.settings, feedback_share=1.0))
    for judge in (matcher, moved_only):
        before = [m.posting for m in judge.rank(profile, keyed, top=None)]
        reach = judge.settings.feedback_reach
        far = [k for k in before[2 * reach :] if category(keyed, k) == "Customer Support"]
        assert len(far) >= 3
        after = judge.rank(profile, keyed, top=10, liked=[by_key[k] for k in far[:3]])
        assert {m.posting for m in after} <= set(before[:reach])


def test_hidden_postings_min_score_and_top(
    matcher: TfidfMatcher, keyed: list[tuple[str, Posting]]
) -> None:
    all_matches = matcher.rank(frontend(), keyed, top=None)
    hidden = {all_matches[0].posting}
    assert all_matches[0].posting not in [
        m.posting for m in matcher.rank(frontend(), keyed, top=5, hidden=hidden)
    ]
    floor = all_matches[4].score
    assert all(m.score >= floor for m in matcher.rank(frontend(), keyed, min_score=floor))
    strict = replace(frontend(), min_score=0.99)
    assert matcher.rank(strict, keyed, min_score=0.0) == []


def test_filters_apply_before_ranking(
    matcher: TfidfMatcher, keyed: list[tuple[str, Posting]]
) -> None:
    profile = replace(frontend(), seniority="entry", exclude_keywords=("react",))
    for match in matcher.rank(profile, keyed, top=20, now=NOW, max_age_days=3):
        posting = dict(keyed)[match.posting]
        assert passes(profile, posting, NOW, max_age_days=3)


def test_a_stored_model_scores_like_the_fitted_one(
    matcher: TfidfMatcher, keyed: list[tuple[str, Posting]]
) -> None:
    stored = dump_matcher(matcher)
    loaded = load_matcher(stored)
    assert loaded is not None and loaded.fingerprint == matcher.fingerprint
    assert loaded.rank(frontend(), keyed, top=5) == matcher.rank(frontend(), keyed, top=5)
    assert load_matcher(b"not a model") is None
    assert load_matcher(stored[:-20]) is None
    assert not loaded.needs_refit(len(keyed)) and loaded.needs_refit(2 * len(keyed))


def test_a_stored_model_from_anyone_is_refitted_not_trusted(
    matcher: TfidfMatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`leads import` stores the model an export file carries, whoever wrote the file: a
    model that inflates past MAX_MODEL_BYTES (a zlib bomb) or points outside its own arrays
    is no model, and a new one is fitted, as for any damaged one."""
    stored = dump_matcher(matcher)
    monkeypatch.setattr(tfidf, "MAX_MODEL_BYTES", len(stored))  # the real model inflates more
    assert load_matcher(stored) is None
    monkeypatch.undo()
    prefix = stored[: stored.index(b"x\x9c")]  # the format line before zlib's header
    parts = tfidf._unpack(zlib.decompress(stored[len(prefix):]))
    for at in (4, 7):  # the reference postings' terms, and their titles'
        bad = list(parts)
        bad[at] = np.full(len(parts[at]) // 4, 2**31 - 1, "<i4").tobytes()  # no such term
        body = b"".join(struct.pack("<Q", len(part)) + part for part in bad)
        assert load_matcher(prefix + zlib.compress(body)) is None


def test_a_model_stored_by_the_first_format_is_refitted(matcher: TfidfMatcher) -> None:
    """Models stored before the reference titles were (format 1) lack them: refitted once."""
    stored = dump_matcher(matcher)
    parts = tfidf._unpack(zlib.decompress(stored[len(tfidf._FORMAT):]))
    first = b"".join(struct.pack("<Q", len(part)) + part for part in parts[:6])
    assert load_matcher(b"mentor-leads tfidf 1\n" + zlib.compress(first)) is None
    assert load_matcher(tfidf._FORMAT + zlib.compress(first)) is None


def test_a_stored_model_takes_this_versions_feedback_settings_and_refits_for_other_scoring(
    matcher: TfidfMatcher,
) -> None:
    # A model stored by an earlier version, whose feedback defaults were other than today's.
    earlier = matcher.with_feedback_settings(replace(matcher.settings, feedback_push=0.95))
    loaded = load_matcher(dump_matcher(earlier))
    assert loaded is not None and loaded.settings == Settings()
    assert loaded.fingerprint == matcher.fingerprint  # no vector changed: indexes still serve
    # Other scoring settings change every vector: the stored model is not used.
    assert load_matcher(dump_matcher(matcher), settings=replace(Settings(), title=0.7)) is None


def test_profiles_come_from_mentees_and_hash_what_scores_depend_on() -> None:
    mentee = Mentee(name="Ada Lovelace", email="ada@example.org", mentor="grace",
                    skills=("Python",), locations=("Chicago", "remote"), seniority="junior",
                    exclude=Exclusions(companies=("Acme",)), min_score=0.2)
    profile = profile_from_mentee(mentee, "Résumé text")
    assert profile.id == "ada-lovelace" and profile.resume == "Résumé text"
    assert profile.exclude_companies == ("Acme",) and profile.min_score == 0.2
    assert profile_hash(profile) == profile_hash(profile_from_mentee(mentee, "Résumé text"))
    assert profile_hash(profile) != profile_hash(replace(profile, skills=("Go",)))


def test_feedback_collects_any_iterables() -> None:
    wish = Feedback.of(hidden=["a", "b"])
    assert wish.hidden == frozenset({"a", "b"}) and wish.liked == ()


def test_stored_profile_vectors_are_reused_only_by_the_same_model(
    matcher: TfidfMatcher, postings: list[Posting], keyed: list[tuple[str, Posting]]
) -> None:
    fresh = matcher.rank(frontend(), keyed)
    stored = matcher.profile_vectors(frontend())
    assert stored is not None
    loaded = load_matcher(dump_matcher(matcher))
    assert loaded is not None
    assert loaded.profile_vectors(frontend()) is None  # a new matcher has not vectorised it
    assert loaded.remember_profile_vectors(frontend(), stored)
    assert loaded.rank(frontend(), keyed) == fresh
    other = TfidfMatcher().fit(postings[: len(postings) // 2])
    assert not other.remember_profile_vectors(frontend(), stored)  # another model
    assert not loaded.remember_profile_vectors(frontend(), stored[:-3])  # damaged
    # A skill column past the terms (an imported row may hold any bytes) is damage too.
    past = stored[:-8] + np.int64(len(loaded.terms)).astype("<i8").tobytes()
    assert not loaded.remember_profile_vectors(frontend(), past)


def test_how_or_where_a_job_is_done_is_not_why_it_fits() -> None:
    postings = [
        job("Python Developer - Remote", description_text="Python and Django services, remote."),
        job("Accountant", description_text="Ledgers and audits."),
        job("Nurse", description_text="Ward rounds."),
    ]
    fitted = TfidfMatcher().fit(postings * 3)
    profile = Profile(
        id="sam", roles=("python developer",), skills=("Django",),
        about="Python developer, remote first; open to fulltime remote work.",
    )
    (top, *_) = fitted.rank(profile, [(str(i), p) for i, p in enumerate(postings)])
    assert top.posting == "0" and "Python" in top.why
    assert not [term for term in top.why if "remote" in term.lower()]
