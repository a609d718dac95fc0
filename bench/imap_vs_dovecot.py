#!/usr/bin/env python3
"""IMAP, Malt against Dovecot, side by side on this machine, with the same client code for both.

Both servers get the same realistic messages (../shared/peers/gen_mbox.py), APPENDed over IMAP, then the
operations real clients do on a large mailbox are timed: SELECT, a flag resync (FETCH 1:* FLAGS), the
header fetch Thunderbird sends when it opens a folder, ENVELOPE+BODYSTRUCTURE, SEARCH on a header and on
the body, a STORE over every message, and a full-message FETCH. Finally K idle sessions are opened, twice
(LOGIN + SELECT INBOX, then nothing) and the server's memory (PSS) is compared before and after:
for Malt the one process, for Dovecot every process of the instance (it runs one process per session).

Usage: python3 bench/imap_vs_dovecot.py [N] [K]   (default N=10000 messages, K=200 sessions; needs
`cargo build --release` (or MALT_BIN=path) and installs Dovecot through ../shared/peers/dovecot.sh).
With MALT_ONLY=1 only Malt is measured (for sizes where Dovecot's APPEND alone takes long).
"""
import concurrent.futures
import imaplib
import os
import subprocess
import sys
import tempfile
import time

from benchlib import MALT, PEERS, malt_users, realistic_messages
MALT_PORT = 12143
DOVECOT_PORT = 10143
THUNDERBIRD_HEADERS = (
    "UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority "
    "X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)]"
)




def crlf(msg):
    """IMAP APPEND wants CRLF line ends (RFC 9051 §2.2)."""
    return msg.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def connect(port, user):
    c = imaplib.IMAP4("127.0.0.1", port)
    c.login(user, "pass")
    return c


def check(typ, data, what):
    if typ != "OK":
        raise RuntimeError(f"{what}: {typ} {data}")
    return data


