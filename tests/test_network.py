"""The mentor's network: reading LinkedIn exports and finding contacts at a posting's company."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aggregator.core.errors import ConfigError
from aggregator.core.models import Contact, Mentor
from digests.network import (
    NetworkIndex,
    company_key,
    default_aliases,
    load_connections,
    network_of,
    parse_aliases,
)

FIXTURES = Path(__file__).parent / "fixtures" / "network"
EXPORT = FIXTURES / "Connections.csv"
HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"


@pytest.fixture(scope="module")
def contacts() -> tuple[Contact, ...]:
    return load_connections(EXPORT)


@pytest.fixture(scope="module")
def index(contacts: tuple[Contact, ...]) -> NetworkIndex:
    return NetworkIndex(contacts)


def names(found: tuple[Contact, ...]) -> list[str]:
    return [contact.name for contact in found]


def only_at(*companies: str) -> NetworkIndex:
    """An index with one contact at each company, named after it."""
    return NetworkIndex(Contact(name=f"Someone at {c}", company=c) for c in companies)


def write(tmp_path: Path, text: str, name: str = "Connections.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- reading the export ---------------------------------------------------------------------


def test_export_with_notes_preamble_is_read_row_by_row(contacts: tuple[Contact, ...]) -> None:
    assert len(contacts) == 27  # 30 rows: two without a company, one without a name
    assert contacts[0] == Contact(
        name="Jane Doe",
        company="Acme Inc.",
        email=None,
        position="Engineering Manager",
        url="https://www.linkedin.com/in/janedoe",
    )
    assert contacts[1].email == "marcus.webb@example.com"


def test_quoted_fields_with_commas_and_non_ascii_names_survive(
    contacts: tuple[Contact, ...],
) -> None:
    by_name = {contact.name: contact for contact in contacts}
    assert by_name["Oliver Grant"].company == "Initech, Inc."
    assert by_name["Oliver Grant"].position == "Director, Platform Engineering"
    assert by_name["Zoë Łukasiewicz"].company == "Société Générale"
    assert by_name["Zoë Łukasiewicz"].email == "zoe@example.net"
    assert by_name["山田 太郎"].company == "楽天グループ株式会社"


def test_rows_without_company_or_name_are_skipped(contacts: tuple[Contact, ...]) -> None:
    found = set(names(contacts))
    assert "Ahmed Hassan" not in found  # a freelancer: no company
    assert "Fatima Zahra" not in found
    assert all(contact.name for contact in contacts)
    assert all(contact.company != "LinkedIn Member Company" for contact in contacts)


def test_an_invalid_email_becomes_none(contacts: tuple[Contact, ...]) -> None:
    emily = next(contact for contact in contacts if contact.name == "Emily Chen")
    assert emily.email is None
    assert emily.company == "Datadog"


def test_older_export_without_preamble_with_bom_and_crlf() -> None:
    found = load_connections(FIXTURES / "Connections_no_preamble.csv")
    assert found == (
        Contact(
            name="Jane Doe",
            company="Acme Inc.",
            email="jane.doe@example.com",
            position="Engineering Manager",
        ),
        Contact(name="Bob Stone", company="Globex, Ltd.", position="VP, Engineering"),
    )


def test_short_rows_read_missing_cells_as_empty(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "Ana,Silva,,,Acme\n")
    assert load_connections(path) == (Contact(name="Ana Silva", company="Acme"),)


# --- errors ---------------------------------------------------------------------------------


def test_missing_export_names_the_file_and_how_to_get_one(tmp_path: Path) -> None:
    missing = tmp_path / "Connections.csv"
    with pytest.raises(ConfigError) as caught:
        load_connections(missing)
    assert caught.value.file == str(missing)
    assert str(missing) in str(caught.value)
    assert "Get a copy of your data" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        'Notes:\n"When exporting your connection data..."\n\n',
        "Name,Company\nJane Doe,Acme\n",  # some other CSV
    ],
    ids=["empty", "preamble-only", "other-csv"],
)
def test_a_file_without_the_header_row_is_refused(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match="no header row") as caught:
        load_connections(path)
    assert caught.value.file == str(path)
    assert "Connections" in (caught.value.fix or "")


def test_non_utf8_export_says_how_to_save_it(tmp_path: Path) -> None:
    path = tmp_path / "Connections.csv"
    path.write_bytes((HEADER + "José,Núñez,,,Nestlé,,\n").encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8") as caught:
        load_connections(path)
    assert "CSV UTF-8" in str(caught.value)


def test_broken_quoting_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + 'Jane,Doe,,,Acme,,\nBob,"Stone,,,Globex,,\n')
    with pytest.raises(ConfigError, match="broken CSV") as caught:
        load_connections(path)
    assert caught.value.line == 3
    assert f"{path}:3" in str(caught.value)


# --- company names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Acme Inc.", "acme"),
        ("ACME", "acme"),
        ("Acme, Inc.", "acme"),
        ("Acme Holdings Ltd", "acme"),
        ("Acme & Co.", "acme"),
        ("Procter & Gamble Co.", "procter and gamble"),
        ("The Home Depot", "home depot"),
        ("Group Nine Media", "group nine media"),  # "Group" only goes at the end
        ("The Boston Consulting Group", "boston consulting"),
        ("Nestlé S.A.", "nestle"),
        ("Espeo Sp. z o.o.", "espeo"),
        ("Amazon.com, Inc.", "amazon"),
        ("X (formerly Twitter)", "x"),
        ("Meta, formerly Facebook", "meta"),
        ("McDonald's Corporation", "mcdonalds"),
        ("(Stealth)", "stealth"),
        ("Inc.", "inc"),  # a name that is only a legal form keeps it
        ("楽天グループ株式会社", "楽天グループ株式会社"),
    ],
)
def test_company_key(name: str, key: str) -> None:
    assert company_key(name) == key


# --- finding contacts -----------------------------------------------------------------------


def test_spellings_of_one_company_meet_and_come_back_by_name(index: NetworkIndex) -> None:
    expected = ["Isabella García", "Jane Doe", "Marcus Webb"]
    assert names(index.contacts_at("Acme")) == expected
    assert names(index.contacts_at("ACME, Inc.")) == expected
    assert names(index.contacts_at("acme llc")) == expected


@pytest.mark.parametrize(
    ("company", "expected"),
    [
        ("Alphabet Inc.", ["Aisha Bello", "Tomás Herrera"]),
        ("Google", ["Aisha Bello", "Tomás Herrera"]),
        ("YouTube", ["Aisha Bello", "Tomás Herrera"]),
        ("Facebook", ["Liam O'Connor"]),
        ("Meta Platforms, Inc.", ["Liam O'Connor"]),
        ("Amazon", ["Ravi Patel"]),
        ("AWS", ["Ravi Patel"]),
        ("Microsoft Corporation", ["Grace Kim"]),
        ("X Corp.", ["Lucas Martin"]),
        ("X (formerly Twitter)", ["Lucas Martin"]),
        ("Square", ["Benjamin Lee", "Kenji Watanabe"]),  # Block's brand
        ("Block, Inc.", ["Benjamin Lee", "Kenji Watanabe"]),
    ],
)
def test_brands_of_one_group_count_as_one_company(
    index: NetworkIndex, company: str, expected: list[str]
) -> None:
    assert names(index.contacts_at(company)) == expected


@pytest.mark.parametrize(
    ("company", "expected"),
    [
        ("Home Depot", ["Chloé Dubois"]),
        ("Data Dog", ["Emily Chen"]),  # spacing
        ("Northwind Technology", ["Amara Okafor"]),  # fuzzy: "Northwind Technologies"
        ("Acme Analytic", ["Priya Raman"]),  # fuzzy: "Acme Analytics"
        ("Initech", ["Oliver Grant"]),
        ("Societe Generale SA", ["Zoë Łukasiewicz"]),
        ("Spotify", ["Mia Johansson"]),
    ],
)
def test_other_spellings_are_found(index: NetworkIndex, company: str, expected: list[str]) -> None:
    assert names(index.contacts_at(company)) == expected


@pytest.mark.parametrize(
    ("known", "posting"),
    [
        ("Meta", "Metabase"),
        ("Metabase", "Meta"),
        ("Square", "Squarespace"),
        ("Squarespace", "Square"),
        ("Stripe", "Striped Giraffe"),
        ("Striped Giraffe", "Stripe"),
        ("Acme Analytics", "Apex Analytics"),
        ("Acme Analytics", "Acme"),
        ("Acme", "Acme Analytics"),
        ("Contoso Health", "Contoso Wealth"),
        ("Northwind Health Labs", "Northwind Wealth Labs"),
        ("Acme Bank", "Acme Band"),
        ("Google", "Goggle"),
    ],
)
def test_similar_names_of_other_companies_do_not_match(known: str, posting: str) -> None:
    assert only_at(known).contacts_at(posting) == ()


def test_the_fixture_keeps_look_alikes_apart(index: NetworkIndex) -> None:
    assert names(index.contacts_at("Meta")) == ["Liam O'Connor"]
    assert names(index.contacts_at("Metabase")) == ["Sofia Rossi"]
    assert names(index.contacts_at("Squarespace")) == ["Olivia Nowak"]
    assert names(index.contacts_at("Stripe")) == ["Hannah Schmidt"]
    assert names(index.contacts_at("Striped Giraffe")) == ["Samuel Adeyemi"]
    assert index.contacts_at("Apex Analytics") == ()
    assert index.contacts_at("Contoso Wealth") == ()


def test_unknown_and_empty_companies_find_nobody(index: NetworkIndex) -> None:
    assert index.contacts_at("Globex") == ()
    assert index.contacts_at("") == ()
    assert index.contacts_at("  ,. ") == ()


# --- the alias table ------------------------------------------------------------------------


def test_shipped_aliases_load_and_group_brands() -> None:
    aliases = default_aliases()
    assert aliases["youtube"] == aliases["google"] == aliases["alphabet"] == "alphabet"
    assert aliases["github"] == "microsoft"
    assert "metabase" not in aliases
    assert "squarespace" not in aliases


def test_custom_aliases_replace_the_shipped_ones() -> None:
    aliases = parse_aliases("Globex: [Initech]\n", "aliases.yaml")
    index = NetworkIndex([Contact(name="Oliver Grant", company="Initech, Inc.")], aliases)
    assert names(index.contacts_at("Globex Corporation")) == ["Oliver Grant"]
    meta = NetworkIndex([Contact(name="Liam O'Connor", company="Meta")], aliases)
    assert meta.contacts_at("WhatsApp") == ()  # the shipped groups no longer apply


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Alphabet: [Google]\nMeta: [Google LLC]\n", "listed under two groups"),
        ("Alphabet: Google\n", "needs a list"),
        ("- Google\n", "expected a mapping"),
        ("Alphabet: [Google\n", "invalid YAML"),
    ],
)
def test_a_contradictory_alias_table_is_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_aliases(text, "aliases.yaml")
    assert caught.value.file == "aliases.yaml"


# --- a mentor's network ---------------------------------------------------------------------


def mentor(network: str | tuple[Contact, ...]) -> Mentor:
    return Mentor(id="ada", name="Ada Lovelace", email="ada@example.com", network=network)


def test_inline_network_is_the_mentors_list(tmp_path: Path) -> None:
    people = (Contact(name="Jane Doe", company="Acme", position="Engineering Manager"),)
    assert network_of(mentor(people), tmp_path) == people


def test_network_path_is_relative_to_the_config_directory(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    shutil.copy(EXPORT, tmp_path / "exports" / "Connections.csv")
    found = network_of(mentor("exports/Connections.csv"), tmp_path)
    assert found == load_connections(EXPORT)


def test_a_wrong_network_path_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        network_of(mentor("exports/Connections.csv"), tmp_path)
    assert caught.value.file == str(tmp_path / "exports" / "Connections.csv")
    assert "network" in str(caught.value)
