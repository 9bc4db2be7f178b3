#!/usr/bin/python3
"""Our recurrence expansion against an independent one: python-dateutil and zoneinfo.

Random RRULEs (seeded) in Europe/Amsterdam, Europe/London and America/New_York, expanded by
tests/recurrence/expand.cc (ExpandWindows and the scheduler's ExpandSeries) and here, over ranges
across both 2027 DST changes; every interval must agree to the second.

    property_test.py <recurrence_expand binary> [--seed N] [--rules N]

Run with /usr/bin/python3: python3-dateutil is Debian's package.

The reference semantics (docs/DECISIONS.md, "Recurrence: our own RRULE expander, one rule for
DST"): zoneinfo with fold=0 resolves a local time in the spring gap forward by the gap and an
ambiguous one to its first instance, as RFC 5545 does. A window is [local start, local start +
duration] with each end resolved so, moved forward by the gap as a whole when its start does not
exist; a series occurrence starts at the resolved local time and lasts the first one's minutes.
UNTIL with Z is an instant, a local UNTIL a wall-clock time in the zone, a date UNTIL that whole
local day.

Where we depart from dateutil 2.8.2 on purpose, the generator does not go: BYWEEKNO 52, 53, -52
and -53 (dateutil misnumbers weeks around New Year) and BYDAY mixing positioned and plain days
(dateutil intersects, RFC 5545 unites). Unit tests pin both.
"""
import argparse
import collections
import datetime as dt
import itertools
import random
import subprocess
import sys
import types
import warnings
from zoneinfo import ZoneInfo

import dateutil.rrule
from dateutil.rrule import rrulestr

# dateutil checks UNTIL only when a period yields a date, so a rule that selects nothing (BYMONTH=2;
# BYMONTHDAY=30) walks on to datetime.MAXYEAR. Its module sees a datetime whose MAXYEAR is just
# past everything this test asks about; nothing else changes.
_datetime = types.ModuleType("datetime")
_datetime.__dict__.update(dt.__dict__)
_datetime.MAXYEAR = 2029
dateutil.rrule.datetime = _datetime

UTC = dt.timezone.utc
ZONES = ["Europe/Amsterdam", "Europe/London", "America/New_York"]
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
# The three zones change clocks between 01:00 and 03:00 local; most starts are near that.
START_TIMES = [
    "00:00",
    "00:30",
    "01:00",
    "01:30",
    "01:59",
    "02:00",
    "02:15",
    "02:30",
    "02:59",
    "03:00",
    "03:30",
    "08:30",
    "12:00",
    "23:30",
]
DURATIONS = [1, 15, 30, 45, 60, 90, 120, 150, 180, 480, 1440, 1500, 2880, 10080]
FIRST_DAY = dt.date(2026, 6, 1)
HORIZON = dt.datetime(2028, 7, 1, tzinfo=UTC)


def random_values(rng, low, high, most, signed):
    values = set()
    for _ in range(rng.randint(1, most)):
        v = rng.randint(low, high)
        values.add(-v if signed and rng.random() < 0.3 else v)
    return ",".join(str(v) for v in sorted(values))


def random_until(rng, zone, rule, dtstart):
    """An UNTIL in one of its three forms: at one of the rule's first occurrences (to the second,
    or a second either side), or anywhere."""
    occurrences = list(itertools.islice(rrulestr(rule, dtstart=dtstart), 40))
    if occurrences and rng.random() < 0.6:
        local = rng.choice(occurrences)
    else:
        local = dt.datetime.combine(
            FIRST_DAY + dt.timedelta(days=rng.randint(0, 700)),
            dt.time(rng.randint(0, 23), rng.choice([0, 30, 59])),
        )
    form = rng.choice(["utc", "local", "date"])
    if form == "date":
        return local.strftime("%Y%m%d")
    nudge = dt.timedelta(seconds=rng.choice([-1, 0, 0, 1]))
    if form == "local":
        return (local + nudge).strftime("%Y%m%dT%H%M%S")
    return (local.replace(tzinfo=zone).astimezone(UTC) + nudge).strftime("%Y%m%dT%H%M%SZ")


