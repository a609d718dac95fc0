//! The check of `fuzz/fuzz_targets/imap_command.rs`, run on token soup built from IMAP fragments:
//! whatever parses must serialise and parse back to itself; nothing panics.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use malt_imap_proto::{Limits, Parsed, parse_command};
use proptest::collection::vec;
use proptest::prelude::*;

static PARSED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn check(data: &[u8]) {
    let limits = Limits {
        max_literal: 4096,
        max_append_literal: 65536,
        ..Limits::default()
    };
    let generous = Limits {
        max_line: usize::MAX,
        max_literal: u64::MAX,
        max_append_literal: u64::MAX,
        max_append_total: u64::MAX,
        max_nonsync_literal: u64::MAX,
        max_command: usize::MAX,
        max_args: usize::MAX,
        max_depth: limits.max_depth,
    };
    let mut pos = 0;
    while pos < data.len() {
        match parse_command(&data[pos..], &limits) {
            Ok((Parsed::Command(cmd), n)) => {
                assert!(n > 0 && pos + n <= data.len());
                pos += n;
                PARSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let bytes = cmd.to_bytes();
                match parse_command(&bytes, &generous) {
                    Ok((Parsed::Command(again), m)) => {
                        assert_eq!(m, bytes.len());
                        assert_eq!(again, cmd, "{:?}", String::from_utf8_lossy(&bytes));
                    }
                    other => panic!(
                        "re-parse of {:?} failed: {other:?}",
                        String::from_utf8_lossy(&bytes)
                    ),
                }
            }
            Ok(_) => break,
            Err(e) => {
                assert!(e.consumed() > 0 && e.consumed() <= data.len() - pos);
                pos += e.consumed();
            }
        }
    }
}

const COMMANDS: &[&str] = &[
    "FETCH",
    "UID FETCH",
    "STORE",
    "UID STORE",
    "SEARCH",
    "UID SEARCH",
    "SORT",
    "THREAD",
    "LIST",
    "LSUB",
    "SELECT",
    "EXAMINE",
    "STATUS",
    "APPEND",
    "CREATE",
    "RENAME",
    "LOGIN",
    "AUTHENTICATE",
    "ENABLE",
    "ID",
    "NOTIFY",
    "GETMETADATA",
    "SETMETADATA",
    "SETQUOTA",
    "SETACL",
    "COPY",
    "MOVE",
    "UID EXPUNGE",
    "NOOP",
];

const TOKENS: &[&str] = &[
    "1",
    "1:*",
    "$",
    "*",
    "2,4:5",
    "(",
    ")",
    "()",
    "FLAGS",
    "+FLAGS.SILENT",
    "\\Seen",
    "$Junk",
    "BODY[]",
    "BODY.PEEK[1.2.MIME]<0.5>",
    "BODY[HEADER.FIELDS (From To)]",
    "BINARY[1]",
    "PREVIEW",
    "(LAZY)",
    "ALL",
    "FAST",
    "OR",
    "NOT",
    "SEEN",
    "FROM",
    "\"x y\"",
    "\"\\\\\"",
    "{3+}\r\nabc",
    "{0+}\r\n",
    "~{2+}\r\na\0",
    "INBOX",
    "inbox",
    "\"\"",
    "RETURN",
    "(MIN COUNT)",
    "CHARSET",
    "UTF-8",
    "SINCE",
    "1-Jan-2020",
    "\"01-Jan-2020 00:00:00 +0100\"",
    "(CONDSTORE)",
    "(QRESYNC (1 2 1:5))",
    "(CHANGEDSINCE 5)",
    "(UNCHANGEDSINCE 7)",
    "MODSEQ",
    "5",
    "REVERSE",
    "(DATE)",
    "REFERENCES",
    "SET",
    "STATUS",
    "(selected (MessageNew FlagChange))",
    "NONE",
    "NIL",
    "(\"a\" NIL)",
    "/shared/x",
    "(DEPTH 1)",
    "(STORAGE 5)",
    "rwi",
    "(USE (\\Sent))",
    "(MESSAGES SIZE)",
    "PLAIN",
    "=",
    "dGVzdA==",
    "%",
    "&AOQ-",
    "HEADER",
    "X-A",
    "UID",
    "KEYWORD",
    "LARGER",
    "100",
    "EMAILID",
    "M1",
];

fn soup() -> impl Strategy<Value = Vec<u8>> {
    vec(
        (0..COMMANDS.len(), vec(0..TOKENS.len(), 0..7), any::<bool>()),
        1..4,
    )
    .prop_map(|cmds| {
        let mut out = Vec::new();
        for (i, (c, toks, glue)) in cmds.into_iter().enumerate() {
            out.extend_from_slice(format!("t{i} {}", COMMANDS[c]).as_bytes());
            for t in toks {
                if !glue || out.last() != Some(&b'(') {
                    out.push(b' ');
                }
                out.extend_from_slice(TOKENS[t].as_bytes());
            }
            out.extend_from_slice(b"\r\n");
        }
        out
    })
}

/// Found by `token_soup`: an objectid that reads like NIL was written back as the quoted string
/// `"NIL"`, which the objectid grammar (an atom, RFC 8474 §7) refuses.
#[test]
fn objectid_nil_round_trips() {
    let before = PARSED.load(std::sync::atomic::Ordering::Relaxed);
    check(b"t1 SEARCH EMAILID NIL\r\nt2 SEARCH THREADID nil\r\n");
    assert!(PARSED.load(std::sync::atomic::Ordering::Relaxed) >= before + 2);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn token_soup(data in soup()) {
        check(&data);
        if std::env::var_os("SHOW_SAMPLES").is_some() {
            eprintln!("parsed so far: {}", PARSED.load(std::sync::atomic::Ordering::Relaxed));
        }
    }

    #[test]
    fn random_bytes(data in vec(any::<u8>(), 0..120)) {
        check(&data);
    }
}

#[test]
fn corpus() {
    for input in [
        &b"a FETCH 1 ALL\r\n"[..],
        b"a SEARCH ((SEEN))\r\n",
        b"a SEARCH (SEEN DELETED) DRAFT\r\n",
        b"a SEARCH NOT ((SEEN DELETED))\r\n",
        b"a FETCH 1 (PREVIEW (LAZY) FLAGS) (CHANGEDSINCE 1 VANISHED)\r\n",
        b"a SELECT x (QRESYNC (1 2 (1 2)))\r\n",
        b"a CREATE x (USE ())\r\n",
        b"a ID ()\r\n",
        b"a LIST () \"\" (a b) RETURN ()\r\n",
        b"a APPEND x (\\Seen) \" 1-Jan-2000 00:00:60 +2359\" ~{1+}\r\nz\r\n",
        b"a SETMETADATA x (/a ~{2}\r\nab /b \"NIL\")\r\n",
    ] {
        check(input);
    }
}
