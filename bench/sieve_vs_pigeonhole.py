#!/usr/bin/env python3
"""Sieve at delivery, Malt against Dovecot with Pigeonhole, side by side on this machine.

Both deliver the same realistic messages (../shared/peers/gen_mbox.py) a process per message:
`malt deliver` with the user's active script, and `dovecot-lda` with Pigeonhole's sieve plugin
running the same file, the 20-rule script of `cargo bench -p malt-sieve --bench run`
(crates/malt-sieve/benches/twenty_rules.sieve). Each is measured without a script and with it,
one at a time and 4 at a time, so the figures say what the Sieve step costs in each. At the end
the mailboxes of both are compared: the same number of messages must have been filed into each
folder, else the script ran differently and the run exits 1.

Usage: python3 bench/sieve_vs_pigeonhole.py [N]   (default 2000; needs a release build of malt;
installs Dovecot through ../shared/peers/dovecot.sh and Debian's dovecot-sieve when missing)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from benchlib import MALT, PEERS, ROOT, malt_users, realistic_messages, timed_deliveries

SCRIPT = os.path.join(ROOT, "crates", "malt-sieve", "benches", "twenty_rules.sieve")
LDA = "/usr/lib/dovecot/dovecot-lda"
FOLDERS = ["Newsletters", "Finance", "Junk", "Shopping", "Admin", "Dev", "Large", "Bulk", "Old", "Team",
           "Suspicious"]
SEED_SCRIPT = b'require ["fileinto", "mailbox", "variables"]; ' \
              b'if header :matches "subject" "*" { fileinto :create "${1}"; }'


def dovecot_counts(conf, user):
    """{mailbox: messages} of a Dovecot user, from doveadm."""
    out = subprocess.run(["doveadm", "-c", conf, "-f", "flow", "mailbox", "status", "-u", user, "messages", "*"],
                         check=True, capture_output=True, text=True).stdout
    counts = {}
    for line in out.splitlines():
        m = re.match(r"(?:mailbox=)?(.*) messages=(\d+)$", line)
        if m and int(m.group(2)) > 0:
            counts[m.group(1)] = int(m.group(2))
    return counts


def malt_counts(data, user):
    """{mailbox: messages} of a Malt user, from `malt user show`."""
    out = subprocess.run([MALT, "--data-dir", data, "user", "show", user], check=True, capture_output=True,
                         text=True).stdout
    counts = {}
    for line in out.splitlines():
        m = re.match(r"  (\S.*?)(?: \\\w+)?\t(\d+) messages", line)
        if m and int(m.group(2)) > 0:
            counts[m.group(1)] = int(m.group(2))
    return counts


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    if not os.access(MALT, os.X_OK):
        sys.exit("build malt first: cargo build --release")
    if not os.path.exists("/usr/lib/dovecot/modules/lib90_sieve_plugin.so"):
        subprocess.run(["apt-get", "install", "-y", "-q", "dovecot-sieve"], check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        os.chmod(tmp, 0o755)  # dovecot-lda drops privileges to the vmail user
        msgs = realistic_messages(tmp, n)[:n]
        size = sum(len(m) for m in msgs) / len(msgs)
        print(f"{len(msgs)} messages, mean {size / 1024:.1f} KiB; script {SCRIPT}")

        dove = os.path.join(tmp, "dovecot")
        subprocess.run(["bash", os.path.join(PEERS, "dovecot.sh"), "start", dove], check=True)
        conf = os.path.join(dove, "dovecot.conf")
        # Pigeonhole compiles the script once into a binary beside it, which it then reuses, as
        # Malt caches its compiled scripts: a directory vmail can write.
        sieve_dir = os.path.join(dove, "sieve")
        os.makedirs(sieve_dir)
        shutil.copy(SCRIPT, os.path.join(sieve_dir, "main.sieve"))
        shutil.chown(sieve_dir, "vmail", "vmail")
        shutil.chown(os.path.join(sieve_dir, "main.sieve"), "vmail", "vmail")
        lda = [LDA, "-c", conf]
        lda_sieve = lda + ["-o", "mail_plugins=sieve", "-o", f"plugin/sieve=file:{sieve_dir};active={sieve_dir}/main.sieve",
                           "-o", "plugin/sieve_vacation_send_from_recipient=yes", "-o", "sendmail_path=/bin/true"]

        data = os.path.join(tmp, "malt")
        env = dict(os.environ, MALT_DATA_DIR=data)
        malt = [MALT, "--data-dir", data]
        malt_users(malt, "example.com", ["u1", "u2", "u3", "u4"])
        for u in ("u3", "u4"):
            # The user has the folders the script files into (all but `:create`'s `Lists/...`):
            # one message delivered into each in both servers, in Malt by a first script that
            # files it into the folder its subject names, creating it.
            subprocess.run(malt + ["sieve", "put", f"{u}@example.com", "seed", "-"], check=True, env=env,
                           stdout=subprocess.DEVNULL, input=SEED_SCRIPT)
            subprocess.run(malt + ["sieve", "activate", f"{u}@example.com", "seed"], check=True,
                           stdout=subprocess.DEVNULL, env=env)
            for folder in FOLDERS:
                seed = f"From: seed@example.com\r\nSubject: {folder}\r\n\r\nseed\r\n".encode()
                subprocess.run(lda + ["-o", "lda_mailbox_autocreate=yes", "-d", u, "-m", folder], input=seed,
                               check=True)
                subprocess.run(malt + ["deliver", "--to", f"{u}@example.com"], input=seed, check=True, env=env)
            subprocess.run(malt + ["sieve", "put", f"{u}@example.com", "main", SCRIPT], check=True,
                           stdout=subprocess.DEVNULL, env=env)
            subprocess.run(malt + ["sieve", "activate", f"{u}@example.com", "main"], check=True,
                           stdout=subprocess.DEVNULL, env=env)
        try:
            for workers, plain, filtered in ((1, "u1", "u3"), (4, "u2", "u4")):
                def timed(label, argv_for):
                    timed_deliveries(label, msgs, argv_for, workers, width=44)
                timed("dovecot-lda, no script", lambda i: lda + ["-d", plain])
                timed("dovecot-lda + Pigeonhole, 20 rules", lambda i: lda_sieve + ["-d", filtered])
                timed("malt deliver, no script", lambda i: malt + ["deliver", "--to", f"{plain}@example.com"])
                timed("malt deliver + Sieve, 20 rules", lambda i: malt + ["deliver", "--to", f"{filtered}@example.com"])
            # Both filtered users got every message once: their folders must hold the same counts.
            bad = 0
            for u in ("u3", "u4"):
                d, m = dovecot_counts(conf, u), malt_counts(data, f"{u}@example.com")
                print(f"{u}: Dovecot {sorted(d.items())}")
                print(f"{u}: Malt    {sorted(m.items())}")
                if d != m:
                    bad += 1
            if bad:
                sys.exit("the two engines filed the messages differently")
        finally:
            subprocess.run(["bash", os.path.join(PEERS, "dovecot.sh"), "stop", dove])


if __name__ == "__main__":
    main()
