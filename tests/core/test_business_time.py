"""Business time on calendars: exact cases, then thousands of random ones against brute force."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicedesk.core.business_time import (
    CalendarSnapshot,
    add_business_time,
    business_time_between,
)

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"
LORD_HOWE = "Australia/Lord_Howe"  # the clocks move by 30 minutes
MINUTE = timedelta(minutes=1)
H = timedelta(hours=1)


def at(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def every_day(zone: str, start: time = time(0), end: time = time(0)) -> CalendarSnapshot:
    return CalendarSnapshot.build(zone, [(day, start, end) for day in range(7)])


OFFICE = CalendarSnapshot.build(
    PARIS,
    [
        (day, start, end)
        for day in range(5)
        for start, end in ((time(9), time(12, 30)), (time(13, 30), time(18)))
    ],
    holidays=[date(2026, 12, 25), date(2027, 1, 1)],
)


# --- exact cases --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        (PARIS, date(2026, 3, 29), timedelta(hours=23)),
        (PARIS, date(2026, 10, 25), timedelta(hours=25)),
        (PARIS, date(2026, 6, 1), timedelta(hours=24)),
        (NEW_YORK, date(2026, 3, 8), timedelta(hours=23)),
        (NEW_YORK, date(2026, 11, 1), timedelta(hours=25)),
        (LORD_HOWE, date(2026, 10, 4), timedelta(hours=23, minutes=30)),
        (LORD_HOWE, date(2026, 4, 5), timedelta(hours=24, minutes=30)),
    ],
)
def test_a_whole_day_lasts_as_long_as_the_clocks_say(zone, day, expected):
    calendar = every_day(zone)
    start = datetime.combine(day, time(), ZoneInfo(zone))
    end = datetime.combine(day + timedelta(days=1), time(), ZoneInfo(zone))
    assert business_time_between(calendar, start, end) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # 02:00–03:00 does not exist in Paris on 2026-03-29.
        (time(2), time(3), timedelta(0)),
        (time(1, 30), time(3, 30), timedelta(hours=1)),
        (time(2, 30), time(4), timedelta(hours=1)),
    ],
)
def test_a_span_in_the_spring_gap_counts_only_the_time_that_exists(start, end, expected):
    calendar = CalendarSnapshot.build(PARIS, [(6, start, end)])
    day_start, day_end = at(PARIS, 2026, 3, 29), at(PARIS, 2026, 3, 30)
    assert business_time_between(calendar, day_start, day_end) == expected


def test_a_span_in_the_autumn_fold_is_worked_twice():
    calendar = CalendarSnapshot.build(PARIS, [(6, time(1, 30), time(2, 30))])
    assert business_time_between(calendar, utc(2026, 10, 24), utc(2026, 10, 26)) == timedelta(
        hours=1, minutes=30
    )
    # 01:30–02:30 CEST, then the clocks go back and 02:00–02:30 CET comes again.
    assert add_business_time(calendar, utc(2026, 10, 24), timedelta(hours=1)) == utc(
        2026, 10, 25, 0, 30
    )
    assert add_business_time(calendar, utc(2026, 10, 24), timedelta(minutes=61)) == utc(
        2026, 10, 25, 1, 1
    )


def test_adding_skips_nights_weekends_and_holidays():
    # Thursday 24 December 17:30 Paris; Friday is Christmas, then a weekend.
    start = at(PARIS, 2026, 12, 24, 17, 30)
    assert add_business_time(OFFICE, start, timedelta(hours=1)) == at(PARIS, 2026, 12, 28, 9, 30)
    assert add_business_time(OFFICE, start, timedelta(hours=4)) == at(PARIS, 2026, 12, 28, 12, 30)
    # Monday to Thursday hold 32 hours; New Year's Day is off too.
    assert add_business_time(OFFICE, start, timedelta(hours=34)) == at(PARIS, 2027, 1, 4, 10, 30)


def test_adding_ends_at_the_end_of_a_span_not_at_the_start_of_the_next():
    monday = at(PARIS, 2026, 6, 1, 9)
    assert add_business_time(OFFICE, monday, timedelta(hours=3, minutes=30)) == at(
        PARIS, 2026, 6, 1, 12, 30
    )
    assert add_business_time(OFFICE, monday, timedelta(hours=8)) == at(PARIS, 2026, 6, 1, 18)


def test_adding_from_outside_working_hours_starts_at_the_next_span():
    saturday = at(PARIS, 2026, 6, 6, 10)
    assert add_business_time(OFFICE, saturday, timedelta(hours=1)) == at(PARIS, 2026, 6, 8, 10)
    lunch = at(PARIS, 2026, 6, 8, 12, 45)
    assert add_business_time(OFFICE, lunch, timedelta(minutes=30)) == at(PARIS, 2026, 6, 8, 14)


def test_adding_nothing_is_the_start_itself_even_outside_working_hours():
    saturday = at(PARIS, 2026, 6, 6, 10)
    assert add_business_time(OFFICE, saturday, timedelta(0)) == saturday
    assert add_business_time(OFFICE, saturday, timedelta(0)).tzinfo == UTC


def test_spans_ending_at_midnight_join_the_next_day():
    night_shift = CalendarSnapshot.build(
        "UTC", [(0, time(22), time(0)), (1, time(0), time(6)), (1, time(22), time(0))]
    )
    monday_23 = utc(2026, 6, 1, 23)
    assert add_business_time(night_shift, monday_23, timedelta(hours=2)) == utc(2026, 6, 2, 1)
    assert add_business_time(night_shift, monday_23, timedelta(hours=7)) == utc(2026, 6, 2, 6)
    assert add_business_time(night_shift, monday_23, timedelta(hours=8)) == utc(2026, 6, 2, 23)
    assert business_time_between(night_shift, utc(2026, 6, 1), utc(2026, 6, 3)) == timedelta(
        hours=10
    )


def test_a_holiday_takes_out_the_whole_local_day_in_the_calendars_zone():
    calendar = CalendarSnapshot.build(
        NEW_YORK, [(day, time(0), time(0)) for day in range(7)], holidays=[date(2026, 7, 4)]
    )
    # 4 July in New York is 04:00 UTC on the 4th to 04:00 UTC on the 5th.
    assert business_time_between(calendar, utc(2026, 7, 4), utc(2026, 7, 5, 12)) == timedelta(
        hours=12
    )


def test_overlapping_spans_count_once():
    calendar = CalendarSnapshot.build(
        "UTC", [(0, time(9), time(12)), (0, time(11), time(14)), (0, time(14), time(15))]
    )
    assert calendar.spans[0] == ((9 * H, 15 * H),)
    assert business_time_between(calendar, utc(2026, 6, 1), utc(2026, 6, 2)) == 6 * H


def test_measuring_backwards_is_negative():
    start, end = at(PARIS, 2026, 6, 1, 9), at(PARIS, 2026, 6, 2, 10)
    assert business_time_between(OFFICE, start, end) == timedelta(hours=9)
    assert business_time_between(OFFICE, end, start) == -timedelta(hours=9)


def test_a_calendar_without_working_hours_cannot_be_added_to():
    empty = CalendarSnapshot.build("UTC", [])
    with pytest.raises(ValueError, match="no working hours"):
        add_business_time(empty, utc(2026, 1, 1), H)
    assert business_time_between(empty, utc(2026, 1, 1), utc(2026, 2, 1)) == timedelta(0)


def test_naive_datetimes_and_negative_amounts_are_refused():
    with pytest.raises(ValueError, match="aware"):
        add_business_time(OFFICE, datetime(2026, 1, 1), H)
    with pytest.raises(ValueError, match="positive"):
        add_business_time(OFFICE, utc(2026, 1, 1), -H)


def test_a_span_must_lie_within_one_day():
    with pytest.raises(ValueError, match="within one day"):
        CalendarSnapshot.build("UTC", [(0, time(18), time(9))])
    with pytest.raises(ValueError, match="within one day"):
        CalendarSnapshot.build("UTC", [(0, time(0), time(0)), (1, time(9), time(9))])


# --- the brute-force reference -------------------------------------------------------------

ZONES = (PARIS, NEW_YORK, LORD_HOWE)
# Whole minutes of the day, 1440 being midnight at the end of it.
Rows = list[tuple[int, int, int]]


def transitions(zone: str) -> list[datetime]:
    """The instants of 2026 at which the zone's UTC offset changes (to the hour: all are on it)."""
    tz = ZoneInfo(zone)
    found, instant = [], utc(2026, 1, 1)
    previous = instant.astimezone(tz).utcoffset()
    while instant.year == 2026:
        instant += timedelta(minutes=30)
        offset = instant.astimezone(tz).utcoffset()
        if offset != previous:
            found.append(instant)
        previous = offset
    return found


