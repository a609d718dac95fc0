#!/usr/bin/env python3
"""CalDAV, Malt against Radicale, side by side on this machine, with the same client code for both.

Both servers get the same N events (default 10,000) in one calendar, generated from a fixed seed:
a tenth recurring (weekly, daily with COUNT, monthly by day or by weekday, yearly all-day; some
endless, some with COUNT or UNTIL, some with EXDATEs and overridden instances), the others single
(timed or all-day, some with DURATION), spread over two years, half of the timed ones in
Europe/Berlin with its VTIMEZONE, the rest in UTC; each with the properties clients write
(organizer, attendees, location, a folded description, categories, an alarm). They are PUT with
`If-None-Match: *` from a pool of LOAD_THREADS connections (the load time is reported too), then
each operation runs ROUNDS times (after one unmeasured warm-up) and its median and 95th percentile
are reported:

- calendar-query, time-range on VEVENT for one week, then for one month (getetag and
  calendar-data: what a client fetches to show a view); each round asks for another week (month)
  of the two years, the same ones on both servers;
- calendar-multiget of 50 events (getetag and calendar-data);
- PROPFIND Depth 1 of the calendar (resourcetype, getetag, getcontenttype);
- sync-collection, initial (no token; getetag of every event; every page of a server that
  pages its answer);
- sync-collection after 10 changes (8 updates, a delete, a create; only the REPORT is timed).

Every answer is checked: each time-range query must give both servers the same set of event
names (a difference is a bug in one of them; the script shows it after the figures and exits 1,
unless it is one in KNOWN, already traced to the server that is wrong),
multiget and PROPFIND must list what they should, and sync-collection exactly the changed and
deleted names.

Usage: python3 bench/dav_vs_radicale.py [N] [ROUNDS]   (defaults 10000 and 20; needs `cargo build
--release -p malt` (or MALT_BIN=path) and installs Radicale through ../shared/peers/radicale.sh;
from a git worktree set MALT_PEERS=/work/shared/peers). MALT_ONLY=1 runs only Malt, RADICALE_ONLY=1
only Radicale. Only the Python standard library is used.
"""
import base64
import concurrent.futures
import datetime as dt
import http.client
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

from benchlib import MALT, PEERS, malt_users

MALT_PORT = 18080
RADICALE_PORT = 5232
LOAD_THREADS = 8
SEED = 20260101
FIRST_DAY = dt.date(2026, 1, 1)
DAYS = 730  # two years of events
DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"

# --------------------------------------------------------------------------------------------------
# The events

BERLIN = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""
PRODIDS = ["-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN", "-//Apple Inc.//macOS 14.2//EN",
           "-//davx5//ical4j 3.2//EN", "-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN"]
TOPICS = ["Budget review", "Team meeting", "1:1", "Sprint planning", "Retrospective", "Customer call",
          "Dentist", "Lunch with Anna", "Board meeting", "Release sync", "Interview", "Training",
          "Workshop: accessibility", "Quarterly planning", "Architecture review", "Yoga", "Parents' evening"]
PLACES = ["Room 4.12", "Berlin office, Friedrichstraße 68", "https://meet.example.org/abc-defg-hij",
          "Café Einstein", "Conference room Elbe", "Online", "Hamburg, Hafencity"]
PEOPLE = ["Anna Schmidt", "Jonas Weber", "Lea Fischer", "Paul Wagner", "Mia Becker", "Lukas Hoffmann",
          "Emma Schulz", "Noah Koch", "Hannah Richter", "Elias Klein"]
CATEGORIES = ["Business", "Personal", "Project Apollo", "Travel", "Holiday", "Meeting"]
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
LOREM = ("Agenda: status of each workstream, open risks and decisions needed; please read the notes from "
         "last time beforehand. Dial-in details are in the invitation. Bring numbers for the forecast and "
         "the list of open questions from the customer, we will go through them one by one.")


