"""What the side-by-side benchmarks share: where things are, and the realistic test messages."""
import concurrent.futures
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The peers' scripts; MALT_PEERS when the checkout is not beside ../shared (a git worktree).
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


def malt_users(malt, domain, users, password="pass"):
    """Adds `domain` and `users` (local parts) with `password` through the CLI; `malt` is the argv
    prefix (`[MALT, "--config", conf]`)."""
    subprocess.run(malt + ["domain", "add", domain], check=True, stdout=subprocess.DEVNULL)
    for u in users:
        subprocess.run(malt + ["user", "add", f"{u}@{domain}", "--password-stdin"],
                       input=password.encode() + b"\n", check=True, stdout=subprocess.DEVNULL)


def timed_deliveries(label, msgs, argv_for, workers, width=40):
    """Runs `argv_for(i)` with message i on standard input for every message, `workers` processes
    at a time (each must exit 0), and prints and returns the messages per second."""
    def one(i):
        r = subprocess.run(argv_for(i), input=msgs[i], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise RuntimeError(f"{label}: exit {r.returncode}: {r.stderr.decode(errors='replace')}")

    t = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        list(ex.map(one, range(len(msgs))))
    rate = len(msgs) / (time.perf_counter() - t)
    print(f"{label:<{width}} {workers} at a time: {rate:8.0f} msg/s", flush=True)
    return rate
