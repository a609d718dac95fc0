#!/usr/bin/env python3
"""IMAP under load, Malt against Dovecot, in one run, with the same load client (malt-bench) for both.

1. Prepare: N users on each server, each INBOX filled with the same M realistic messages
   (../shared/peers/gen_mbox.py) APPENDed over IMAP. Malt is the release binary (`MALT_BIN`) with a
   temporary config; Dovecot 2.3 is ../shared/peers/dovecot.sh's instance, its configuration copied and
   changed in the temporary directory (other ports, so another run of the peer does not collide; process
   limits raised for the IDLE sessions).
2. Load: `malt-bench imap` with C clients for D seconds against Malt, then against Dovecot (after a short
   warm-up on each whose figures are dropped): commands/s, sessions/s, latency percentiles per command.
3. Idle: each server is restarted (memory from the load phase is not counted), K sessions LOGIN, SELECT
   INBOX and IDLE (`malt-bench idle`), and the server's memory is compared before and after: PSS of
   Malt's one process, the sum of PSS over every process of the Dovecot instance (one per session).

Usage: python3 bench/imap_load_vs_dovecot.py [--clients 50] [--duration 30] [--messages 2000]
       [--users 10] [--idle 2000] [--seed 1] [--json-out FILE]
Needs `cargo build --release -p malt -p malt-bench` (or MALT_BIN / MALT_BENCH_BIN).
"""
import argparse
import concurrent.futures
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time

from benchlib import MALT, PEERS, ROOT, realistic_messages
from imap_vs_dovecot import check, connect, crlf, pss_kib, wait_for

BENCH = os.environ.get("MALT_BENCH_BIN", os.path.join(ROOT, "target", "release", "malt-bench"))
PASSWORD = "pass"
POOL = 200  # messages the load clients APPEND (each expunged again right away)


