//! The pool of messages the load clients APPEND: files from a directory (one message per file, as the
//! wrapper writes them from `../shared/peers/gen_mbox.py`), or generated here.
//!
//! Invariants:
//! - Every message has CRLF line ends (RFC 9051 §2.2: APPEND takes a message in RFC 5322 form).
//! - A pool holds at most [`MAX_POOL`] messages of at most [`MAX_MESSAGE`] octets each; larger files are
//!   an error, not silently cut.
//! - Generated messages depend only on the seed.

use std::path::Path;

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Messages kept from a directory.
pub const MAX_POOL: usize = 10_000;
/// Largest message file accepted.
pub const MAX_MESSAGE: u64 = 32 << 20;

/// Reads every regular file of `dir` (sorted by name, at most [`MAX_POOL`]) as one message.
pub fn from_dir(dir: &Path) -> Result<Vec<Vec<u8>>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let meta = entry
            .metadata()
            .map_err(|e| format!("{}: {e}", entry.path().display()))?;
        if meta.is_file() {
            if meta.len() > MAX_MESSAGE {
                return Err(format!(
                    "{}: larger than {MAX_MESSAGE} octets",
                    entry.path().display()
                ));
            }
            paths.push(entry.path());
        }
    }
    paths.sort();
    paths.truncate(MAX_POOL);
    let mut pool = Vec::with_capacity(paths.len());
    for p in paths {
        let raw = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        if !raw.is_empty() {
            pool.push(crlf(&raw));
        }
    }
    if pool.is_empty() {
        return Err(format!("{}: no message files", dir.display()));
    }
    Ok(pool)
}

/// `raw` with every line ending as CRLF.
pub fn crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 40);
    let mut prev = 0u8;
    for &b in raw {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

const WORDS: &[&str] = &[
    "meeting", "report", "budget", "review", "please", "attached", "thanks", "schedule", "project", "update",
    "question", "release", "draft", "customer", "invoice", "team", "deadline", "server", "notes", "agenda",
    "summary", "proposal", "feedback", "travel", "office", "quarter", "results", "the", "and", "for", "with",
    "this", "that", "we", "will", "next", "week", "on", "to", "of",
];
const NAMES: &[&str] = &[
    "Alice Martin",
    "Bob Dupont",
    "Chloé Bernard",
    "David Smith",
    "Eva Müller",
    "Frank O'Brien",
    "Grace Lee",
    "Hiro Tanaka",
];

fn words(rng: &mut StdRng, n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        if i > 0 {
            out.push(if i % 12 == 0 { '\n' } else { ' ' });
        }
        out.push_str(WORDS.choose(rng).copied().unwrap_or("word"));
    }
    out
}

fn address(name: &str) -> String {
    let local: String = name
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_lowercase();
    format!("{name} <{local}@example.net>")
}

/// `count` messages: plain text of 1–30 KB, and one in four multipart with a base64 attachment.
pub fn generate(rng: &mut StdRng, count: usize) -> Vec<Vec<u8>> {
    (0..count).map(|i| one(rng, i)).collect()
}

fn one(rng: &mut StdRng, i: usize) -> Vec<u8> {
    let from = address(NAMES.choose(rng).copied().unwrap_or("Someone"));
    let to = address(NAMES.choose(rng).copied().unwrap_or("Someone"));
    let nsubj = rng.gen_range(2..8);
    let subject = words(rng, nsubj).replace('\n', " ");
    let day = rng.gen_range(1..=28);
    let hour = rng.gen_range(0..24);
    let nbody = rng.gen_range(150..4000);
    let body = words(rng, nbody);
    let mut msg = format!(
        "From: {from}\nTo: {to}\nSubject: {subject}\nDate: Mon, {day} Nov 2026 {hour:02}:17:00 +0100\n\
         Message-ID: <bench-{i}-{}@example.net>\nMIME-Version: 1.0\n",
        rng.r#gen::<u64>()
    );
    if rng.gen_ratio(1, 4) {
        let boundary = format!("b{}", rng.r#gen::<u32>());
        let size = rng.gen_range(2_000..40_000);
        let attachment: Vec<u8> = (0..size).map(|_| rng.r#gen::<u8>()).collect();
        msg.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"{boundary}\"\n\n--{boundary}\n\
             Content-Type: text/plain; charset=utf-8\n\n{body}\n--{boundary}\n\
             Content-Type: application/octet-stream; name=\"data.bin\"\n\
             Content-Transfer-Encoding: base64\n\
             Content-Disposition: attachment; filename=\"data.bin\"\n\n{}\n--{boundary}--\n",
            base64_lines(&attachment)
        ));
    } else {
        msg.push_str(&format!("Content-Type: text/plain; charset=utf-8\n\n{body}\n"));
    }
    crlf(msg.as_bytes())
}

/// Base64 (RFC 2045 §6.8) in lines of 76 characters.
fn base64_lines(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (n, chunk) in data.chunks(3).enumerate() {
        if n > 0 && n % 19 == 0 {
            out.push('\n');
        }
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let v = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        for k in 0..4 {
            if k <= chunk.len() {
                let idx = ((v >> (18 - 6 * k)) & 63) as usize;
                out.push(T.get(idx).map_or('A', |&c| char::from(c)));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn crlf_normalises_without_doubling() {
        assert_eq!(crlf(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
    }

    #[test]
    fn base64_matches_the_rfc_examples() {
        // RFC 4648 §10.
        assert_eq!(base64_lines(b"foob"), "Zm9vYg==");
        assert_eq!(base64_lines(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64_lines(b"foobar"), "Zm9vYmFy");
        let long = base64_lines(&[0u8; 120]);
        assert!(long.lines().all(|l| l.len() <= 76), "{long}");
    }

    #[test]
    fn generated_messages_are_crlf_and_depend_on_the_seed() {
        let a = generate(&mut StdRng::seed_from_u64(3), 8);
        let b = generate(&mut StdRng::seed_from_u64(3), 8);
        assert_eq!(a, b);
        for m in &a {
            let text = String::from_utf8(m.clone()).unwrap();
            assert!(text.starts_with("From: "));
            assert!(!text.replace("\r\n", "").contains('\n'));
            assert!(text.contains("\r\n\r\n"));
        }
    }

    #[test]
    fn pool_from_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("2.eml"), b"Subject: b\n\nbody\n").unwrap();
        std::fs::write(dir.path().join("1.eml"), b"Subject: a\r\n\r\nbody\r\n").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let pool = from_dir(dir.path()).unwrap();
        assert_eq!(
            pool,
            vec![
                b"Subject: a\r\n\r\nbody\r\n".to_vec(),
                b"Subject: b\r\n\r\nbody\r\n".to_vec()
            ]
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(from_dir(empty.path()).is_err());
    }
}