ANCHORS = {zone: transitions(zone) for zone in ZONES}


def reference_is_working(
    zone: ZoneInfo, rows: Rows, holidays: set[date], instant: datetime
) -> bool:
    """Is the minute starting at ``instant`` working time? Straight from the definition."""
    local = instant.astimezone(zone)
    if local.date() in holidays:
        return False
    minute = local.hour * 60 + local.minute
    return any(day == local.weekday() and start <= minute < end for day, start, end in rows)


def reference_between(zone: str, rows: Rows, holidays: set[date], start, end) -> timedelta:
    """Working minutes in ``[start, end)``, counted one by one."""
    tz, count, instant = ZoneInfo(zone), 0, start
    while instant < end:
        count += reference_is_working(tz, rows, holidays, instant)
        instant += MINUTE
    return count * MINUTE


def reference_add(zone: str, rows: Rows, holidays: set[date], start, minutes: int, limit):
    """The end of the ``minutes``-th working minute from ``start``; None if past ``limit``."""
    if minutes == 0:
        return start
    tz, count, instant = ZoneInfo(zone), 0, start
    while instant < limit:
        count += reference_is_working(tz, rows, holidays, instant)
        instant += MINUTE
        if count == minutes:
            return instant
    return None


def snapshot(zone: str, rows: Rows, holidays: set[date]) -> CalendarSnapshot:
    """The calendar under test, built from the rows as the model stores them (24:00 as 00:00)."""

    def as_time(minute: int) -> time:
        return time(0) if minute == 1440 else time(minute // 60, minute % 60)

    return CalendarSnapshot.build(
        zone, [(day, as_time(s), as_time(e)) for day, s, e in rows], holidays
    )


# Span edges around the hours the clocks change at, plus anywhere in the day.
EDGE_MINUTES = [0, 60, 90, 120, 150, 180, 210, 1380, 1410, 1440]
edge = st.one_of(st.sampled_from(EDGE_MINUTES), st.integers(0, 1440))


@st.composite
def span(draw) -> tuple[int, int, int]:
    a, b = draw(edge), draw(edge)
    if a == b:
        b = a + 1 if a < 1440 else a - 1
    return draw(st.integers(0, 6)), min(a, b), max(a, b)


@st.composite
def case(draw) -> tuple:
    """A zone, working hours, holidays near a clock change and a start near it too."""
    zone = draw(st.sampled_from(ZONES))
    rows = draw(st.lists(span(), min_size=1, max_size=9))
    anchor = draw(st.sampled_from(ANCHORS[zone]))
    local_day = anchor.astimezone(ZoneInfo(zone)).date()
    holidays = set(
        draw(st.lists(st.integers(-3, 3).map(lambda d: local_day + timedelta(days=d)), max_size=3))
    )
    start = anchor + draw(st.integers(-3 * 1440, 1440)) * MINUTE
    return zone, rows, holidays, start


PROPERTY = settings(
    max_examples=700, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


@PROPERTY
@given(case(), st.integers(0, 4 * 1440))
def test_measuring_agrees_with_counting_minute_by_minute(example, length):
    zone, rows, holidays, start = example
    end = start + length * MINUTE
    expected = reference_between(zone, rows, holidays, start, end)
    assert business_time_between(snapshot(zone, rows, holidays), start, end) == expected


@PROPERTY
@given(case(), st.integers(0, 2400))
def test_adding_agrees_with_counting_minute_by_minute(example, minutes):
    zone, rows, holidays, start = example
    limit = start + timedelta(days=5)
    calendar = snapshot(zone, rows, holidays)
    expected = reference_add(zone, rows, holidays, start, minutes, limit)
    result = add_business_time(calendar, start, minutes * MINUTE)
    if expected is None:  # further away than the reference counts: at least it is past there
        assert result > limit
        assert business_time_between(calendar, start, limit) < minutes * MINUTE
    else:
        assert result == expected


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(case(), st.integers(1, 3000), st.integers(0, 3000))
def test_adding_in_two_steps_is_adding_once_and_measures_back(example, first, second):
    zone, rows, holidays, start = example
    calendar = snapshot(zone, rows, holidays)
    # Within a few weeks of the calendar's hours, however few it has.
    weekly = sum((end - start for day in calendar.spans for start, end in day), timedelta(0))
    first = 1 + first % (4 * weekly // MINUTE)
    second %= 4 * weekly // MINUTE
    middle = add_business_time(calendar, start, first * MINUTE)
    end = add_business_time(calendar, middle, second * MINUTE)
    assert add_business_time(calendar, start, (first + second) * MINUTE) == end
    assert business_time_between(calendar, start, end) == (first + second) * MINUTE
