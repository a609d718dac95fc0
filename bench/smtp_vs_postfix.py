#!/usr/bin/env python3
"""SMTP in, mailbox out: Malt against Postfix delivering over LMTP to Dovecot, side by side on this
machine, with the same load generator for both.

Postfix's `smtp-source` sends N messages (5,000-octet bodies, one local recipient each) over 10
parallel sessions, first to `malt serve`'s SMTP MX listener (release build, SQLite, storing into
the recipient's INBOX itself), then to a throwaway Postfix instance (its own config, queue and
data directories in a temporary directory; port 10025; no local delivery and no DNS) whose
virtual transport is LMTP to a Dovecot started by ../shared/peers/dovecot.sh (maildir). The clock
runs from the first connection until all N messages are in the mailbox: for Malt until IMAP
STATUS INBOX counts them, for Postfix until Dovecot's Maildir holds them (checked with IMAP
STATUS at the end). "accepted" is when smtp-source had its last 250.

Both sides are durable before they answer: Malt commits to SQLite (synchronous=FULL) and fsyncs the
blob; Postfix fsyncs its queue file before its 250, Dovecot the mail file before its LMTP 250.
Neither verifies senders: Malt's `[mail_auth] verify` (SPF/DKIM/DMARC, DNS) is off, as Postfix has
no such check by default; Malt's per-client message rate limit is off too (one client sends all).

Usage: python3 bench/smtp_vs_postfix.py [N]   (default 2000; needs `cargo build --release` (or
MALT_BIN=path), Debian's postfix (for smtp-source and the Postfix peer; install it with debconf's
"No configuration"), and installs Dovecot through ../shared/peers/dovecot.sh)
"""
import imaplib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from benchlib import MALT, PEERS, malt_users

SMTP_SOURCE = "/usr/sbin/smtp-source"
SESSIONS = 10
BODY = 5000
MALT_SMTP_PORT = 12525
MALT_IMAP_PORT = 12143
POSTFIX_PORT = 10025
DOVECOT_IMAP_PORT = 10143
DOVECOT_LMTP_PORT = 10024
TIMEOUT = 900


def wait_port(port, what, proc=None):
    for _ in range(300):
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} does not answer on port {port}")