def random_rule(rng, zone, dtstart):
    freq = rng.choices(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"], weights=[3, 2, 1, 2])[0]
    parts = [f"FREQ={freq}"]
    if rng.random() < 0.5:
        parts.append(f"INTERVAL={rng.choice([1, 2, 2, 3, 4, 5])}")
    if rng.random() < 0.35:
        parts.append(f"WKST={rng.choice(WEEKDAYS)}")
    by_month = rng.random() < 0.25
    if by_month:
        parts.append("BYMONTH=" + random_values(rng, 1, 12, 4, False))
    positioned = False
    if rng.random() < 0.55:
        days = rng.sample(WEEKDAYS, rng.randint(1, 4))
        if freq in ("MONTHLY", "YEARLY") and rng.random() < 0.5:
            positioned = True
            most = 5 if freq == "MONTHLY" or by_month else 53
            days = [f"{rng.choice(['', '+', '-'])}{rng.randint(1, most)}{d}" for d in days]
        parts.append("BYDAY=" + ",".join(days))
    if freq != "WEEKLY" and rng.random() < 0.3:
        parts.append("BYMONTHDAY=" + random_values(rng, 1, 31, 3, True))
    if freq == "YEARLY" and rng.random() < 0.2:
        parts.append("BYYEARDAY=" + random_values(rng, 1, 366, 4, True))
    if freq == "YEARLY" and not positioned and rng.random() < 0.2:
        parts.append("BYWEEKNO=" + random_values(rng, 1, 51, 3, True))
    if any(p.startswith("BY") for p in parts) and rng.random() < 0.25:
        parts.append("BYSETPOS=" + random_values(rng, 1, 4, 2, True))
    end = rng.random()
    if end < 0.35:
        parts.append(f"COUNT={rng.randint(1, 60)}")
    elif end < 0.7:
        parts.append(f"UNTIL={random_until(rng, zone, ';'.join(parts), dtstart)}")
    rng.shuffle(parts)
    return ";".join(parts)


def resolve(local, zone):
    """Local wall-clock time to UTC: forward by the gap, or the first instance (fold=0)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def offset(local, zone, fold):
    return local.replace(tzinfo=zone, fold=fold).utcoffset()


def gap_at(local, zone):
    """How far a local time in the spring gap is moved; zero when it exists."""
    if resolve(local, zone).astimezone(zone).replace(tzinfo=None) == local:
        return dt.timedelta(0)
    return offset(local, zone, fold=1) - offset(local, zone, fold=0)


def ambiguous(local, zone):
    return not gap_at(local, zone) and offset(local, zone, fold=0) != offset(local, zone, fold=1)


def occurrences(rule, zone, dtstart, bound):
    """dateutil's occurrences (aware, in `zone`) from local `dtstart`, up to the instant `bound`."""
    parts = rule.split(";")
    until = None
    for part in parts:
        if part.startswith("UNTIL="):
            value = part[len("UNTIL=") :]
            if len(value) == 8:  # the whole local day
                until = dt.datetime.strptime(value, "%Y%m%d").replace(
                    hour=23, minute=59, second=59, tzinfo=zone
                )
            elif value.endswith("Z"):
                until = dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            else:  # the same tzinfo as DTSTART: compared as wall-clock time
                until = dt.datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=zone)
    rest = ";".join(p for p in parts if not p.startswith("UNTIL="))
    rr = rrulestr(rest, dtstart=dtstart.replace(tzinfo=zone))
    rr = rr.replace(until=until if until is not None else bound)
    for x in rr:
        if x.astimezone(UTC) > bound:
            return
        yield x


def expected_windows(rule, zone, valid_from, valid_until, start, minutes, frm, to, cases):
    out = []
    dtstart = dt.datetime.combine(valid_from, start)
    for x in occurrences(rule, zone, dtstart, to + dt.timedelta(days=1)):
        if valid_until is not None and x.date() > valid_until:
            break
        local_start = x.replace(tzinfo=None)
        local_end = local_start + dt.timedelta(minutes=minutes)
        gap = gap_at(local_start, zone)
        s, e = resolve(local_start + gap, zone), resolve(local_end + gap, zone)
        if s >= to:
            break
        if e <= frm:
            continue
        out.append((max(s, frm), min(e, to)))
        cases["window starts in a gap"] += bool(gap)
        cases["window ends in a gap"] += bool(not gap and gap_at(local_end, zone))
        cases["window starts at an ambiguous time"] += ambiguous(local_start, zone)
        cases["window spans a change"] += (e - s) != dt.timedelta(minutes=minutes)
    return out


def expected_series(rule, zone, day, start, minutes, horizon, cases):
    out = []
    for x in occurrences(rule, zone, dt.datetime.combine(day, start), horizon):
        s = x.astimezone(UTC)
        if s >= horizon:
            break
        out.append((s, s + dt.timedelta(minutes=minutes)))
        local = x.replace(tzinfo=None)
        cases["series starts in a gap"] += bool(gap_at(local, zone))
        cases["series starts at an ambiguous time"] += ambiguous(local, zone)
        cases["series spans a change"] += (s + dt.timedelta(minutes=minutes)).astimezone(
            zone
        ).utcoffset() != x.utcoffset()
    return out


