#!/usr/bin/env python3
"""CalDAV against Radicale: `python3 bench/dav_vs_radicale.py [N]`.

The same client code (http.client, one keep-alive connection, Basic auth) against `malt serve`
(MALT_BIN, default target/release/malt; SQLite) and Radicale 3 (../shared/peers/radicale.sh), one
after the other. N events (default 10,000; a tenth weekly recurring, 52 times) are PUT into one
calendar; then, each timed as the median of ROUNDS runs:
  - a calendar-query for one week and for one month (time-range on VEVENT, getetag and
    calendar-data: what a client fetches to show a view),
  - a sync-collection after 10 changes (10 PUTs of existing events, then the report with the
    previous token).
"""
import base64
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import MALT, PEERS, malt_users

MALT_PORT = 18232
RADICALE_PORT = 5232
ROUNDS = 10
DAY = 86400
EPOCH_2026 = 1767225600  # 2026-01-01T00:00:00Z


def utc(t):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def event(i, rev=0):
    start = EPOCH_2026 + (i * 7919 % 365) * DAY + (8 + i % 10) * 3600
    rrule = "RRULE:FREQ=WEEKLY;COUNT=52\r\n" if i % 10 == 0 else ""
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//malt bench//EN\r\nBEGIN:VEVENT\r\nUID:ev{i}@bench\r\n"
            f"DTSTAMP:20260101T000000Z\r\nDTSTART:{utc(start)}\r\nDTEND:{utc(start + 3600)}\r\n{rrule}"
            f"SUMMARY:Event {i} rev {rev}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()


class Client:
    def __init__(self, port, user, password):
        self.port = port
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def request(self, method, path, body=b"", headers=None):
        h = {"Authorization": self.auth, "Content-Length": str(len(body))}
        h.update(headers or {})
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        if r.status >= 400:
            raise RuntimeError(f"{method} {path}: {r.status} {data[:300]!r}")
        return r.status, data


def query(start, end):
    return (f'<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>'
            f'<C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
            f'<C:time-range start="{utc(start)}" end="{utc(end)}"/></C:comp-filter></C:comp-filter></C:filter>'
            f'</C:calendar-query>').encode()


def sync(token):
    return (f'<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level>'
            f'<D:prop><D:getetag/></D:prop></D:sync-collection>').encode()


def token_of(xml):
    s = xml.decode()
    return s.split("sync-token>", 1)[1].split("<", 1)[0]


def median_ms(f):
    times = []
    for _ in range(ROUNDS):
        t = time.perf_counter()
        f()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def run_suite(c, cal, n):
    fig = {}
    t = time.perf_counter()
    for i in range(n):
        c.request("PUT", f"{cal}ev{i}.ics", event(i), {"Content-Type": "text/calendar"})
    fig["put"] = n / (time.perf_counter() - t)
    week = month = EPOCH_2026 + 151 * DAY  # 2026-06-01
    results = {}

    def q(start, end, key):
        def f():
            _, body = c.request("REPORT", cal, query(start, end), {"Depth": "1", "Content-Type": "application/xml"})
            results[key] = body.count(b"calendar-data>") // 2
        return f
    fig["week"] = median_ms(q(week, week + 7 * DAY, "week_hits"))
    fig["month"] = median_ms(q(month, month + 30 * DAY, "month_hits"))
    fig.update(results)
    _, body = c.request("REPORT", cal, sync(""), {"Depth": "0", "Content-Type": "application/xml"})
    state = {"token": token_of(body), "rev": 0}

    def changes_then_sync():
        state["rev"] += 1
        for i in range(10):
            c.request("PUT", f"{cal}ev{i * 97}.ics", event(i * 97, state["rev"]), {"Content-Type": "text/calendar"})
        t0 = time.perf_counter()
        _, b = c.request("REPORT", cal, sync(state["token"]), {"Depth": "0", "Content-Type": "application/xml"})
        state["sync_ms"] = state.get("sync_ms", []) + [(time.perf_counter() - t0) * 1000]
        state["token"] = token_of(b)
        state["changed"] = b.count(b"<D:response>") + b.count(b"<response>")
    for _ in range(ROUNDS):
        changes_then_sync()
    fig["sync"] = statistics.median(state["sync_ms"])
    fig["sync_changed"] = state["changed"]
    return fig


def wait_for(port):
    for _ in range(300):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"nothing listens on {port}")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    if not os.access(MALT, os.X_OK):
        sys.exit("build malt first: cargo build --release (or set MALT_BIN)")
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        data = os.path.join(tmp, "malt-data")
        conf = os.path.join(tmp, "malt.toml")
        with open(conf, "w") as f:
            f.write(f'data_dir = "{data}"\n[[listener]]\nname = "http"\nprotocol = "http"\n'
                    f'address = "127.0.0.1"\nport = {MALT_PORT}\ntls = "none"\n')
        malt = [MALT, "--config", conf]
        malt_users(malt, "example.test", ["u1"])
        proc = subprocess.Popen(malt + ["serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(MALT_PORT)
            c = Client(MALT_PORT, "u1@example.test", "pass")
            malt_fig = run_suite(c, "/dav/calendars/u1@example.test/calendar/", n)
        finally:
            proc.terminate()
            proc.wait()
        rdir = os.path.join(tmp, "radicale")
        subprocess.run(["bash", os.path.join(PEERS, "radicale.sh"), "start", rdir], check=True)
        try:
            c = Client(RADICALE_PORT, "u1", "pass")
            c.request("MKCALENDAR", "/u1/calendar/")
            rad_fig = run_suite(c, "/u1/calendar/", n)
        finally:
            subprocess.run(["bash", os.path.join(PEERS, "radicale.sh"), "stop", rdir], check=True)
    print(f"N = {n} events ({n // 10} recurring), median of {ROUNDS}; binary {MALT}")
    print(f"{'':34} {'Malt':>10} {'Radicale':>10} {'ratio':>8}")
    for key, label, unit in [("put", "PUT (events/s)", "/s"), ("week", "calendar-query, one week (ms)", "ms"),
                             ("month", "calendar-query, one month (ms)", "ms"),
                             ("sync", "sync-collection after 10 changes (ms)", "ms")]:
        m, r = malt_fig[key], rad_fig[key]
        ratio = m / r if unit == "/s" else r / m
        print(f"{label:34} {m:10.1f} {r:10.1f} {ratio:7.1f}x")
    for key in ["week_hits", "month_hits", "sync_changed"]:
        print(f"{key}: Malt {malt_fig[key]}, Radicale {rad_fig[key]}")


if __name__ == "__main__":
    main()
