"""The same job seen on several boards is one lead; different jobs stay apart.

Built from real recorded We Work Remotely postings, altered only in ids, links and titles the
way boards re-post them.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aggregator.core import dedupe, intake
from aggregator.core.identity import canonical_url, content_hash, fingerprint
from aggregator.core.models import Posting, SourceState
from aggregator.store import Store
from sources.rss import parse_feed

FEEDS = Path(__file__).parent / "fixtures" / "rss" / "wwr_2022-11"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def real_postings() -> list[Posting]:
    body = (FEEDS / "remote-back-end-programming-jobs.rss").read_bytes()
    return parse_feed(body, "https://weworkremotely.com/x.rss", "application/rss+xml", "wwr")


def save(
    store: Store, source: str, postings: list[Posting], when: datetime = T0, *, ats: bool = False
) -> None:
    batch = [replace(p, source=source) for p in postings]
    store.save_collected(SourceState(name=source), batch, when, company_page=ats)


def leads_by_source(store: Store) -> dict[str, list[int]]:
    result: dict[str, list[int]] = {}
    for stored in store.postings():
        result.setdefault(stored.posting.source, []).append(stored.lead_id)
    return result


def as_board_copy(posting: Posting, n: int, **changes: object) -> Posting:
    """The same job as another board shows it: new id and link."""
    return replace(
        posting,
        external_id=f"board-{n}",
        url=f"https://jobs.example-board.com/view/{n}",
        **changes,  # type: ignore[arg-type]
    )


def test_same_url_with_tracking_parameters_is_one_lead(
    store: Store, real_postings: list[Posting]
) -> None:
    original = real_postings[0]
    copy = replace(original, external_id="other-id", url=original.url + "?utm_source=board&ref=rss")
    save(store, "wwr", [original])
    save(store, "board", [copy])
    assert leads_by_source(store)["wwr"] == leads_by_source(store)["board"]


def test_same_company_title_location_is_one_lead(
    store: Store, real_postings: list[Posting]
) -> None:
    original = real_postings[1]
    copy = as_board_copy(original, 1, description_text="Apply on our site.", description_html="")
    save(store, "wwr", [original])
    save(store, "board", [copy])
    assert leads_by_source(store)["wwr"] == leads_by_source(store)["board"]


def test_retitled_copy_with_edited_description_is_one_lead(
    store: Store, real_postings: list[Posting]
) -> None:
    original = real_postings[2]
    words = original.description_text.split()
    edited = " ".join([*words[:10], "really", *words[10:-5]])  # a word added, the end cut
    copy = as_board_copy(
        original,
        2,
        title=original.title + " (Remote)",
        company=original.company.upper() + " Inc.",
        description_text=edited,
    )
    save(store, "wwr", [original])
    save(store, "board", [copy])
    assert leads_by_source(store)["wwr"] == leads_by_source(store)["board"]


def test_different_jobs_stay_apart(store: Store, real_postings: list[Posting]) -> None:
    # Clevertech posted one job twice ("Senior Backend Engineer - Javascript Node" and "… - Node",
    # 84% the same text): that pair is one lead. Every other posting in the feed is its own job,
    # including UpStack's four roles that share 58% boilerplate.
    save(store, "wwr", real_postings)
    leads = {}
    for stored in store.postings():
        leads.setdefault(stored.lead_id, []).append(stored.posting.title)
    merged = [titles for titles in leads.values() if len(titles) > 1]
    assert merged == [
        ["Senior Backend Engineer - Javascript Node", "Senior Backend Engineer - Node"]
    ]
    upstack = [p for p in real_postings if p.company.startswith("UpStack")]
    assert (
        len({lead for lead, titles in leads.items() if any(p.title in titles for p in upstack)})
        == 4
    )


def test_postings_prepared_in_a_worker_give_the_same_leads(
    store: Store, real_postings: list[Posting], tmp_path: Path
) -> None:
    # The collect stage prepares postings (keys, signatures) in its worker processes and
    # hands them to the store pickled; the leads must be those the store makes preparing
    # them itself.
    ready = pickle.loads(pickle.dumps(intake.prepared(real_postings)))
    store.save_prepared(SourceState(name="wwr"), ready, T0)
    alone = Store(f"sqlite:///{tmp_path / 'alone.db'}")
    try:
        alone.save_collected(SourceState(name="wwr"), real_postings, T0)
        assert [(s.posting, s.lead_id) for s in store.postings()] == [
            (s.posting, s.lead_id) for s in alone.postings()
        ]
    finally:
        alone.close()
    assert len({s.lead_id for s in store.postings()}) == len(real_postings) - 1


def test_prepared_postings_are_admitted_and_keyed_as_the_store_keys_them(
    real_postings: list[Posting],
) -> None:
    hidden = replace(real_postings[0], title="\u202eSenior Engineer", url="https://A.test/1?utm_x=1")
    (ready,) = intake.prepared([hidden])
    assert ready.posting == intake.admitted(hidden)
    assert ready.posting.title == "Senior Engineer"
    assert ready.fingerprint == fingerprint(ready.posting)
    assert ready.content_hash == content_hash(ready.posting)
    assert ready.sighting.url == canonical_url(hidden.url) == "https://a.test/1"
    assert ready.sighting.key.split("|")[1] == "senior engineer"
    signature = dedupe.signature(hidden.description_text)
    assert signature is not None and ready.sighting.signature is not None
    assert (ready.sighting.signature == signature).all()


@pytest.mark.parametrize(
    "text",
    [
        "a short text",
        ("word " * 800)[:3198] + ".net and more",  # the first cut splits "word.net"
        ("word " * 800)[:3200] + "ends here",  # the first cut ends between two words
        "longwordsofthirtycharacterseach " * 300,  # fewer than MAX_WORDS in the first cut
        "w " * 2000 + "tail",
    ],
)
def test_descriptions_are_hashed_from_their_first_words_however_they_are_cut(text: str) -> None:
    opening = dedupe.words(text[: dedupe.MAX_WORDS * 16], fold_accents=False)
    assert dedupe._opening_words(text) == opening[: dedupe.MAX_WORDS]


def test_a_sighting_its_url_or_key_places_is_never_compared_by_description(
    real_postings: list[Posting],
) -> None:
    # The store looks up near-duplicate candidates only for sightings not placed already.
    by_url, by_key, neither = dedupe.sightings(real_postings[:3], ["https://a/1", "", ""])
    index = dedupe.LeadIndex(by_url={"https://a/1": 7})
    index.add(dedupe.KnownLead.new(8, by_key))
    assert index.placed(by_url) and index.placed(by_key) and not index.placed(neither)
    assert (index.find(by_url), index.find(by_key)) == (7, 8)


def test_same_description_at_another_company_is_another_lead(
    store: Store, real_postings: list[Posting]
) -> None:
    original = real_postings[3]
    other = as_board_copy(original, 3, company="Completely Different Co", title="Data Engineer")
    save(store, "wwr", [original])
    save(store, "board", [other])
    assert leads_by_source(store)["wwr"] != leads_by_source(store)["board"]


def test_repost_within_window_is_the_same_lead_but_not_after(
    store: Store, real_postings: list[Posting]
) -> None:
    original = real_postings[4]
    save(store, "wwr", [original], T0)
    save(store, "wwr", [as_board_copy(original, 10)], T0 + timedelta(days=20))
    save(store, "wwr", [as_board_copy(original, 11)], T0 + timedelta(days=20 + 31))
    first, repost, much_later = leads_by_source(store)["wwr"]
    assert first == repost
    assert much_later != first


def test_company_page_link_comes_first(store: Store, real_postings: list[Posting]) -> None:
    original = real_postings[5]
    ats = as_board_copy(original, 5)
    ats = replace(ats, url="https://boards.greenhouse.io/acme/jobs/5")
    save(store, "wwr", [original])
    save(store, "acme-greenhouse", [ats], T0 + timedelta(hours=1), ats=True)
    (lead_id,) = set(leads_by_source(store)["wwr"])
    assert store.lead_links([lead_id])[lead_id] == [ats.url, original.url]


def test_duplicates_inside_one_batch_share_a_lead(
    store: Store, real_postings: list[Posting]
) -> None:
    original = real_postings[6]
    copy = replace(original, external_id="board-6", url=original.url + "?source=x")
    save(store, "board", [original, copy])
    first, second = leads_by_source(store)["board"]
    assert first == second


def test_company_keys_ignore_case_and_legal_forms() -> None:
    assert dedupe.company_key("Acme, Inc.") == dedupe.company_key("ACME") == "acme"
    assert dedupe.company_key("Espeo Sp. z o.o.") == dedupe.company_key("espeo")
    assert dedupe.company_key("Zoë GmbH") == "zoe"


# The store keeps signatures and band hashes: a change to how they are worked out must leave
# them as they were, or leads stored before would no longer be found again.
STORED_SIGNATURES_SHA256 = "e92e1e3eaef4b14370bcef91f76e7a34e3667b30b6b6ade59239315db9ef76c0"


def test_signatures_and_bands_are_those_stored_before(real_postings: list[Posting]) -> None:
    texts = [p.description_text for p in real_postings] + ["too short to compare"]
    digest = hashlib.sha256()
    for found in dedupe.signatures(texts):
        if found is None:
            digest.update(b"none")
        else:
            digest.update(dedupe.to_bytes(found) + repr(dedupe.band_hashes(found)).encode())
    assert digest.hexdigest() == STORED_SIGNATURES_SHA256


def test_signature_similarity_tracks_text_overlap(real_postings: list[Posting]) -> None:
    text = real_postings[0].description_text
    same = dedupe.signature(text)
    near = dedupe.signature(text.replace(" the ", " a ", 2))
    other = dedupe.signature(real_postings[7].description_text)
    assert same is not None and near is not None and other is not None
    assert dedupe.similarity(same, same) == 1.0
    assert dedupe.similarity(same, near) >= dedupe.NEAR_DUPLICATE_THRESHOLD
    assert dedupe.similarity(same, other) < 0.3
    assert dedupe.signature("too short to compare") is None


def test_jobs_written_from_one_template_stay_apart(
    store: Store, real_postings: list[Posting]
) -> None:
    # Same company, same description, but a different job: the title check keeps them apart.
    android = replace(real_postings[8], title="Senior Android Engineer")
    ios = as_board_copy(android, 8, title="Senior iOS Engineer")
    abbreviated = as_board_copy(android, 9, title="Sr. Android Engineer (Remote)")
    save(store, "wwr", [android])
    save(store, "board", [ios, abbreviated])
    (android_lead,) = leads_by_source(store)["wwr"]
    ios_lead, abbreviated_lead = leads_by_source(store)["board"]
    assert ios_lead != android_lead
    assert abbreviated_lead == android_lead


def test_one_companys_openings_for_two_regions_stay_apart(
    store: Store, real_postings: list[Posting]
) -> None:
    """Seen in the demo: amazee.io's "DevOps Engineer" in WWR's devops feed ("Oceania Only")
    and its design feed ("Americas Only"), one description, were one lead; which region it
    kept depended on which item was stored first, so a mentee in Chicago got it in one run
    and not in the next."""
    americas = replace(real_postings[8], location="Americas Only")
    oceania = as_board_copy(americas, 8, location="Oceania Only")
    again = as_board_copy(americas, 9, location="Americas Only")
    unlimited = as_board_copy(americas, 10, location="Anywhere in the World")
    # Seen too: Doximity's one job as "USA Only" in one feed, "North America Only" in another.
    usa = as_board_copy(americas, 11, location="USA Only")
    save(store, "wwr", [americas])
    save(store, "board", [oceania, again, unlimited, usa])
    (americas_lead,) = leads_by_source(store)["wwr"]
    oceania_lead, *others = leads_by_source(store)["board"]
    assert oceania_lead != americas_lead
    assert others == [americas_lead] * 3, "the same region, no limit, or a region within it"


def test_title_words_spell_out_and_drop_noise() -> None:
    assert dedupe.title_words("Sr. Backend Eng (Remote) - Berlin", "Berlin, Germany") == {
        "senior",
        "backend",
        "engineer",
    }
    assert dedupe.titles_compatible(
        dedupe.title_words("Senior Backend Engineer"),
        dedupe.title_words("Senior Backend Engineer - Node"),
    )
    assert not dedupe.titles_compatible(
        dedupe.title_words("Android Engineer"), dedupe.title_words("iOS Engineer")
    )


def test_a_big_employer_with_shared_boilerplate_still_finds_the_right_lead() -> None:
    boilerplate = " ".join(f"acme benefit clause number {n} applies to everyone" for n in range(40))
    roles = [
        " ".join(f"role {r} duty {d} with tool{r}x{d} daily" for d in range(30)) for r in range(300)
    ]
    texts = [f"{roles[r]} {boilerplate}" for r in range(300)]
    signatures = dedupe.signatures(texts)
    index = dedupe.LeadIndex()
    for lead_id, sig in enumerate(signatures, start=1):
        assert sig is not None
        stored = dedupe.KnownLead.stored(lead_id, f"acme|engineer {lead_id}|", "acme", sig)
        index.add(stored)
    copy_text = texts[199].replace("daily", "every day", 3)
    (copy_signature,) = dedupe.signatures([copy_text])
    sighting = dedupe.Sighting(
        url="",
        key="acme|engineer 200 remote|",
        company="acme",
        signature=copy_signature,
        title=dedupe.title_words("Engineer 200 (Remote)"),
        bands=tuple(dedupe.band_hashes(copy_signature)) if copy_signature is not None else (),
    )
    assert index.find(sighting) == 200