def raise_fd_limit(need):
    """2,000 client sockets plus 2,000 server sockets: children (Malt, Dovecot, malt-bench) inherit this."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(need, soft)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        sys.exit(f"open-file limit {soft} is below the {need} this run needs")


def port_free(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def descendants(root):
    """`root` and every process below it (Dovecot's master forks one process per IMAP session)."""
    children = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = f.read().rsplit(")", 1)[1].split()[1]
        except (FileNotFoundError, IndexError, ProcessLookupError):
            continue
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [str(root)]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def fill(port, users, msgs):
    """APPENDs `msgs` to every user's INBOX, one connection per user, 8 users at a time."""
    def one(user):
        c = connect(port, user)
        for m in msgs:
            check(*c.append("INBOX", None, None, m), "APPEND")
        typ, data = c.select("INBOX")
        check(typ, data, "SELECT")
        c.logout()
        return int(data[0])

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        counts = list(ex.map(one, users))
    if any(n != len(msgs) for n in counts):
        raise RuntimeError(f"mailboxes have {counts} messages, expected {len(msgs)} each")


class Malt:
    def __init__(self, tmp, port, conns):
        self.port = port
        self.proc = None
        data = os.path.join(tmp, "malt")
        self.conf = os.path.join(tmp, "malt.toml")
        with open(self.conf, "w") as f:
            f.write(f'data_dir = "{data}"\n[limits]\nmax_connections = {conns}\nmax_connections_per_ip = {conns}\n'
                    f'[[listener]]\nname = "imap"\nprotocol = "imap"\naddress = "127.0.0.1"\nport = {port}\n'
                    'tls = "none"\n')
        self.cmd = [MALT, "--config", self.conf]

    def add_users(self, users):
        subprocess.run(self.cmd + ["domain", "add", "example.test"], check=True, stdout=subprocess.DEVNULL)
        for u in users:
            subprocess.run(self.cmd + ["user", "add", u, "--password-stdin"], input=f"{PASSWORD}\n".encode(),
                           check=True, stdout=subprocess.DEVNULL)

    def start(self):
        self.stop()
        if not port_free(self.port):
            sys.exit(f"port {self.port} is taken: pass --malt-port")
        self.proc = subprocess.Popen(self.cmd + ["serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.port)

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait()
            self.proc = None

    def pids(self):
        return [str(self.proc.pid)]


class Dovecot:
    """The peer script's instance, its configuration moved to other ports with higher process limits."""

    PEER_PORTS = {10143: 0, 10110: 1, 10024: 2}  # IMAP, POP3, LMTP -> offset from our base port

    def __init__(self, tmp, port, sessions):
        self.dir = os.path.join(tmp, "dovecot")
        self.port = port
        self.conf = os.path.join(self.dir, "dovecot.conf")
        peer = ["bash", os.path.join(PEERS, "dovecot.sh")]
        # The peer script installs Dovecot if needed and writes users, maildirs and the configuration;
        # it also starts the instance on the fixed port 10143, so wait for another run to free it.
        for _ in range(600):
            if port_free(10143):
                break
            time.sleep(1)
        else:
            sys.exit("port 10143 stays taken by another Dovecot peer")
        subprocess.run(peer + ["start", self.dir], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(peer + ["stop", self.dir], check=True, stdout=subprocess.DEVNULL)
        with open(self.conf) as f:
            conf = f.read()
        for old, off in self.PEER_PORTS.items():
            conf = conf.replace(f"port = {old}\n", f"port = {port + off}\n")
        # One imap process per session (Dovecot's default `service imap { client_limit = 1 }`): the
        # peer's 1,024 would refuse sessions past that. Each has its own inotify instance for IDLE; past
        # the kernel's per-user inotify limit Dovecot polls instead (mailbox_idle_check_interval).
        imap_service = "service imap {\n  process_limit = 1024\n}"
        if imap_service not in conf:
            sys.exit(f"{self.conf}: no `{imap_service}` to raise; has the peer script changed?")
        conf = conf.replace(imap_service, f"service imap {{\n  process_limit = {max(1024, sessions + 100)}\n}}")
        conf = conf.replace("instance_name = peer-dovecot", "instance_name = load-dovecot")
        # auth and anvil must accept a connection from every login and LMTP process Dovecot may run
        # (4 services x default_process_limit 1,024), or doveconf warns about overload.
        conf += "\nservice anvil {\n  client_limit = 8192\n}\nservice auth {\n  client_limit = 8192\n}\n"
        with open(self.conf, "w") as f:
            f.write(conf)

    def start(self):
        self.stop()
        if not port_free(self.port):
            sys.exit(f"port {self.port} is taken: pass --dovecot-port")
        subprocess.run(["dovecot", "-c", self.conf], check=True)
        wait_for(self.port)

    def stop(self):
        subprocess.run(["doveadm", "-c", self.conf, "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if port_free(self.port):
                return
            time.sleep(0.1)

    def pids(self):
        with open(os.path.join(self.dir, "run", "master.pid")) as f:
            return descendants(int(f.read().strip()))

    def log_problems(self):
        """Each distinct warning or error of the instance's log (what follows `Warning:` etc.), with a count."""
        seen = {}
        try:
            with open(os.path.join(self.dir, "dovecot.log")) as f:
                for line in f:
                    for level in ("Warning: ", "Error: ", "Fatal: ", "Panic: "):
                        if level in line:
                            what = level + line.split(level, 1)[1].strip()
                            if "Killed with signal 15" not in what:  # our own restarts
                                seen[what] = seen.get(what, 0) + 1
        except FileNotFoundError:
            pass
        return [f"{n} x {what}" for what, n in seen.items()]


def bench_target(port, pattern, users):
    return ["--addr", f"127.0.0.1:{port}", "--user-pattern", pattern, "--user-count", str(users),
            "--password", PASSWORD]


def load(name, target, args, pool, out):
    """Runs `malt-bench imap` (a warm-up whose figures are dropped, then the measured run)."""
    base = [BENCH, "imap"] + target + ["--clients", str(args.clients), "--seed", str(args.seed),
                                       "--messages", pool]
    if args.warmup > 0:
        subprocess.run(base + ["--duration", f"{args.warmup}s", "--json-out", out + ".warmup"],
                       stdout=subprocess.DEVNULL)
    print(f"\n== load: {name} ==", flush=True)
    r = subprocess.run(base + ["--duration", f"{args.duration}s", "--json-out", out])
    if r.returncode not in (0, 2):
        sys.exit(f"malt-bench imap failed against {name} ({r.returncode})")
    with open(out) as f:
        return json.load(f)


def idle(name, server, target, sessions, out, warm_users=()):
    """Restarts `server`, holds `sessions` IDLE sessions, measures the server's PSS before and with them.

    `warm_users` log in once each, one after the other, before the first measurement: Malt then has
    each password's argon2 verification cached (as after any earlier login of those users), so the
    storm of logins does not run 100 argon2 hashes (19 MiB each) at once."""
    server.start()
    for u in warm_users:
        connect(server.port, u).logout()
    time.sleep(2)
    before = pss_kib(server.pids())
    procs_before = len(server.pids())
    print(f"\n== idle: {name}, {sessions} sessions ==", flush=True)
    p = subprocess.Popen([BENCH, "idle"] + target + ["--sessions", str(sessions), "--json-out", out],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = ""
    for line in p.stdout:
        print(line, end="", flush=True)
        if "sessions idling" in line:
            break
    time.sleep(3)  # let the server finish whatever the last sessions started
    after = pss_kib(server.pids())
    procs_after = len(server.pids())
    p.stdin.write("\n")
    p.stdin.flush()
    rest, _ = p.communicate(timeout=600)
    print(rest, end="")
    with open(out) as f:
        report = json.load(f)
    idling = report["idling"]
    return {
        "sessions": sessions,
        "idling": idling,
        "errors": report["errors"],
        "setup_s": report["setup_s"],
        "pss_before_kib": before,
        "pss_after_kib": after,
        "processes_before": procs_before,
        "processes_after": procs_after,
        "pss_per_session_kib": (after - before) / idling if idling else None,
    }


def ratio(a, b):
    return a / b if a and b else float("nan")


def report_table(args, msg_kib, lm, ld, im, idd, im_cold):
    rows = []
    print(f"\n{args.users} users x {args.messages} messages (mean {msg_kib:.1f} KiB), {args.clients} clients, "
          f"{args.duration} s; malt/dovecot: above 1 is better for rates, below 1 for latency and memory")
    print(f"{'':<44} {'malt':>11} {'dovecot':>11} {'malt/dovecot':>13}")

    def row(label, m, d, fmt="{:>11.1f}"):
        rows.append((label, m, d))
        print(f"{label:<44} {fmt.format(m)} {fmt.format(d)} {ratio(m, d):>13.2f}")

    row("commands/s", lm["commands_per_s"], ld["commands_per_s"])
    row("sessions/s", lm["sessions_per_s"], ld["sessions_per_s"])
    for key in ("p50_ms", "p90_ms", "p99_ms", "max_ms"):
        row(f"all commands {key}", lm["overall"][key], ld["overall"][key], "{:>11.2f}")
    dov = {o["op"]: o for o in ld["per_command"]}
    for o in lm["per_command"]:
        d = dov.get(o["op"])
        if d:
            row(f"{o['op']} p50 ms", o["p50_ms"], d["p50_ms"], "{:>11.2f}")
            row(f"{o['op']} p99 ms", o["p99_ms"], d["p99_ms"], "{:>11.2f}")
    print(f"{'errors (load)':<44} {lm['errors']:>11} {ld['errors']:>11}")
    print(f"{'expunge races (load)':<44} {lm['expunge_races']:>11} {ld['expunge_races']:>11}")
    if im and idd:
        row("idle: PSS MiB before the sessions", im["pss_before_kib"] / 1024, idd["pss_before_kib"] / 1024)
        row(f"idle: PSS MiB with {args.idle} IDLE sessions", im["pss_after_kib"] / 1024,
            idd["pss_after_kib"] / 1024)
        row("idle: PSS KiB per session", im["pss_per_session_kib"] or 0, idd["pss_per_session_kib"] or 0)
        if im_cold:
            print(f"{'Malt, auth cache cold: PSS MiB before/with':<44} {im_cold['pss_before_kib'] / 1024:>11.1f} "
                  f"{im_cold['pss_after_kib'] / 1024:>11.1f}")
            print(f"{'Malt, auth cache cold: PSS KiB per session':<44} {im_cold['pss_per_session_kib'] or 0:>11.1f}")
        print(f"{'idle: processes with the sessions':<44} {im['processes_after']:>11} {idd['processes_after']:>11}")
        print(f"{'idle: sessions idling / errors':<44} {im['idling']:>7}/{im['errors']:<3} "
              f"{idd['idling']:>7}/{idd['errors']:<3}")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=int, default=30, help="seconds of measured load")
    ap.add_argument("--warmup", type=int, default=5, help="seconds of unmeasured load before it")
    ap.add_argument("--messages", type=int, default=2000, help="messages in each user's INBOX")
    ap.add_argument("--users", type=int, default=10, help="at most 20 (the Dovecot peer's u1..u20)")
    ap.add_argument("--idle", type=int, default=2000, help="IDLE sessions (0: skip the idle phase)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--malt-port", type=int, default=12243)
    ap.add_argument("--dovecot-port", type=int, default=10243, help="IMAP; POP3 and LMTP on the next two")
    ap.add_argument("--json-out", help="write every figure as JSON here")
    args = ap.parse_args()
    if not 1 <= args.users <= 20:
        sys.exit("--users: 1 to 20 (the Dovecot peer has u1..u20)")
    for binary in (MALT, BENCH):
        if not os.access(binary, os.X_OK):
            sys.exit(f"{binary} missing: cargo build --release -p malt -p malt-bench")
    raise_fd_limit(2 * args.idle + 2 * args.clients + 1024)

    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        os.chmod(tmp, 0o755)
        msgs = [crlf(m) for m in realistic_messages(tmp, args.messages)]
        msg_kib = sum(len(m) for m in msgs) / len(msgs) / 1024
        pool = os.path.join(tmp, "pool")
        os.mkdir(pool)
        for i, m in enumerate(realistic_messages(tmp, POOL, seed=args.seed + 100)):
            with open(os.path.join(pool, f"{i:04}.eml"), "wb") as f:
                f.write(crlf(m))

        conns = 2 * args.idle + 2 * args.clients + 256
        malt = Malt(tmp, args.malt_port, conns)
        malt_users = [f"u{n}@example.test" for n in range(1, args.users + 1)]
        malt.add_users(malt_users)
        dovecot = Dovecot(tmp, args.dovecot_port, args.idle)
        malt_target = bench_target(args.malt_port, "u{n}@example.test", args.users)
        dove_target = bench_target(args.dovecot_port, "u{n}", args.users)
        try:
            malt.start()
            dovecot.start()
            for name, port, users in (("malt", args.malt_port, malt_users),
                                      ("dovecot", args.dovecot_port, [f"u{n}" for n in range(1, args.users + 1)])):
                t = time.perf_counter()
                fill(port, users, msgs)
                print(f"{name}: {args.users} x {args.messages} messages appended in {time.perf_counter() - t:.1f} s",
                      flush=True)
            lm = load("malt", malt_target, args, pool, os.path.join(tmp, "malt-load.json"))
            ld = load("dovecot", dove_target, args, pool, os.path.join(tmp, "dovecot-load.json"))
            im = idd = im_cold = None
            if args.idle > 0:
                im = idle("malt", malt, malt_target, args.idle, os.path.join(tmp, "malt-idle.json"), malt_users)
                im_cold = idle("malt, auth cache cold", malt, malt_target, args.idle,
                               os.path.join(tmp, "malt-idle-cold.json"))
                idd = idle("dovecot", dovecot, dove_target, args.idle, os.path.join(tmp, "dovecot-idle.json"))
            warnings = dovecot.log_problems()
        finally:
            malt.stop()
            dovecot.stop()

    report_table(args, msg_kib, lm, ld, im, idd, im_cold)
    if warnings:
        print("\nDovecot's log (warnings and errors, each once with its count):")
        for w in warnings:
            print("  " + w)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"args": vars(args), "mean_message_kib": msg_kib, "load": {"malt": lm, "dovecot": ld},
                       "idle": {"malt": im, "malt_auth_cache_cold": im_cold, "dovecot": idd}, "dovecot_log": warnings}, f, indent=2)
    if lm["errors"] or ld["errors"] or any(r and r["errors"] for r in (im, im_cold, idd)):
        print("\nFLAGGED: errors occurred; see the malt-bench output above")
        sys.exit(2)


if __name__ == "__main__":
    main()