# The days the clocks change in 2027.
CHANGES = {
    "Europe/Amsterdam": (dt.date(2027, 3, 28), dt.date(2027, 10, 31)),
    "Europe/London": (dt.date(2027, 3, 28), dt.date(2027, 10, 31)),
    "America/New_York": (dt.date(2027, 3, 14), dt.date(2027, 11, 7)),
}


def random_first_day(rng, zone_name):
    """DTSTART's date: often just before a change, so that short rules reach it."""
    if rng.random() < 0.4:
        return rng.choice(CHANGES[zone_name]) - dt.timedelta(days=rng.randint(0, 21))
    return FIRST_DAY + dt.timedelta(days=rng.randint(0, 560))


def random_range(rng, kind, zone_name):
    """[from, to) in UTC: around one of the zone's 2027 changes, or anywhere in the test's span."""
    if kind in ("spring", "autumn"):
        day = CHANGES[zone_name][0 if kind == "spring" else 1]
        change = dt.datetime.combine(day, dt.time(), tzinfo=UTC)
        return (
            change - dt.timedelta(hours=rng.randint(0, 240)),
            change + dt.timedelta(hours=rng.randint(1, 240)),
        )
    frm = dt.datetime(2026, 6, 1, tzinfo=UTC) + dt.timedelta(minutes=rng.randint(0, 700 * 1440))
    return frm, frm + dt.timedelta(minutes=rng.randint(1, 120 * 1440))


def unix(t):
    return int(t.timestamp())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("expand")
    parser.add_argument("--seed", type=int, default=20270328)
    parser.add_argument("--rules", type=int, default=1000)
    args = parser.parse_args()
    warnings.simplefilter("ignore", DeprecationWarning)  # dateutil on COUNT with our bounding UNTIL
    rng = random.Random(args.seed)

    requests, expected = [], []
    cases = collections.Counter()
    for _ in range(args.rules):
        zone_name = rng.choice(ZONES)
        zone = ZoneInfo(zone_name)
        start = dt.time.fromisoformat(rng.choice(START_TIMES))
        first_day = random_first_day(rng, zone_name)
        rule = random_rule(rng, zone, dt.datetime.combine(first_day, start))
        minutes = rng.choice(DURATIONS)
        valid_until = None
        if rng.random() < 0.2:
            valid_until = first_day + dt.timedelta(days=rng.randint(0, 500))
        for kind in ("spring", "autumn", "anywhere"):
            frm, to = random_range(rng, kind, zone_name)
            requests.append(
                "\t".join(
                    [
                        "window",
                        zone_name,
                        rule,
                        first_day.isoformat(),
                        valid_until.isoformat() if valid_until else "-",
                        start.strftime("%H:%M"),
                        str(minutes),
                        str(unix(frm)),
                        str(unix(to)),
                    ]
                )
            )
            expected.append(
                expected_windows(rule, zone, first_day, valid_until, start, minutes, frm, to, cases)
            )
        # A series is asked for by its first start instant: a local start in the gap has none.
        if gap_at(dt.datetime.combine(first_day, start), zone) == dt.timedelta(0):
            requests.append(
                "\t".join(
                    [
                        "series",
                        zone_name,
                        rule,
                        first_day.isoformat(),
                        "-",
                        start.strftime("%H:%M"),
                        str(minutes),
                        "0",
                        str(unix(HORIZON)),
                    ]
                )
            )
            expected.append(expected_series(rule, zone, first_day, start, minutes, HORIZON, cases))

    run = subprocess.run(
        [args.expand], input="\n".join(requests) + "\n", capture_output=True, text=True, check=True
    )
    answers = run.stdout.split("\n")[: len(requests)]
    differences, compared = [], 0
    for request, want, got in zip(requests, expected, answers):
        want_text = " ".join(f"{unix(s)}-{unix(e)}" for s, e in want)
        compared += len(want)
        if want_text != got.strip():
            differences.append((request, want_text, got.strip()))
    kinds = [r.split("\t", 1)[0] for r in requests]
    print(
        f"recurrence property: {args.rules} rules, {kinds.count('window')} window ranges and "
        f"{kinds.count('series')} series, {compared} intervals compared, "
        f"{len(differences)} differences (seed {args.seed})"
    )
    print("  of which " + ", ".join(f"{n} {case}" for case, n in sorted(cases.items())))
    for request, want, got in differences[:10]:
        print(f"\n  request:  {request!r}\n  dateutil: {want}\n  ours:     {got}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
