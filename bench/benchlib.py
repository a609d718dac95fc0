"""What the side-by-side benchmarks share: where things are, and the realistic test messages."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# MALT_PEERS: where ../shared/peers is when the checkout is elsewhere (a git worktree).
PEERS = os.environ.get("MALT_PEERS", os.path.join(ROOT, "..", "shared", "peers"))
MALT = os.environ.get("MALT_BIN", os.path.join(ROOT, "target", "release", "malt"))


def split_mbox(path):
    """The messages of an mbox file (mboxrd: `>From ` lines unquoted once), as bytes."""
    msgs, cur = [], None
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"From "):
                if cur is not None:
                    msgs.append(b"".join(cur))
                cur = []
            elif cur is not None:
                cur.append(line[1:] if line.startswith(b">From ") else line)
    if cur:
        msgs.append(b"".join(cur))
    return msgs


def realistic_messages(tmp, n, seed=7):
    """`n` messages from ../shared/peers/gen_mbox.py (the generator the peers are compared with)."""
    mbox = os.path.join(tmp, "in.mbox")
    subprocess.run([sys.executable, os.path.join(PEERS, "gen_mbox.py"), mbox, str(n), str(seed)], check=True,
                   stdout=subprocess.DEVNULL)
    return split_mbox(mbox)