def escape_text(s):
    """A TEXT value (RFC 5545 §3.3.11)."""
    return s.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line):
    """Content lines longer than 75 octets folded (RFC 5545 §3.1); the text here is ASCII."""
    out = [line[:75]]
    rest = line[75:]
    while rest:
        out.append(" " + rest[:74])
        rest = rest[74:]
    return "\r\n".join(out)


def stamp(t):
    return t.strftime("%Y%m%dT%H%M%SZ")


class Timing:
    """How one event's times are written: in Europe/Berlin, in UTC, or as DATEs (all-day)."""

    def __init__(self, kind):
        self.kind = kind

    def prop(self, name, value):
        if self.kind == "date":
            return f"{name};VALUE=DATE:{value.strftime('%Y%m%d')}"
        if self.kind == "berlin":
            return f"{name};TZID=Europe/Berlin:{value.strftime('%Y%m%dT%H%M%S')}"
        return f"{name}:{value.strftime('%Y%m%dT%H%M%SZ')}"

    def until(self, last):
        """UNTIL in the form RFC 5545 §3.3.10 requires (a DATE with DATEs, UTC otherwise) for a
        rule whose last instance is `last`. A Berlin local time read as UTC is one or two hours
        after the instance, and days before the next one: the instance is kept."""
        if self.kind == "date":
            return last.strftime("%Y%m%d")
        return last.strftime("%Y%m%dT%H%M%SZ")