def port_free(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is fine
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def inbox_messages(imap):
    """STATUS INBOX (MESSAGES) on a logged-in imaplib connection."""
    typ, data = imap.status("INBOX", "(MESSAGES)")
    if typ != "OK":
        raise RuntimeError(f"STATUS: {typ} {data}")
    return int(data[0].decode().rsplit("MESSAGES", 1)[1].strip(" )"))


def imap_login(port, user):
    c = imaplib.IMAP4("127.0.0.1", port)
    c.login(user, "pass")
    return c


def run_load(label, port, n, rcpt, stored):
    """smtp-source into `port`; returns (seconds until accepted, seconds until `stored()` >= n)."""
    argv = [SMTP_SOURCE, "-s", str(SESSIONS), "-m", str(n), "-l", str(BODY), "-t", rcpt,
            "-f", "sender@client.bench.test", "-M", "client.bench.test", f"127.0.0.1:{port}"]
    t = time.perf_counter()
    src = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    accepted = None
    while True:
        if accepted is None and src.poll() is not None:
            accepted = time.perf_counter() - t
            if src.returncode != 0:
                raise RuntimeError(f"{label}: smtp-source exit {src.returncode}: {src.stderr.read().decode()}")
        count = stored()
        if count >= n and accepted is not None:
            return accepted, time.perf_counter() - t
        if time.perf_counter() - t > TIMEOUT:
            src.kill()
            raise RuntimeError(f"{label}: {count} of {n} messages stored after {TIMEOUT} s")
        time.sleep(0.02)


def bench_malt(tmp, n):
    data = os.path.join(tmp, "malt")
    conf = os.path.join(tmp, "malt.toml")
    with open(conf, "w") as f:
        f.write(f'hostname = "malt.bench.test"\ndata_dir = "{data}"\n'
                "[limits]\nmax_connections_per_ip = 4096\n"
                "[smtp]\nmax_messages_per_ip_per_minute = 0\n"
                "[mail_auth]\nverify = false\n")
        for name, port in (("smtp", MALT_SMTP_PORT), ("imap", MALT_IMAP_PORT)):
            f.write(f'[[listener]]\nname = "{name}"\nprotocol = "{name}"\naddress = "127.0.0.1"\n'
                    f'port = {port}\ntls = "none"\n')
    malt = [MALT, "--config", conf]
    malt_users(malt, "example.com", ["u1"])
    proc = subprocess.Popen(malt + ["serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(MALT_SMTP_PORT, "malt serve", proc)
        wait_port(MALT_IMAP_PORT, "malt serve", proc)
        imap = imap_login(MALT_IMAP_PORT, "u1@example.com")
        figures = run_load("malt", MALT_SMTP_PORT, n, "u1@example.com", lambda: inbox_messages(imap))
        imap.logout()
        return figures
    finally:
        proc.terminate()
        proc.wait()


POSTFIX_MASTER_CF = f"""\
127.0.0.1:{POSTFIX_PORT} inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
lmtp      unix - - n - - lmtp
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def postfix_main_cf(pdir):
    return f"""\
compatibility_level = 3.6
queue_directory = {pdir}/spool
data_directory = {pdir}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = {pdir}/postfix.log
maillog_file_prefixes = {pdir}
myhostname = postfix.bench.test
mydomain = bench.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
# No local delivery: the test domain is a virtual mailbox domain delivered over LMTP to Dovecot.
mydestination =
local_transport = error:local delivery is disabled
virtual_mailbox_domains = example.com
virtual_mailbox_maps = texthash:{pdir}/etc/users
virtual_transport = lmtp:inet:127.0.0.1:{DOVECOT_LMTP_PORT}
# No DNS.
disable_dns_lookups = yes
smtp_host_lookup = native
lmtp_host_lookup = native
smtpd_peername_lookup = no
biff = no
"""


class Postfix:
    """A throwaway Postfix instance with its config, queue and data directories under `pdir`."""

    def __init__(self, pdir):
        self.pdir = pdir
        self.etc = os.path.join(pdir, "etc")
        for d in ("etc", "spool", "data"):
            os.makedirs(os.path.join(pdir, d))
        shutil.chown(os.path.join(pdir, "data"), "postfix", "postfix")
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(postfix_main_cf(pdir))
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(POSTFIX_MASTER_CF)
        with open(os.path.join(self.etc, "users"), "w") as f:
            f.write("u1@example.com ok\n")

    def log_tail(self):
        try:
            with open(os.path.join(self.pdir, "postfix.log")) as f:
                return "".join(f.readlines()[-20:])
        except FileNotFoundError:
            return "(no log)"

    def start(self):
        r = subprocess.run(["postfix", "-c", self.etc, "start"], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"postfix start failed:\n{r.stdout}{r.stderr}\n{self.log_tail()}")
        wait_port(POSTFIX_PORT, "postfix")

    def stop(self):
        subprocess.run(["postfix", "-c", self.etc, "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pid_file = os.path.join(self.pdir, "spool", "pid", "master.pid")
        for _ in range(100):
            if not os.path.exists(pid_file):
                return
            time.sleep(0.1)
        subprocess.run(["postfix", "-c", self.etc, "abort"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bench_postfix(tmp, n):
    dove = os.path.join(tmp, "dovecot")
    dovecot = ["bash", os.path.join(PEERS, "dovecot.sh")]
    subprocess.run(dovecot + ["start", dove], check=True, stdout=subprocess.DEVNULL)
    postfix = None
    try:
        # Postfix's LMTP client gives Dovecot the whole address; the peer's users are bare names.
        with open(os.path.join(dove, "dovecot.conf"), "a") as f:
            f.write("auth_username_format = %Ln\n")
        subprocess.run(["doveadm", "-c", os.path.join(dove, "dovecot.conf"), "reload"], check=True)
        time.sleep(1)
        wait_port(DOVECOT_LMTP_PORT, "dovecot lmtp")
        postfix = Postfix(os.path.join(tmp, "postfix"))
        postfix.start()
        maildir = os.path.join(dove, "mail", "u1", "Maildir")

        def stored():
            count = 0
            for sub in ("new", "cur"):
                try:
                    count += len(os.listdir(os.path.join(maildir, sub)))
                except FileNotFoundError:
                    pass
            return count

        try:
            figures = run_load("postfix", POSTFIX_PORT, n, "u1@example.com", stored)
        except RuntimeError as e:
            raise RuntimeError(f"{e}\npostfix log:\n{postfix.log_tail()}") from None
        imap = imap_login(DOVECOT_IMAP_PORT, "u1")
        count = inbox_messages(imap)
        imap.logout()
        if count != n:
            raise RuntimeError(f"Dovecot's STATUS says {count} messages, expected {n}")
        return figures
    finally:
        if postfix is not None:
            postfix.stop()
        subprocess.run(dovecot + ["stop", dove], stdout=subprocess.DEVNULL)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    if not os.access(MALT, os.X_OK):
        sys.exit("build malt first: cargo build --release")
    if not os.access(SMTP_SOURCE, os.X_OK):
        sys.exit('install Debian\'s postfix: echo "postfix postfix/main_mailer_type select No configuration" '
                 "| debconf-set-selections; DEBIAN_FRONTEND=noninteractive apt-get install -y postfix")
    for port in (MALT_SMTP_PORT, MALT_IMAP_PORT, POSTFIX_PORT, DOVECOT_IMAP_PORT, DOVECOT_LMTP_PORT):
        if not port_free(port):
            sys.exit(f"port {port} is in use")
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        os.chmod(tmp, 0o755)  # Dovecot and Postfix drop privileges
        malt = bench_malt(tmp, n)
        postfix = bench_postfix(tmp, n)

    print(f"{n} messages, {BODY}-octet bodies, {SESSIONS} smtp-source sessions, one recipient each")
    print(f"{'':<34} {'accepted (s)':>13} {'stored (s)':>11} {'msg/s':>8}")
    for label, (accepted, stored) in (("malt (SMTP MX, SQLite)", malt),
                                      ("postfix -> LMTP -> dovecot", postfix)):
        print(f"{label:<34} {accepted:>13.2f} {stored:>11.2f} {n / stored:>8.0f}")
    print(f"ratio malt / postfix+dovecot (messages/s until stored): {postfix[1] / malt[1]:.2f}")


if __name__ == "__main__":
    main()
