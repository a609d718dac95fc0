//! SMTP replies (RFC 5321 §4.2) with enhanced status codes (RFC 3463, announced per RFC 2034).
//!
//! Invariants: the code is three digits 200..=599; the enhanced code's class equals the reply's first
//! digit for 2xx/4xx/5xx (RFC 2034 §3); the text never contains CR or LF (they are replaced by spaces), so
//! a reply is always exactly its lines.

use std::fmt::Write as _;

/// One SMTP reply: a code, an optional enhanced status code and one or more lines of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit reply code (RFC 5321 §4.2.1).
    pub code: u16,
    /// The enhanced status code `class.subject.detail` (RFC 3463 §2); `None` for 220/221/354/greetings
    /// where RFC 2034 §3 leaves it out.
    pub esc: Option<(u8, u16, u16)>,
    /// The text lines, at least one.
    pub lines: Vec<String>,
}

fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect()
}

impl Reply {
    /// A one-line reply with an enhanced status code, e.g. `Reply::new(250, (2, 1, 0), "OK")`.
    pub fn new(code: u16, esc: (u8, u16, u16), text: &str) -> Self {
        Reply {
            code,
            esc: Some(esc),
            lines: vec![clean(text)],
        }
    }

    /// A one-line reply without an enhanced status code (greeting, 221, 354).
    pub fn plain(code: u16, text: &str) -> Self {
        Reply {
            code,
            esc: None,
            lines: vec![clean(text)],
        }
    }

    /// A multi-line reply (RFC 5321 §4.2.1: `code-text` on all but the last line), e.g. LHLO/EHLO.
    /// The enhanced code, if any, is on the first line only (the EHLO keyword lines must stay bare).
    pub fn multiline(code: u16, lines: Vec<String>) -> Self {
        let mut lines: Vec<String> = lines.iter().map(|l| clean(l)).collect();
        if lines.is_empty() {
            lines.push(String::new());
        }
        Reply {
            code,
            esc: None,
            lines,
        }
    }

    /// Whether this is a positive completion (2xx).
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// The wire form, CRLF after every line.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        let last = self.lines.len().saturating_sub(1);
        for (i, line) in self.lines.iter().enumerate() {
            let sep = if i == last { ' ' } else { '-' };
            let _ = write!(out, "{}{sep}", self.code);
            if let (Some((c, s, d)), 0) = (self.esc, i) {
                let _ = write!(out, "{c}.{s}.{d} ");
            }
            out.push_str(line);
            out.push_str("\r\n");
        }
        out.into_bytes()
    }
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_and_multi() {
        assert_eq!(
            Reply::new(250, (2, 1, 0), "Sender OK").to_string(),
            "250 2.1.0 Sender OK\r\n"
        );
        assert_eq!(Reply::plain(354, "Go ahead").to_string(), "354 Go ahead\r\n");
        assert_eq!(
            Reply::multiline(
                250,
                vec!["mail.test".into(), "PIPELINING".into(), "SIZE 10".into()]
            )
            .to_string(),
            "250-mail.test\r\n250-PIPELINING\r\n250 SIZE 10\r\n"
        );
        assert_eq!(
            Reply::new(550, (5, 1, 1), "no\r\nsuch").to_string(),
            "550 5.1.1 no  such\r\n"
        );
    }
}
