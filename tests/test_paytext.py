"""Pay ranges read out of free text, as Remotive's salary field and HN posts state them."""

from __future__ import annotations

import pytest

from aggregator.core.models import Salary
from sources.paytext import parse_pay, stated_pay

USD, EUR = "USD", "EUR"


@pytest.mark.parametrize(
    ("text", "minimum", "maximum", "currency", "period"),
    [
        # Remotive's salary field, as recorded
        ("$80k - $100k", 80_000, 100_000, USD, "year"),
        ("up to $19/hour", None, 19, USD, "hour"),
        ("€80k-€110k", 80_000, 110_000, EUR, "year"),
        ("$31,2k- $52k", 31_200, 52_000, USD, "year"),  # a decimal comma
        ("OTE $25k - $35k", 25_000, 35_000, USD, "year"),
        ("$50-$75 /hour", 50, 75, USD, "hour"),
        ("$18 - $22/hr", 18, 22, USD, "hour"),
        ("$45,000 - $50,000", 45_000, 50_000, USD, "year"),
        ("$14/hr", 14, None, USD, "hour"),
        # HN headers
        ("$170-225K + equity", 170_000, 225_000, USD, "year"),
        ("150-250k+ + equity + benefits", 150_000, 250_000, None, "year"),
        ("€60-100k", 60_000, 100_000, EUR, "year"),
        ("$260K - $300K + 0.3-0.41% Equity", 260_000, 300_000, USD, "year"),
        ("$178,500 - $320,000 USD + equity", 178_500, 320_000, USD, "year"),
        ("€ 55-72k", 55_000, 72_000, EUR, "year"),
        ("C$60-80k", 60_000, 80_000, "CAD", "year"),
        ("£75k-£140k", 75_000, 140_000, "GBP", "year"),
        ("120k-150k EUR", 120_000, 150_000, EUR, "year"),
        ("CHF 120k - 150k", 120_000, 150_000, "CHF", "year"),
        ("150k+", 150_000, None, None, "year"),
        ("$8k contract → 5% equity", 8_000, None, USD, None),  # too small to be a year's pay
    ],
)
def test_pay_ranges_are_read(
    text: str, minimum: float | None, maximum: float | None, currency: str | None, period: str
) -> None:
    assert parse_pay(text) == Salary(minimum, maximum, currency, period, text)


@pytest.mark.parametrize(
    "text",
    ["5-20% equity", "16M Funding", "$1B+ exits", "Series B", "UTC+12", "GMT-3 to GMT+4",
     "3+ YoE", "2-3x per week", "Competitive", "", "Remote (US)"],
)  # fmt: skip
def test_numbers_that_are_not_pay_are_ignored(text: str) -> None:
    assert parse_pay(text) is None


def test_a_salary_field_without_an_amount_keeps_its_wording() -> None:
    assert stated_pay("Competitive  salary") == Salary(text="Competitive salary")
    assert stated_pay("") is None