def nth_weekday(year, month, weekday, n):
    """The date of the n-th (1..4, or -1 for the last) `weekday` (0 = Monday) of a month."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def add_months(year, month, k):
    m = month - 1 + k
    return year + m // 12, m % 12 + 1


class Event:
    """One generated calendar object: its resource name and its text."""

    def __init__(self, rng, index):
        self.rng = rng
        self.uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        self.name = f"{self.uid}.ics"
        self.index = index
        self.revision = 0
        r = rng.random()
        self.timing = Timing("berlin" if r < 0.45 else "utc" if r < 0.88 else "date")
        day = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))
        if self.timing.kind != "date" and day.weekday() >= 5 and rng.random() < 0.8:
            day -= dt.timedelta(days=day.weekday() - 4)  # most meetings fall on working days
        if self.timing.kind == "date":
            self.start = dt.datetime.combine(day, dt.time())
            self.length = dt.timedelta(days=rng.choice([1, 1, 1, 1, 2, 3, 5]))
        else:
            self.start = dt.datetime.combine(day, dt.time(rng.randrange(7, 20), rng.choice([0, 15, 30, 45])))
            self.length = dt.timedelta(minutes=rng.choice([15, 30, 30, 45, 60, 60, 60, 90, 120, 180, 480]))
        self.with_duration = self.timing.kind != "date" and rng.random() < 0.05
        self.summary = rng.choice(TOPICS)
        self.attendees = rng.sample(PEOPLE, rng.choice([0, 0, 1, 2, 3, 5]))
        self.location = rng.choice(PLACES) if rng.random() < 0.6 else None
        self.description = LOREM[: rng.randrange(40, len(LOREM))] if rng.random() < 0.5 else None
        self.category = rng.choice(CATEGORIES) if rng.random() < 0.4 else None
        self.alarm = rng.random() < 0.5
        self.prodid = rng.choice(PRODIDS)
        self.rrule, self.exdates, self.overrides = None, [], []
        if index % 10 == 0:
            self.make_recurring()

    def make_recurring(self):
        """An RRULE whose DTSTART is its own first instance, and instances for EXDATE and
        overrides taken from the rule (so both servers must drop or move them)."""
        rng = self.rng
        kind = rng.choice(["weekly"] * 4 + ["daily"] * 3 + ["monthly"] * 2 + ["yearly"])
        if kind == "yearly":  # a birthday
            self.timing = Timing("date")
            self.start = dt.datetime.combine(self.start.date(), dt.time())
            self.length = dt.timedelta(days=1)
            self.with_duration = False
            self.summary = f"Birthday {rng.choice(PEOPLE)}"
            self.rrule = "FREQ=YEARLY"
            return
        if kind == "weekly":
            interval = rng.choice([1, 1, 1, 2])
            days = sorted({self.start.weekday()} | set(rng.sample(range(5), rng.choice([0, 0, 1, 2]))))
            # DTSTART's weekday is one of BYDAY's: DTSTART is the rule's first instance.
            rule = f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={','.join(WEEKDAYS[d] for d in days)}"
            weeks = rng.choice([None, rng.randrange(4, 40), rng.randrange(4, 40)])
            # Instances used below: the same weekday, `k` periods later.
            candidates = [self.start + dt.timedelta(weeks=interval * k) for k in range(1, weeks or 60)]
            if weeks is None:
                pass
            elif rng.random() < 0.5:
                rule += f";COUNT={weeks * len(days)}"  # at least `weeks` periods
                candidates = candidates[: max(0, weeks - 2)]
            else:
                rule += f";UNTIL={self.timing.until(self.start + dt.timedelta(weeks=interval * (weeks - 1)))}"
        elif kind == "daily":
            count = rng.randrange(3, 25)
            if rng.random() < 0.4:  # a stand-up on working days, from a Monday
                self.start -= dt.timedelta(days=self.start.weekday())
                rule = f"FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT={count}"
                candidates = [self.start + dt.timedelta(weeks=k) for k in range(1, count // 5)]
            else:
                rule = f"FREQ=DAILY;COUNT={count}"
                candidates = [self.start + dt.timedelta(days=k) for k in range(1, count)]
        else:
            months = rng.choice([None, rng.randrange(3, 24), rng.randrange(3, 24)])
            y, m = self.start.year, self.start.month
            if rng.random() < 0.5:
                day = min(self.start.day, 28)
                self.start = self.start.replace(day=day)
                rule = f"FREQ=MONTHLY;BYMONTHDAY={day}"
                at = [dt.date(*add_months(y, m, k), day) for k in range(1, months or 24)]
            else:
                weekday, n = self.start.weekday(), rng.choice([1, 2, 3, -1])
                self.start = dt.datetime.combine(nth_weekday(y, m, weekday, n), self.start.time())
                rule = f"FREQ=MONTHLY;BYDAY={n}{WEEKDAYS[weekday]}"
                at = [nth_weekday(*add_months(y, m, k), weekday, n) for k in range(1, months or 24)]
            if months is not None:
                rule += f";COUNT={months}"
            candidates = [dt.datetime.combine(d, self.start.time()) for d in at]
        self.rrule = rule
        picks = rng.sample(candidates, min(len(candidates), rng.choice([0, 0, 1, 2, 3])))
        if picks and rng.random() < 0.5:
            self.exdates = sorted(picks[: rng.randrange(1, len(picks) + 1)])
        for at in picks:
            if at in self.exdates:
                continue
            # Moved by hours or days (across a query window's edge now and then), or renamed.
            shift = rng.choice([dt.timedelta(hours=1), dt.timedelta(hours=-2), dt.timedelta(days=1),
                                dt.timedelta(days=-3), dt.timedelta(days=9), dt.timedelta(0)])
            if self.timing.kind == "date":
                shift = dt.timedelta(days=shift.days)
            self.overrides.append((at, at + shift))

    def text(self):
        """The object as a client would PUT it (CRLF line ends, folded lines)."""
        created = dt.datetime(2025, 12, 1) + dt.timedelta(minutes=self.index * 7)
        modified = created + dt.timedelta(days=self.revision)
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{self.prodid}", "CALSCALE:GREGORIAN"]
        if self.timing.kind == "berlin":
            lines += BERLIN.splitlines()
        lines += self.component(None, self.start, created, modified)
        for recurrence_id, start in self.overrides:
            lines += self.component(recurrence_id, start, created, modified)
        lines.append("END:VCALENDAR")
        return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode()

    def component(self, recurrence_id, start, created, modified):
        t = self.timing
        lines = ["BEGIN:VEVENT", f"CREATED:{stamp(created)}", f"LAST-MODIFIED:{stamp(modified)}",
                 f"DTSTAMP:{stamp(modified)}", f"UID:{self.uid}"]
        summary = self.summary if recurrence_id is None else f"{self.summary} (moved)"
        if self.revision:
            summary += f" v{self.revision}"
        lines.append(f"SUMMARY:{escape_text(summary)}")
        if recurrence_id is not None:
            lines.append(t.prop("RECURRENCE-ID", recurrence_id))
        elif self.rrule:
            lines.append(f"RRULE:{self.rrule}")
            for at in self.exdates:
                lines.append(t.prop("EXDATE", at))
        lines.append(t.prop("DTSTART", start))
        if self.with_duration:
            lines.append(f"DURATION:PT{int(self.length.total_seconds()) // 60}M")
        else:
            lines.append(t.prop("DTEND", start + self.length))
        if self.attendees:
            org = self.attendees[0]
            lines.append(f"ORGANIZER;CN={org}:mailto:{org.split()[0].lower()}@example.org")
            for i, who in enumerate(self.attendees):
                state = ["ACCEPTED", "NEEDS-ACTION", "TENTATIVE", "DECLINED"][i % 4]
                lines.append(f"ATTENDEE;CN={who};CUTYPE=INDIVIDUAL;PARTSTAT={state};ROLE=REQ-PARTICIPANT;"
                             f"RSVP=TRUE:mailto:{who.replace(' ', '.').lower()}@example.org")
        if self.location:
            lines.append(f"LOCATION:{escape_text(self.location)}")
        if self.description:
            lines.append(f"DESCRIPTION:{escape_text(self.description)}")
        if self.category:
            lines.append(f"CATEGORIES:{self.category}")
        lines += [f"SEQUENCE:{self.revision}", "STATUS:CONFIRMED",
                  "TRANSP:TRANSPARENT" if t.kind == "date" else "TRANSP:OPAQUE"]
        if self.alarm:
            lines += ["BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER;VALUE=DURATION:-PT15M",
                      "DESCRIPTION:Reminder", "END:VALARM"]
        lines.append("END:VEVENT")
        return lines


def generate(n):
    rng = random.Random(SEED)
    return [Event(rng, i) for i in range(n)]


# --------------------------------------------------------------------------------------------------
# The client


class Client:
    """HTTP/1.1 with keep-alive and Basic authentication; one connection per thread."""

    def __init__(self, port, user, password):
        self.port = port
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.local = threading.local()

    def conn(self):
        if getattr(self.local, "conn", None) is None:
            self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        return self.local.conn

    def request(self, method, path, body=b"", headers=None, expect=None):
        """(status, body, seconds from sending to the body's last octet)."""
        h = {"Authorization": self.auth, "Content-Length": str(len(body))}
        h.update(headers or {})
        t = time.perf_counter()
        try:
            self.conn().request(method, path, body=body, headers=h)
            r = self.conn().getresponse()
            data = r.read()
        except (http.client.HTTPException, OSError):
            self.local.conn = None  # the server closed an idle connection: one retry on a new one
            self.conn().request(method, path, body=body, headers=h)
            r = self.conn().getresponse()
            data = r.read()
        elapsed = time.perf_counter() - t
        if r.status >= 400 or (expect is not None and r.status not in expect):
            raise RuntimeError(f"{method} {path}: {r.status} {data[:500]!r}")
        return r.status, data, elapsed

    def report(self, path, body, depth):
        return self.request("REPORT", path, body, {"Depth": depth, "Content-Type": "application/xml; charset=utf-8"},
                            expect=(207,))


def utc(t):
    return t.strftime("%Y%m%dT%H%M%SZ")


def time_range_query(start, end):
    return (f'<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" '
            f'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>'
            f'<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
            f'<C:time-range start="{utc(start)}" end="{utc(end)}"/></C:comp-filter></C:comp-filter>'
            f'</C:filter></C:calendar-query>').encode()


def multiget(hrefs):
    refs = "".join(f"<D:href>{h}</D:href>" for h in hrefs)
    return (f'<?xml version="1.0" encoding="utf-8"?><C:calendar-multiget xmlns:D="DAV:" '
            f'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>'
            f'{refs}</C:calendar-multiget>').encode()


def sync_collection(token):
    return (f'<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">'
            f'<D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level>'
            f'<D:prop><D:getetag/></D:prop></D:sync-collection>').encode()


PROPFIND = (b'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/>'
            b'<D:getetag/><D:getcontenttype/></D:prop></D:propfind>')


class Multistatus:
    """What a 207 answer says: per resource name (the last segment of its href, decoded), its
    status ("200" when it has a 200 propstat, else the response's or first propstat's code), and
    whether it carried calendar-data; plus the sync-token."""

    def __init__(self, body):
        root = ET.fromstring(body)
        self.token = root.findtext(f"{DAV}sync-token")
        self.status, self.with_data = {}, set()
        for resp in root.iter(f"{DAV}response"):
            href = urllib.parse.unquote(resp.findtext(f"{DAV}href", "").rstrip("/"))
            name = href.rsplit("/", 1)[-1]
            codes = [s.split()[1] for s in [resp.findtext(f"{DAV}status")] if s]
            for ps in resp.findall(f"{DAV}propstat"):
                code = ps.findtext(f"{DAV}status", "").split()[1]
                codes.append(code)
                data = ps.find(f"{DAV}prop/{CALDAV}calendar-data")
                if code == "200" and data is not None and "BEGIN:VCALENDAR" in (data.text or ""):
                    self.with_data.add(name)
            self.status[name] = "200" if "200" in codes else (codes[0] if codes else "?")


def sync(client, cal, token):
    """A sync-collection from `token`, following the pages of a server that cuts its answer
    (RFC 6578 §3.6: a 507 for the collection; the client goes on from the token it got), as
    clients do. Returns (status per name, the last token, seconds of all the requests)."""
    collection = cal.rstrip("/").rsplit("/", 1)[-1]
    status, seconds = {}, 0.0
    while True:
        _, body, secs = client.report(cal, sync_collection(token), "0")
        seconds += secs
        ms = Multistatus(body)
        token = ms.token
        cut = ms.status.pop(collection, None) == "507"
        status.update(ms.status)
        if not cut:
            return status, token, seconds


# --------------------------------------------------------------------------------------------------
# The measurements


def p95(xs):
    s = sorted(xs)
    return s[math.ceil(0.95 * len(s)) - 1]


def windows(rounds, length):
    """`rounds` query windows spread over the two years: weeks from a Monday, or calendar months."""
    out = []
    for k in range(rounds):
        if length == "week":
            start = dt.datetime(2026, 1, 5) + dt.timedelta(weeks=k * 100 // rounds)
            out.append((start, start + dt.timedelta(weeks=1)))
        else:
            y, m = add_months(2026, 1, k * 24 // rounds)
            out.append((dt.datetime(y, m, 1), dt.datetime(*add_months(y, m, 1), 1)))
    return out


def load(client, cal, events):
    """PUTs every event from LOAD_THREADS connections; the seconds it took."""
    def put(ev):
        client.request("PUT", cal + ev.name, ev.text(), {"Content-Type": "text/calendar; charset=utf-8",
                                                         "If-None-Match": "*"}, expect=(201, 204))
    t = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(LOAD_THREADS) as pool:
        list(pool.map(put, events))
    return time.perf_counter() - t


def run_suite(label, client, cal, events, rounds):
    """Every measurement on one server; returns (figures: name -> list of seconds, answers: the
    time-range answers as name sets, for the cross-check)."""
    figures, answers = {}, {}
    names = {ev.name for ev in events}
    by_name = {ev.name: ev for ev in events}
    print(f"{label}: loading {len(events)} events", file=sys.stderr)
    figures["load"] = [load(client, cal, events)]

    for length in ("week", "month"):
        spans = windows(rounds, length)
        client.report(cal, time_range_query(*spans[0]), "1")  # warm-up
        times = []
        for start, end in spans:
            _, body, secs = client.report(cal, time_range_query(start, end), "1")
            times.append(secs)
            ms = Multistatus(body)
            if set(ms.status) - names or ms.with_data != set(ms.status):
                raise RuntimeError(f"{label}: {length} {start}: unknown names or missing calendar-data")
            answers[(length, start)] = set(ms.status)
        figures[f"calendar-query, one {length}"] = times

    rng = random.Random(SEED + 1)
    ordered = sorted(names)
    hrefs_of = [rng.sample(ordered, 50) for _ in range(rounds + 1)]
    times = []
    for i, sample in enumerate(hrefs_of):
        _, body, secs = client.report(cal, multiget([cal + n for n in sample]), "1")
        ms = Multistatus(body)
        if set(ms.status) != set(sample) or ms.with_data != set(sample):
            raise RuntimeError(f"{label}: multiget answered {len(ms.with_data)} of 50")
        if i:
            times.append(secs)
    figures["calendar-multiget, 50 events"] = times

    times = []
    for i in range(rounds + 1):
        _, body, secs = client.request("PROPFIND", cal, PROPFIND, {"Depth": "1", "Content-Type": "application/xml"},
                                       expect=(207,))
        listed = set(Multistatus(body).status) - {cal.rstrip("/").rsplit("/", 1)[-1]}
        if listed != names:
            raise RuntimeError(f"{label}: PROPFIND listed {len(listed)} of {len(names)} events")
        if i:
            times.append(secs)
    figures["PROPFIND Depth 1 of the calendar"] = times

    times = []
    for i in range(rounds + 1):
        status, token, secs = sync(client, cal, "")
        if set(status) != names:
            raise RuntimeError(f"{label}: initial sync listed {len(status)} of {len(names)} events")
        if i:
            times.append(secs)
    figures["sync-collection, initial"] = times

    times = []
    extra = generate(len(events) + rounds + 1)[len(events):]  # new events, never loaded yet
    for i in range(rounds + 1):
        live = sorted(by_name)
        picks = rng.sample(live, 9)
        for name in picks[:8]:
            ev = by_name[name]
            ev.revision += 1
            client.request("PUT", cal + name, ev.text(), {"Content-Type": "text/calendar; charset=utf-8"},
                           expect=(201, 204))
        client.request("DELETE", cal + picks[8], expect=(200, 204))
        del by_name[picks[8]]
        new = extra[i]
        client.request("PUT", cal + new.name, new.text(), {"Content-Type": "text/calendar; charset=utf-8",
                                                           "If-None-Match": "*"}, expect=(201, 204))
        by_name[new.name] = new
        status, token, secs = sync(client, cal, token)
        want = {n: "200" for n in picks[:8] + [new.name]}
        want[picks[8]] = "404"
        if status != want:
            raise RuntimeError(f"{label}: sync after 10 changes answered {status}, expected {want}")
        if i:
            times.append(secs)
    figures["sync-collection after 10 changes"] = times
    return figures, answers


def wait_for(port, proc=None):
    for _ in range(300):
        if proc is not None and proc.poll() is not None:
            sys.exit(f"the server exited with {proc.returncode}")
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"nothing listens on port {port}")


def bench_malt(tmp, events, rounds):
    data = os.path.join(tmp, "malt-data")
    conf = os.path.join(tmp, "malt.toml")
    with open(conf, "w") as f:
        f.write(f'data_dir = "{data}"\n[limits]\nmax_connections_per_ip = 4096\n'
                f'[[listener]]\nname = "http"\nprotocol = "http"\naddress = "127.0.0.1"\nport = {MALT_PORT}\n'
                'tls = "none"\n')
    malt = [MALT, "--config", conf]
    malt_users(malt, "example.test", ["u1"])
    proc = subprocess.Popen(malt + ["serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(MALT_PORT, proc)
        client = Client(MALT_PORT, "u1@example.test", "pass")
        home = "/dav/calendars/u1@example.test/"
        client.request("PROPFIND", home, PROPFIND, {"Depth": "1"}, expect=(207,))  # creates the default calendar
        return run_suite("malt", client, home + "calendar/", events, rounds)
    finally:
        proc.terminate()
        proc.wait()


def bench_radicale(tmp, events, rounds):
    rdir = os.path.join(tmp, "radicale")
    script = ["bash", os.path.join(PEERS, "radicale.sh")]
    subprocess.run(script + ["start", rdir], check=True)
    try:
        client = Client(RADICALE_PORT, "u1", "pass")
        client.request("MKCALENDAR", "/u1/calendar/", expect=(201,))
        return run_suite("radicale", client, "/u1/calendar/", events, rounds)
    finally:
        subprocess.run(script + ["stop", rdir], check=True)


# Disagreements already traced to the server that is wrong, by (query, first day, side, event
# name), with the reason: shown, but they do not make the run fail. Names come from SEED; these
# were found with N = 10,000, the default.
KNOWN = {
    ("week", "2026-10-12", "radicale only", "ab33f30f-fb3e-4bbd-a4fd-0c26fcdc39b3.ics"):
        "Radicale is wrong: the 2026-10-12 instance is overridden (moved to 2026-10-09, ending "
        "before the range) and the next one starts at the range's end; RFC 4791 §9.9 leaves "
        "the event out",
}


def cross_check(malt_answers, radicale_answers, events):
    """The time-range queries where the two servers named different events, each with the
    event's text (so the one that is wrong can be told), as printable entries: the new ones,
    and the ones in KNOWN with their reason."""
    by_name = {ev.name: ev for ev in events}
    bad, known = [], []
    for key, names in malt_answers.items():
        other = radicale_answers[key]
        if names != other:
            for name in sorted(names ^ other):
                who = "malt only" if name in names else "radicale only"
                entry = f"{key[0]} from {key[1]:%Y-%m-%d}: {who}: {name}"
                reason = KNOWN.get((key[0], f"{key[1]:%Y-%m-%d}", who, name))
                if reason:
                    known.append(f"{entry} ({reason})")
                else:
                    bad.append(entry + "\n" + by_name[name].text().decode())
    return bad, known


def show(n, rounds, figures):
    """The table: per operation each server's median and p95 in ms, and Radicale's median over
    Malt's (for the load, seconds and events per second)."""
    servers = list(figures)
    print(f"{n} events ({n // 10} recurring) in one calendar; {rounds} rounds; ms unless noted")
    head = f"{'operation':<36}" + "".join(f"{s + ' median':>16}{s + ' p95':>14}" for s in servers)
    print(head + (f"{'ratio':>8}" if len(servers) == 2 else ""))
    for op in figures[servers[0]]:
        row = f"{op:<36}"
        medians = []
        for s in servers:
            xs = figures[s][op]
            if op == "load":
                row += f"{xs[0]:>14.1f} s{n / xs[0]:>12.0f}/s"
            else:
                row += f"{statistics.median(xs) * 1000:>16.1f}{p95(xs) * 1000:>14.1f}"
            medians.append(statistics.median(xs))
        if len(medians) == 2:
            row += f"{medians[1] / medians[0]:>7.1f}x"
        print(row)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    run_malt = os.environ.get("RADICALE_ONLY") != "1"
    run_radicale = os.environ.get("MALT_ONLY") != "1"
    if run_malt and not os.access(MALT, os.X_OK):
        sys.exit("build malt first: cargo build --release -p malt (or set MALT_BIN)")
    events = generate(n)
    figures, answers = {}, {}
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        if run_malt:
            figures["malt"], answers["malt"] = bench_malt(tmp, generate(n), rounds)
        if run_radicale:
            figures["radicale"], answers["radicale"] = bench_radicale(tmp, generate(n), rounds)
    bad, known = cross_check(answers["malt"], answers["radicale"], events) if len(answers) == 2 else ([], [])
    show(n, rounds, figures)
    if known:
        print(f"known disagreements ({len(known)}):\n" + "\n".join(known), file=sys.stderr)
    if bad:
        # The figures stand (both servers did the same work); the disagreements are shown so that
        # the wrong answer can be found, and the exit status says there were some.
        print(f"the servers disagree on {len(bad)} time-range answer(s):\n" + "\n".join(bad[:10]), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
