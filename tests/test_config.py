"""Config loading: strict validation whose messages name the file, line, key path and fix."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aggregator.cli import app
from aggregator.core.config import AppConfig, append_source, load_config
from aggregator.core.errors import ConfigError
from sources import option_models

REPO = Path(__file__).resolve().parents[1]

GOOD = """\
storage:
  url: sqlite:///data/leads.db
http:
  timeout: 5
  per_host: 2
sources:
  - name: wwr
    type: rss
    url: https://weworkremotely.com/remote-jobs.rss
mentors:
  - {id: maria, name: Maria, email: maria@example.org}
mentees:
  - {name: Sam Lee, email: sam@example.org, mentor: maria, skills: [python]}
"""


def load(tmp_path: Path, text: str) -> AppConfig:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, option_models())


def error_for(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return caught.value


def test_good_config_loads_with_defaults_and_relative_paths(tmp_path: Path) -> None:
    config = load(tmp_path, GOOD)
    assert config.http.timeout == 5 and config.http.per_host == 2
    assert config.http.concurrency == 64  # default kept
    assert config.database_url == f"sqlite:///{(tmp_path / 'data' / 'leads.db').resolve()}"
    assert config.outbox_dir == tmp_path.resolve() / "outbox"
    assert config.mentees[0].id == "sam-lee"  # slug of the name
    assert [s.name for s in config.enabled_sources()] == ["wwr"]


def test_shipped_example_config_is_valid(tmp_path: Path) -> None:
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    config = load_config(tmp_path / "config.yaml", option_models())
    assert len(config.mentors) == 2
    assert len(config.mentees) == 3
    assert all(s.url is None or s.url.startswith("https://") for s in config.sources)
    assert {s.type for s in config.sources} >= {"rss", "greenhouse", "lever", "jsonld"}


def test_unknown_key_names_line_path_and_suggestion(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace("    url: https://we", "    ur: https://we"))
    assert error.key == "sources[0].ur"
    assert error.line == 9
    assert "unknown key 'ur'" in str(error)
    assert "did you mean 'url'" in str(error)
    assert str(error).startswith(f"{tmp_path / 'config.yaml'}:9: sources[0].ur:")


def test_unknown_top_level_section(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD + "htp: {}\n")
    assert error.key == "htp"
    assert "did you mean 'http'" in str(error)


def test_wrong_type_names_key_and_value(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace("timeout: 5", "timeout: fast"))
    assert error.key == "http.timeout"
    assert error.line == 4
    assert "'fast'" in str(error)


def test_missing_required_field(tmp_path: Path) -> None:
    error = error_for(
        tmp_path, GOOD.replace("    url: https://weworkremotely.com/remote-jobs.rss\n", "")
    )
    assert error.key == "sources[0].url"
    assert "add `url:`" in str(error)


def test_duplicate_source_name(tmp_path: Path) -> None:
    extra = "  - {name: wwr, type: rss, url: 'https://example.org/b.rss'}\n"
    text = GOOD.replace("mentors:", extra + "mentors:")
    error = error_for(tmp_path, text)
    assert error.key == "sources[1].name"
    assert "duplicate source name 'wwr'" in str(error)


def test_unknown_source_type_lists_known_ones(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace("type: rss", "type: rs"))
    assert error.key == "sources[0].type"
    assert "did you mean 'rss'" in str(error)


def test_source_url_must_be_http(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace("https://weworkremotely", "ftp://weworkremotely"))
    assert error.key == "sources[0].url"


def test_env_references_are_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEED_HOST", "feeds.example.org")
    config = load(tmp_path, GOOD.replace("weworkremotely.com", "${FEED_HOST}"))
    assert config.sources[0].url == "https://feeds.example.org/remote-jobs.rss"
    fallback = load(tmp_path, GOOD.replace("weworkremotely.com", "${NOT_SET_XYZ:-fallback.org}"))
    assert fallback.sources[0].url == "https://fallback.org/remote-jobs.rss"


def test_missing_env_variable_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEADS_SMTP_PASSWORD", raising=False)
    text = GOOD + (
        "delivery:\n  method: smtp\n  smtp:\n    host: smtp.example.org\n"
        "    from: a@example.org\n    password: ${LEADS_SMTP_PASSWORD}\n"
    )
    error = error_for(tmp_path, text)
    assert error.key == "delivery.smtp.password"
    assert "LEADS_SMTP_PASSWORD is not set" in str(error)


def test_mentee_must_name_a_known_mentor(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace("mentor: maria", "mentor: nobody"))
    assert error.key == "mentees[0].mentor"
    assert "no mentor with id or email 'nobody'" in str(error)


def test_mentee_may_name_mentor_by_email(tmp_path: Path) -> None:
    config = load(tmp_path, GOOD.replace("mentor: maria", "mentor: Maria@Example.org"))
    assert config.mentees[0].mentor == "Maria@Example.org"


def test_two_mentors_may_not_share_an_email(tmp_path: Path) -> None:
    # Seen: accepted, and a mentee naming that email silently went to the last of them.
    second = "  - {id: mario, name: Mario, email: Maria@example.org}\n"
    error = error_for(tmp_path, GOOD.replace("mentees:\n", second + "mentees:\n"))
    assert (error.key, error.line) == ("mentors[1].email", 12)
    assert "is also the email of mentor 'maria'" in str(error)


def test_a_mentor_id_may_not_be_another_mentors_email(tmp_path: Path) -> None:
    second = "  - {id: maria@example.org, name: Other, email: other@example.org}\n"
    error = error_for(tmp_path, GOOD.replace("mentees:\n", second + "mentees:\n"))
    assert error.key == "mentors[1].id"
    assert "is the email of mentor 'maria'" in str(error)


@pytest.mark.parametrize(
    ("network", "key", "said"),
    [
        ("[{company: Acme}]", "mentors[0].network[0].name", "required key is missing"),
        ("[{name: Ada, company: Acme, bogus: 1}]", "mentors[0].network[0].bogus",
         "unknown key 'bogus' — allowed keys: company, email, name, position, url"),
    ],
)
def test_an_inline_network_error_names_the_contact_and_its_keys(
    tmp_path: Path, network: str, key: str, said: str
) -> None:
    # Seen: "mentors[0].network.constrained-str: Input should be a valid string", and an
    # unknown key with "allowed keys: " and nothing after it.
    mentor = "  - {id: maria, name: Maria, email: maria@example.org}"
    text = GOOD.replace(mentor, mentor[:-1] + f", network: {network}}}")
    error = error_for(tmp_path, text)
    assert error.key == key
    assert said in str(error) and "constrained-str" not in str(error)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    error = error_for(tmp_path, "sources:\n  - name: a\n   type: x\n")
    assert error.line == 3
    assert "invalid YAML" in str(error)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml", option_models())


def test_cli_exits_2_with_message_on_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(GOOD.replace("per_host: 2", "per_host: 0"), encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(path), "collect"])
    assert result.exit_code == 2
    assert "http.per_host" in result.output
    assert "greater than or equal to 1" in result.output


def test_cli_finds_config_through_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "elsewhere.yaml"
    path.write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv("LEADS_CONFIG", str(path))
    result = CliRunner().invoke(app, ["sources"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "wwr" in result.output


def test_only_the_configured_source_types_are_imported(tmp_path: Path) -> None:
    """A feeds-only config does not import the board parsers (start-up time of cron runs)."""
    path = tmp_path / "config.yaml"
    path.write_text('sources:\n  - {name: a, type: rss, url: "https://example.org/f.rss"}\n')
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from aggregator.core.config import load_config\n"
        "from sources import option_models\n"
        f"load_config(Path({str(path)!r}), option_models())\n"
        "print(sorted(m for m in sys.modules if m.startswith('sources.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    imported = set(ast.literal_eval(result.stdout))
    assert "sources.rss" in imported
    assert not imported & {"sources.greenhouse", "sources.lever", "sources.jsonld"}


ALIAS_BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # Nine aliases of nine aliases...: 470 bytes that once took `leads check` minutes.
        ("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + ALIAS_BOMB,
         "aliases expand this file to 490,329,064 values"),
        ("sources: &a [*a]\n", "an alias refers to a node that contains it"),
        ("mentors: &a {x: *a}\n", "an alias refers to a node that contains it"),
        # libyaml's composer recurses in C: this deep, it crashed the process.
        ("sources: " + "[" * 100_000 + "]" * 100_000, "nests more than 100 levels deep"),
        ("sources: " + "[" * 5_000 + "]" * 5_000, "nests more than 100 levels deep"),
        ("sources:\n" + "- " * 3_000 + "x\n", "nests more than 100 levels deep"),
    ],
)
def test_alias_bombs_and_deep_nesting_are_config_errors(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path, option_models())


def test_add_source_refuses_an_alias_bomb_too(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + ALIAS_BOMB)
    with pytest.raises(ConfigError, match="an alias bomb"):
        append_source(path, {"name": "x", "type": "rss", "url": "https://x.example/"},
                      option_models())


def test_aliases_used_as_intended_still_load(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "sources:\n"
        "  - &feed {name: a, type: rss, url: 'https://a.example/feed'}\n"
        "  - {<<: *feed, name: b}\n",
        encoding="utf-8",
    )
    assert [s.name for s in load_config(path, option_models()).sources] == ["a", "b"]


def smtp(host: str, security: str, secret: object) -> str:
    """The GOOD config sending through ``host`` with a login whose password is a file."""
    return GOOD + (
        f"delivery:\n  method: smtp\n  smtp:\n    host: {host}\n    security: {security}\n"
        f"    from: a@example.org\n    username: digests\n    password: ${{file:{secret}}}\n"
    )


def test_a_password_can_come_from_a_secret_file(tmp_path: Path) -> None:
    (tmp_path / "smtp").write_text("s3cret pass\n", encoding="utf-8")
    config = load(tmp_path, smtp("smtp.example.org", "starttls", "smtp"))
    assert config.delivery.smtp is not None
    assert config.delivery.smtp.password == "s3cret pass"  # without the final line break
    absolute = load(tmp_path, smtp("smtp.example.org", "ssl", tmp_path / "smtp"))
    assert absolute.delivery.smtp is not None and absolute.delivery.smtp.password == "s3cret pass"


def test_a_missing_secret_file_is_a_clear_error(tmp_path: Path) -> None:
    error = error_for(tmp_path, smtp("smtp.example.org", "starttls", "/run/secrets/nope"))
    assert error.key == "delivery.smtp.password"
    assert "cannot read the secret file '/run/secrets/nope' (No such file or directory)" in str(
        error
    )


@pytest.mark.parametrize("host", ["smtp.example.org", "10.0.0.1", "127.0.0.1.example.org"])
def test_a_login_in_clear_to_another_host_is_refused(tmp_path: Path, host: str) -> None:
    (tmp_path / "smtp").write_text("pw", encoding="utf-8")
    error = error_for(tmp_path, smtp(host, "none", "smtp"))
    assert error.key == "delivery.smtp"
    assert f"security: none would send the password for 'digests' in clear to {host}" in str(
        error
    )
    assert "pw" not in str(error).replace("password", "")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.0.0.9", "'[::1]'"])
def test_a_login_in_clear_to_this_machine_is_allowed(tmp_path: Path, host: str) -> None:
    (tmp_path / "smtp").write_text("pw", encoding="utf-8")
    config = load(tmp_path, smtp(host, "none", "smtp"))
    assert config.delivery.smtp is not None and config.delivery.smtp.security == "none"
