#!/usr/bin/env python3
"""Local delivery, Malt against Dovecot, side by side on this machine.

`malt deliver` and Dovecot's `dovecot-lda` are the same kind of tool: a process per message that
stores it durably in a user's INBOX and exits 0 only then. Both get the same realistic messages
(../shared/peers/gen_mbox.py), first one at a time, then 4 at a time.

Usage: python3 bench/deliver_vs_dovecot.py [N]   (default 2000; needs a release build of malt
and installs Dovecot through ../shared/peers/dovecot.sh)
"""
import os
import subprocess
import sys
import tempfile

from benchlib import MALT, PEERS, realistic_messages, timed_deliveries


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    if not os.access(MALT, os.X_OK):
        sys.exit("build malt first: cargo build --release")
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        os.chmod(tmp, 0o755)  # dovecot-lda drops privileges to the vmail user
        msgs = realistic_messages(tmp, n)[:n]
        size = sum(len(m) for m in msgs) / len(msgs)
        print(f"{len(msgs)} messages, mean {size / 1024:.1f} KiB")

        dove = os.path.join(tmp, "dovecot")
        subprocess.run(["bash", os.path.join(PEERS, "dovecot.sh"), "start", dove], check=True)
        data = os.path.join(tmp, "malt")
        env = dict(os.environ, MALT_DATA_DIR=data)
        subprocess.run([MALT, "domain", "add", "example.com"], env=env, check=True, stdout=subprocess.DEVNULL)
        for u in ("u1", "u2"):
            subprocess.run([MALT, "user", "add", f"{u}@example.com", "--password-stdin"], input=b"pass\n",
                           env=env, check=True, stdout=subprocess.DEVNULL)
        try:
            lda = ["/usr/lib/dovecot/dovecot-lda", "-c", os.path.join(dove, "dovecot.conf")]
            for workers, user in ((1, "u1"), (4, "u2")):
                timed_deliveries("dovecot-lda (maildir, Dovecot 2.3)", msgs, lambda i: lda + ["-d", user], workers)
                timed_deliveries("malt deliver (SQLite + blobs)", msgs,
                                 lambda i: [MALT, "--data-dir", data, "deliver", "--to", f"{user}@example.com"], workers)
        finally:
            subprocess.run(["bash", os.path.join(PEERS, "dovecot.sh"), "stop", dove])


if __name__ == "__main__":
    main()
