"""Schedule expressions: parsing, APScheduler triggers, crontab fields and descriptions."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from aggregator.core.schedule_expressions import (
    CronFields,
    Schedule,
    check_timezone,
    parse_schedule,
)

BERLIN = ZoneInfo("Europe/Berlin")


def cron(minute: str, hour: str, day: str, month: str, day_of_week: str) -> CronFields:
    return CronFields(minute, hour, day, month, day_of_week)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0 7 * * mon", cron("0", "7", "*", "*", "mon")),
        ("*/15 9-17 * jan-mar 1-5", cron("*/15", "9-17", "*", "1-3", "mon,tue,wed,thu,fri")),
        ("0,30 8 1-10/3 6,dec *", cron("0,30", "8", "1-10/3", "6,12", "*")),
        ("0 7 * * 0", cron("0", "7", "*", "*", "sun")),  # crontab: 0 is Sunday ...
        ("0 7 * * 7", cron("0", "7", "*", "*", "sun")),  # ... and so is 7
        ("0 7 * * */2", cron("0", "7", "*", "*", "tue,thu,sat,sun")),  # 0,2,4,6 from Sunday
        ("0 7 * * 1-7", cron("0", "7", "*", "*", "*")),
        ("hourly", cron("0", "*", "*", "*", "*")),
        ("hourly :15", cron("15", "*", "*", "*", "*")),
        ("daily 07:00", cron("0", "7", "*", "*", "*")),
        ("weekdays 08:30", cron("30", "8", "*", "*", "mon,tue,wed,thu,fri")),
        ("weekly mon 07:00", cron("0", "7", "*", "*", "mon")),
        ("weekly monday 7:00", cron("0", "7", "*", "*", "mon")),
        ("weekly thu,mon 07:00", cron("0", "7", "*", "*", "mon,thu")),
        ("weekly mon, thurs 07:05", cron("5", "7", "*", "*", "mon,thu")),
        ("monthly 1 09:00", cron("0", "9", "1", "*", "*")),
        ("  WEEKLY   Sun   23:59 ", cron("59", "23", "*", "*", "sun")),
        ("0 7 * * MON", cron("0", "7", "*", "*", "mon")),
    ],
)
def test_cron_forms_parse_to_cron_fields(text: str, expected: CronFields) -> None:
    schedule = parse_schedule(text)
    assert schedule == Schedule(text, cron=expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("every 3h", timedelta(hours=3)),
        ("every 90m", timedelta(minutes=90)),
        ("every 1d", timedelta(days=1)),
        ("every 3 hours", timedelta(hours=3)),
        ("every 1 hour", timedelta(hours=1)),
        ("every 30 minutes", timedelta(minutes=30)),
        ("Every 2 Days", timedelta(days=2)),
    ],
)
def test_interval_forms_parse_to_timedeltas(text: str, expected: timedelta) -> None:
    assert parse_schedule(text) == Schedule(text, interval=expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("weekly funday 07:00", "unknown weekday 'funday'"),
        ("daily 25:00", "hour 25 is outside 0-23"),
        ("daily 07:60", "minute 60 is outside 0-59"),
        ("daily", "needs one time such as 07:00, got nothing"),
        ("every 0h", "an interval of 0 never fires"),
        ("every 3 weeks", "'every' needs a number and a unit"),
        ("every 99999999999999999999d", "too long an interval"),
        ("0 7 * *", "a cron expression has 5 fields"),
        ("0 0 7 * * mon", "a cron expression has 5 fields"),
        ("", "the schedule is empty"),
        ("   ", "the schedule is empty"),
        ("fortnightly 07:00", "'fortnightly' is neither a schedule keyword nor a cron field"),
        ("hourly 15", "'hourly' takes nothing or a minute"),
        ("hourly :75", "minute 75 is outside 0-59"),
        ("0 ² * * *", "hour '²' is not a number"),
        ("weekly 07:00", "'weekly' needs weekdays and a time"),
        ("monthly 32 09:00", "day of month 32 is outside 1-31"),
        ("0 7 * * 5-1", "weekday range '5-1' runs backwards"),
        ("0 7 * * */0", "step in '*/0' must be a whole number of 1 or more"),
        ("5/10 7 * * *", "needs a range or '*' before the '/'"),
        ("0 7 * foo *", "month 'foo' is not a number or a name"),
        ("0 7 1,,2 * *", "day of month '' is not a number"),
        # crontab runs these when either field matches, APScheduler when both do
        ("0 7 1 * mon", "restrict the day of month or the weekday, not both"),
        ("0 7 1 * 1-7", "restrict the day of month or the weekday, not both"),
    ],
)
def test_invalid_schedules_explain_and_list_accepted_forms(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_schedule(text)
    message = str(caught.value)
    assert reason in message
    for example in ("'0 7 * * mon'", "'weekly mon 07:00'", "'daily 07:00'", "'every 3h'"):
        assert example in message


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("0 7 * * mon", "0 7 * * 1"),
        ("weekdays 08:30", "30 8 * * 1-5"),
        ("weekly sat,sun 10:00", "0 10 * * 0,6"),
        ("weekly mon,wed,thu,fri 10:00", "0 10 * * 1,3-5"),
        ("0 7 * * */2", "0 7 * * 0,2,4,6"),
        ("*/15 9-17 * jan-mar *", "*/15 9-17 * 1-3 *"),
        ("monthly 1 09:00", "0 9 1 * *"),
        ("hourly :15", "15 * * * *"),
        ("every 3h", "0 */3 * * *"),
        ("every 1h", "0 * * * *"),
        ("every 60m", "0 * * * *"),
        ("every 120m", "0 */2 * * *"),
        ("every 24h", "0 0 * * *"),
        ("every 1d", "0 0 * * *"),
        ("every 30m", "*/30 * * * *"),
        ("every 1m", "* * * * *"),
    ],
)
def test_crontab_fields(text: str, fields: str) -> None:
    assert parse_schedule(text).crontab_fields() == fields


@pytest.mark.parametrize(
    "text", ["0 7 * * mon", "weekdays 08:30", "weekly sat,sun 10:00", "0 7 * * */2", "daily 07:00"]
)
def test_crontab_fields_round_trip(text: str) -> None:
    schedule = parse_schedule(text)
    assert parse_schedule(schedule.crontab_fields()).cron == schedule.cron


@pytest.mark.parametrize("text", ["every 90m", "every 7h", "every 2d", "every 25h"])
def test_intervals_without_a_crontab_step_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="has no crontab equivalent"):
        parse_schedule(text).crontab_fields()


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("weekly mon 07:00", "every Monday at 07:00"),
        ("0 7 * * mon", "every Monday at 07:00"),
        ("weekly mon,thu 07:00", "every Monday and Thursday at 07:00"),
        ("weekly fri,mon,wed 18:05", "every Monday, Wednesday and Friday at 18:05"),
        ("weekdays 08:30", "every weekday (Monday to Friday) at 08:30"),
        ("daily 7:00", "every day at 07:00"),
        ("monthly 15 09:00", "on day 15 of every month at 09:00"),
        ("hourly", "every hour on the hour"),
        ("hourly :15", "every hour at minute 15"),
        ("every 3h", "every 3 hours"),
        ("every 1h", "every hour"),
        ("every 90m", "every 90 minutes"),
        ("every 1m", "every minute"),
        ("every 120m", "every 2 hours"),
        ("every 1d", "every day"),
        ("every 2 days", "every 2 days"),
        ("*/15 9-17 * * mon-fri", "on the cron schedule '*/15 9-17 * * 1-5'"),
    ],
)
def test_describe(text: str, description: str) -> None:
    assert parse_schedule(text).describe() == description


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def offsets(times: list[datetime]) -> list[str]:
    return [time.isoformat() for time in times]


def test_next_fire_times_weekly() -> None:
    schedule = parse_schedule("weekly mon,thu 07:00")
    times = schedule.next_fire_times(berlin(2025, 1, 1, 12), 3, "Europe/Berlin")
    assert times == [berlin(2025, 1, 2, 7), berlin(2025, 1, 6, 7), berlin(2025, 1, 9, 7)]


def test_next_fire_times_are_strictly_after() -> None:
    schedule = parse_schedule("daily 07:00")
    times = schedule.next_fire_times(berlin(2025, 1, 2, 7), 1, BERLIN)
    assert times == [berlin(2025, 1, 3, 7)]


def test_next_fire_times_converts_to_the_given_zone() -> None:
    schedule = parse_schedule("daily 07:00")
    after = datetime(2025, 1, 2, 0, tzinfo=ZoneInfo("UTC"))
    [fire] = schedule.next_fire_times(after, 1, "America/New_York")
    assert fire.isoformat() == "2025-01-02T07:00:00-05:00"


def test_crontab_weekday_numbers_fire_on_the_crontab_day() -> None:
    # APScheduler 3.x counts 0 as Monday; a crontab 0 must still mean Sunday.
    [fire] = parse_schedule("0 7 * * 0").next_fire_times(berlin(2025, 1, 6, 12), 1, BERLIN)
    assert fire == berlin(2025, 1, 12, 7)
    assert fire.strftime("%A") == "Sunday"


def test_spring_forward_fires_the_skipped_time_an_hour_later() -> None:
    # 2025-03-30: Berlin clocks jump from 02:00 to 03:00, so 02:30 does not exist that day.
    schedule = parse_schedule("weekly sun 02:30")
    times = schedule.next_fire_times(berlin(2025, 3, 29, 12), 3, "Europe/Berlin")
    assert offsets(times) == [
        "2025-03-30T03:30:00+02:00",
        "2025-04-06T02:30:00+02:00",
        "2025-04-13T02:30:00+02:00",
    ]


def test_fall_back_fires_a_repeated_time_once_per_offset() -> None:
    # 2025-10-26: Berlin clocks go back from 03:00 to 02:00, so 02:30 happens twice.
    # APScheduler 3.x fires both; this pins the behaviour the module docstring describes.
    schedule = parse_schedule("daily 02:30")
    times = schedule.next_fire_times(berlin(2025, 10, 25, 12), 4, "Europe/Berlin")
    assert offsets(times) == [
        "2025-10-26T02:30:00+02:00",
        "2025-10-26T02:30:00+01:00",
        "2025-10-27T02:30:00+01:00",
        "2025-10-28T02:30:00+01:00",
    ]


def test_daily_keeps_wall_time_across_dst_while_an_interval_keeps_elapsed_time() -> None:
    after = berlin(2025, 3, 29, 7)
    daily = parse_schedule("daily 07:00").next_fire_times(after, 2, BERLIN)
    every_day = parse_schedule("every 1d").next_fire_times(after, 2, BERLIN)
    assert offsets(daily) == ["2025-03-30T07:00:00+02:00", "2025-03-31T07:00:00+02:00"]
    assert offsets(every_day) == ["2025-03-30T08:00:00+02:00", "2025-03-31T08:00:00+02:00"]


def test_interval_counts_from_after_across_spring_forward() -> None:
    times = parse_schedule("every 3h").next_fire_times(berlin(2025, 3, 29, 22), 3, BERLIN)
    assert offsets(times) == [
        "2025-03-30T01:00:00+01:00",
        "2025-03-30T05:00:00+02:00",
        "2025-03-30T08:00:00+02:00",
    ]


def test_next_fire_times_needs_an_aware_datetime() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        parse_schedule("daily 07:00").next_fire_times(datetime(2025, 1, 1), 1, BERLIN)


def test_cron_trigger_carries_zone_and_jitter() -> None:
    trigger = parse_schedule("weekly mon 07:00").trigger("Europe/Berlin", jitter=300)
    assert isinstance(trigger, CronTrigger)
    assert trigger.timezone == BERLIN
    assert trigger.jitter == 300
    assert trigger.get_next_fire_time(None, berlin(2025, 1, 1)) is not None


def test_cron_trigger_without_jitter_fires_on_the_schedule() -> None:
    trigger = parse_schedule("weekly mon 07:00").trigger(BERLIN)
    assert trigger.get_next_fire_time(None, berlin(2025, 1, 1)) == berlin(2025, 1, 6, 7)


def test_interval_trigger_starts_at_start() -> None:
    start = berlin(2025, 1, 1, 9)
    trigger = parse_schedule("every 90m").trigger(BERLIN, start=start)
    assert isinstance(trigger, IntervalTrigger)
    assert trigger.interval == timedelta(minutes=90)
    assert trigger.get_next_fire_time(start, start) == berlin(2025, 1, 1, 10, 30)


def test_trigger_rejects_bad_zone_and_negative_jitter() -> None:
    schedule = parse_schedule("every 3h")
    with pytest.raises(ValueError, match="Europe/Berlin"):
        schedule.trigger("Berlin")
    with pytest.raises(ValueError, match="jitter"):
        schedule.trigger(BERLIN, jitter=-1)


def test_check_timezone_accepts_iana_names() -> None:
    assert check_timezone("Europe/Berlin") == BERLIN
    assert check_timezone("UTC") == ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("europe/berlin", "(did you mean Europe/Berlin?)"),
        ("Europe/Berlim", "(did you mean Europe/Berlin?)"),
        ("Mars/Olympus_Mons", ""),
        ("", ""),
        ("../etc/passwd", ""),
        ("localtime", ""),  # loads on Linux, but means whatever the machine is set to
    ],
)
def test_check_timezone_rejects_other_names_with_a_hint(name: str, suggestion: str) -> None:
    with pytest.raises(ValueError) as caught:
        check_timezone(name)
    message = str(caught.value)
    assert f"{name!r} is not an IANA time zone name" in message
    assert suggestion in message
    assert "such as Europe/Berlin" in message


def test_schedule_is_cron_or_interval() -> None:
    with pytest.raises(ValueError, match="either cron fields or an interval"):
        Schedule("x")
    with pytest.raises(ValueError, match="positive number of minutes"):
        Schedule("x", interval=timedelta(seconds=30))


def test_importing_the_module_does_not_import_apscheduler() -> None:
    code = "import sys, aggregator.core.schedule_expressions; print('apscheduler' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
