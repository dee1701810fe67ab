"""Business time: add working time to an instant and measure it between two, DST-correct.

Pure functions on a ``CalendarSnapshot`` (plain data), so they need no database.

An instant is working time when its wall-clock time in the calendar's zone falls
in one of the working spans of that local date's weekday and the date is not a
holiday. Spans are half-open, ``[start, end)``, and end at the latest at midnight
at the end of the day. So a span counts the real time that passes while the
clocks show it: 00:00–24:00 lasts 23 hours on the day the clocks go forward and
25 hours on the day they go back (the repeated hour is worked twice).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ZERO = timedelta(0)
DAY = timedelta(days=1)
MICROSECOND = timedelta(microseconds=1)
# UTC offsets are looked at this often; time zones change offset months apart, never twice
# within a few hours, so every change is found (then pinned to the microsecond).
PROBE = timedelta(hours=3)
# The longest stretch of constant offset handed out at once.
SEGMENT = timedelta(days=7)
# Adding business time gives up past this horizon (a calendar of nothing but holidays).
HORIZON = timedelta(days=366 * 50)

Span = tuple[timedelta, timedelta]


def time_offset(value: time, *, end: bool = False) -> timedelta:
    """A time of day as an offset from midnight; as an ``end``, 00:00 is midnight at day's end."""
    offset = timedelta(
        hours=value.hour, minutes=value.minute, seconds=value.second, microseconds=value.microsecond
    )
    return DAY if end and offset == ZERO else offset


def merge_spans(spans: Iterable[Span]) -> tuple[Span, ...]:
    """Sorted, disjoint spans covering the same time as ``spans`` (overlaps and touches joined)."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


@dataclass(frozen=True)
class CalendarSnapshot:
    """A business calendar as plain data: a time zone, spans per weekday and holidays."""

    timezone: str
    # Seven entries, Monday first: sorted, disjoint (start, end) offsets from local midnight.
    spans: tuple[tuple[Span, ...], ...]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # fails early on an unknown zone
        if len(self.spans) != 7:
            raise ValueError("A calendar has spans for exactly seven weekdays.")
        for day in self.spans:
            for start, end in day:
                if not ZERO <= start < end <= DAY:
                    raise ValueError(f"A span must lie within one day: {start}–{end}.")

    @classmethod
    def build(
        cls,
        timezone: str,
        working_hours: Iterable[tuple[int, time, time]],
        holidays: Iterable[date] = (),
    ) -> CalendarSnapshot:
        """A snapshot from (weekday, start, end) rows; an end of 00:00 is the next midnight."""
        per_day: list[list[Span]] = [[] for _ in range(7)]
        for weekday, start, end in working_hours:
            per_day[weekday].append((time_offset(start), time_offset(end, end=True)))
        return cls(
            timezone=timezone,
            spans=tuple(merge_spans(day) for day in per_day),
            holidays=frozenset(holidays),
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # zoneinfo caches instances per key

    @property
    def has_working_time(self) -> bool:
        return any(self.spans)

    def working_walls(self, wall_start: datetime, wall_end: datetime) -> Iterator[tuple]:
        """Working wall-clock intervals (naive, local) in ``[wall_start, wall_end)``, in order."""
        day = wall_start.date()
        while True:
            midnight = datetime.combine(day, time())
            if midnight >= wall_end:
                return
            if day not in self.holidays:
                for start, end in self.spans[day.weekday()]:
                    lo, hi = max(midnight + start, wall_start), min(midnight + end, wall_end)
                    if lo < hi:
                        yield lo, hi
            day += DAY


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("Business time needs aware datetimes.")
    return instant.astimezone(UTC)


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    return instant.astimezone(zone).utcoffset()  # type: ignore[return-value]


def _segments(zone: ZoneInfo, start: datetime) -> Iterator[tuple[datetime, datetime, timedelta]]:
    """Consecutive UTC stretches ``[a, b)`` of constant UTC offset from ``start`` on, forever."""
    seg_start, offset, probe = start, _offset(zone, start), start
    while True:
        ahead = probe + PROBE
        if _offset(zone, ahead) == offset:
            probe = ahead
            if probe - seg_start >= SEGMENT:
                yield seg_start, probe, offset
                seg_start = probe
            continue
        # The offset changes in (probe, ahead]: find the first instant of the new one.
        lo, hi = probe, ahead
        while hi - lo > MICROSECOND:
            mid = lo + (hi - lo) / 2
            if _offset(zone, mid) == offset:
                lo = mid
            else:
                hi = mid
        yield seg_start, hi, offset
        seg_start, offset, probe = hi, _offset(zone, hi), hi


def _working_intervals(
    calendar: CalendarSnapshot, start: datetime, end: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """Working time from ``start`` (to ``end``) as UTC intervals, in order."""
    for seg_start, seg_end, offset in _segments(calendar.zone, start):
        if end is not None and seg_start >= end:
            return
        upto = seg_end if end is None else min(seg_end, end)
        wall_start = (seg_start + offset).replace(tzinfo=None)
        wall_end = (upto + offset).replace(tzinfo=None)
        for lo, hi in calendar.working_walls(wall_start, wall_end):
            yield (lo - offset).replace(tzinfo=UTC), (hi - offset).replace(tzinfo=UTC)
        if end is None and seg_start - start > HORIZON:
            raise ValueError("The calendar has no working time left within the horizon.")


def business_time_between(calendar: CalendarSnapshot, start: datetime, end: datetime) -> timedelta:
    """The working time from ``start`` to ``end`` (negative when ``end`` comes first)."""
    start, end = _utc(start), _utc(end)
    if end < start:
        return -business_time_between(calendar, end, start)
    total = ZERO
    for lo, hi in _working_intervals(calendar, start, end):
        total += hi - lo
    return total


def add_business_time(calendar: CalendarSnapshot, start: datetime, amount: timedelta) -> datetime:
    """The first instant by which ``amount`` of working time has passed since ``start`` (UTC)."""
    start = _utc(start)
    if amount < ZERO:
        raise ValueError("Only a positive amount of business time can be added.")
    if amount == ZERO:
        return start
    if not calendar.has_working_time:
        raise ValueError("The calendar has no working hours.")
    remaining = amount
    for lo, hi in _working_intervals(calendar, start):
        if hi - lo >= remaining:
            return lo + remaining
        remaining -= hi - lo
    raise AssertionError("unreachable: working intervals never end")  # pragma: no cover