def pss_kib(pids):
    """Proportional set size: shared pages divided among the processes sharing them, so Dovecot's
    process-per-session model is not charged for its shared libraries once per process."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def dovecot_pids():
    out = subprocess.run(["pgrep", "-f", "dovecot|imap|auth|anvil|log|config"], capture_output=True, text=True)
    pids = []
    for pid in out.stdout.split():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except FileNotFoundError:
            continue
        if b"dovecot" in cmd or cmd.startswith(b"dovecot/"):
            pids.append(pid)
    return pids


def run_suite(port, user, msgs, sessions, restart, pids_fn):
    figures = {}

    def timed(name, fn):
        t = time.perf_counter()
        fn()
        figures[name] = time.perf_counter() - t

    # APPEND, 4 connections in parallel (each a slice), as an import tool would.
    def append_all():
        def worker(chunk):
            c = connect(port, user)
            for m in chunk:
                check(*c.append("INBOX", None, None, m), "APPEND")
            c.logout()

        chunks = [msgs[i::4] for i in range(4)]
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            list(ex.map(worker, chunks))

    timed("APPEND all (4 connections)", append_all)
    c = connect(port, user)
    timed("SELECT INBOX", lambda: check(*c.select("INBOX"), "SELECT"))
    timed("FETCH 1:* (FLAGS)", lambda: check(*c.fetch("1:*", "(FLAGS)"), "FETCH"))
    timed("UID FETCH 1:* Thunderbird headers", lambda: check(*c.uid("FETCH", "1:*", f"({THUNDERBIRD_HEADERS})"), "FETCH"))
    timed("FETCH 1:* (ENVELOPE BODYSTRUCTURE)", lambda: check(*c.fetch("1:*", "(ENVELOPE BODYSTRUCTURE)"), "FETCH"))
    timed("SEARCH SUBJECT", lambda: check(*c.search(None, "SUBJECT", "meeting"), "SEARCH"))
    timed("SEARCH BODY (no index)", lambda: check(*c.search(None, "BODY", "zebra"), "SEARCH"))
    timed("STORE 1:* +FLAGS.SILENT (\\Seen)", lambda: check(*c.store("1:*", "+FLAGS.SILENT", "(\\Seen)"), "STORE"))
    last = min(500, len(msgs))
    timed(f"FETCH 1:{last} BODY.PEEK[]", lambda: check(*c.fetch(f"1:{last}", "(BODY.PEEK[])"), "FETCH"))
    c.logout()

    # Idle sessions on a freshly started server, so that memory the operations above freed (and the
    # allocator keeps) does not hide what the sessions take.
    restart()
    time.sleep(1)
    conns = []
    # Two rounds: the first includes the allocator's (or, for Dovecot, the process pool's) own
    # growth; the second, with the first still open, is what one more idle session costs.
    for label in ("first", "next"):
        before = pss_kib(pids_fn())
        for _ in range(sessions):
            s = connect(port, user)
            check(*s.select("INBOX"), "SELECT")
            conns.append(s)
        time.sleep(2)
        after = pss_kib(pids_fn())
        figures[f"idle session, {label} {sessions} (PSS KiB each)"] = (after - before) / sessions
    for s in conns:
        s.logout()
    return figures


def wait_for(port):
    for _ in range(100):
        try:
            imaplib.IMAP4("127.0.0.1", port).logout()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers IMAP on port {port}")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    if not os.access(MALT, os.X_OK):
        sys.exit("build malt first: cargo build --release")
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        os.chmod(tmp, 0o755)
        msgs = [crlf(m) for m in realistic_messages(tmp, n)]

        data = os.path.join(tmp, "malt")
        conf = os.path.join(tmp, "malt.toml")
        with open(conf, "w") as f:
            f.write(f'data_dir = "{data}"\n[limits]\nmax_connections_per_ip = 4096\n[[listener]]\nname = "imap"\nprotocol = "imap"\n'
                    f'address = "127.0.0.1"\nport = {MALT_PORT}\ntls = "none"\n')
        malt = [MALT, "--config", conf]
        malt_users(malt, "example.test", ["u1"])
        server = {}

        def start_malt():
            if "proc" in server:
                server["proc"].terminate()
                server["proc"].wait()
            server["proc"] = subprocess.Popen(malt + ["serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for(MALT_PORT)

        start_malt()
        try:
            malt_fig = run_suite(MALT_PORT, "u1@example.test", msgs, k, start_malt, lambda: [str(server["proc"].pid)])
        finally:
            server["proc"].terminate()
            server["proc"].wait()

        if os.environ.get("MALT_ONLY") == "1":
            print(f"{n} messages, {k} idle sessions; seconds unless noted (lower is better)")
            print(f"{'operation':<40} {'malt':>10}")
            for name in malt_fig:
                print(f"{name:<40} {malt_fig[name]:>10.3f}")
            return
        ddir = os.path.join(tmp, "dovecot")
        dovecot = ["bash", os.path.join(PEERS, "dovecot.sh")]

        def start_dovecot():
            subprocess.run(dovecot + ["stop", ddir], stdout=subprocess.DEVNULL)
            subprocess.run(dovecot + ["start", ddir], check=True, stdout=subprocess.DEVNULL)
            wait_for(DOVECOT_PORT)

        start_dovecot()
        try:
            dove_fig = run_suite(DOVECOT_PORT, "u1", msgs, k, start_dovecot, dovecot_pids)
        finally:
            subprocess.run(dovecot + ["stop", ddir], stdout=subprocess.DEVNULL)

    print(f"{n} messages, {k} idle sessions; seconds unless noted (lower is better)")
    print(f"{'operation':<40} {'malt':>10} {'dovecot':>10}")
    for name in malt_fig:
        print(f"{name:<40} {malt_fig[name]:>10.3f} {dove_fig[name]:>10.3f}")


if __name__ == "__main__":
    main()
