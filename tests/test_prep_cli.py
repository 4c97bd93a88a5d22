"""`leads prep MENTEE LEAD` end to end: a recorded We Work Remotely feed served on 127.0.0.1,
collected and matched into real SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from recordings import still_listed_fixtures
from typer.testing import CliRunner, Result

from aggregator.cli import app
from aggregator.core.models import NEXT_STEPS_QUESTION
from aggregator.loopback import serve_directory

CONFIG = """\
http: {{retries: 0}}
matching: {{max_age_days: null}}  # the recording is from 2022
sources:
  - {{name: wwr-sales, type: rss, url: "{base}rss/wwr_2022-11/remote-sales-and-marketing-jobs.rss"}}
mentors:
  - {{id: maria, name: Maria Okafor, email: maria@example.org}}
mentees:
  - name: Priya Nair
    email: priya@example.org
    mentor: maria
    skills: [google ads, seo, copywriting]
    roles: [marketing manager, paid media analyst]
"""


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("prep")
    with serve_directory(still_listed_fixtures()) as base:
        path = folder / "config.yaml"
        path.write_text(CONFIG.format(base=base), encoding="utf-8")
        assert leads(path, "collect").exit_code == 0
        assert leads(path, "match").exit_code == 0
        yield path


def leads(config: Path, *args: str) -> Result:
    runner = CliRunner(env={"COLUMNS": "250"})
    return runner.invoke(app, ["--config", str(config), *args], catch_exceptions=False)


def best_lead(config: Path) -> dict[str, object]:
    output = leads(config, "matches", "--format", "jsonl").output
    return json.loads(output.splitlines()[0])


def test_json_sheet_has_the_contract_shape_and_cites_the_posting(config: Path) -> None:
    lead = best_lead(config)

    result = leads(config, "prep", "priya-nair", str(lead["lead"]), "--format", "json")

    assert result.exit_code == 0, result.output
    sheet = json.loads(result.output)
    assert list(sheet) == ["mentee", "lead", "asked", "brush_up", "to_ask"]
    assert sheet["mentee"] == "priya-nair" and sheet["lead"] == lead["lead"]
    assert 4 <= len(sheet["asked"]) <= 8
    assert all(item["from"] for item in sheet["asked"])
    assert [item["skill"] for item in sheet["brush_up"]] == lead["gaps"][:5]
    assert sheet["to_ask"][-1] == NEXT_STEPS_QUESTION


def test_text_and_markdown_show_the_three_parts(config: Path) -> None:
    lead = str(best_lead(config)["lead"])

    text = leads(config, "prep", "priya-nair", lead).output
    markdown = leads(config, "prep", "priya-nair", lead, "--format", "markdown").output

    assert "What they will likely ask:" in text and "from the posting: “" in text
    assert "Questions to ask them:" in text and NEXT_STEPS_QUESTION in text
    assert markdown.startswith("# Interview prep: ")
    assert "## What they will likely ask" in markdown


def test_unknown_lead_or_mentee_is_a_usage_error(config: Path) -> None:
    lead = str(best_lead(config)["lead"])

    missing_lead = leads(config, "prep", "priya-nair", "999999")
    missing_mentee = leads(config, "prep", "priya-nai", lead)

    assert missing_lead.exit_code == 2 and "no lead 999999" in missing_lead.output
    assert missing_mentee.exit_code == 2  # as `leads matches` says it, not as a config fault
    assert missing_mentee.output.startswith(
        "error: no mentee with id 'priya-nai' (did you mean 'priya-nair'?)"
    )


def test_a_closed_or_unmatched_lead_is_said_so_and_the_sheet_still_made(config: Path) -> None:
    """Seen: `leads prep` for a job whose applications had closed, or for a lead the mentee
    was never matched to, said nothing of either. Said on stderr: stdout is the sheet."""
    postings = leads(config, "postings", "--format", "jsonl").output.splitlines()
    closed = next(p for p in map(json.loads, postings) if p["closes_at"])
    matched = {
        json.loads(line)["lead"]
        for line in leads(config, "matches", "--format", "jsonl").output.splitlines()
    }
    assert closed["closes_at"] < "2023" and closed["lead_id"] not in matched

    result = leads(config, "prep", "priya-nair", str(closed["lead_id"]), "--format", "json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["lead"] == closed["lead_id"]  # the sheet, as ever
    assert " ".join(result.stderr.split()) == (
        f"Applications to this job closed on {closed['closes_at'][:10]}: the sheet is still "
        f"useful for an interview. Lead {closed['lead_id']} is not matched to priya-nair: the "
        "sheet is still made, what to brush up on worked out from their profile (`leads "
        "matches --mentee priya-nair` lists their matches)."
    )
    best = leads(config, "prep", "priya-nair", str(best_lead(config)["lead"]))
    assert best.stderr == "" and best.stdout.startswith("Interview prep: ")
