//! Server response writers (RFC 9051 §7). No I/O: a [`ResponseWriter`] appends bytes to a buffer
//! that the session sends and clears with [`ResponseWriter::take`].
//!
//! Invariants:
//! - Every response ends with CRLF; free text never contains CR or LF (they are replaced by
//!   spaces) so a client cannot be made to read a forged response.
//! - Strings use the shortest safe form (atom where the grammar allows, quoted, else a literal
//!   `{n}`); body data are always literals.
//! - Mailbox names are modified UTF-7 (RFC 3501 §5.1.3) unless UTF8=ACCEPT was enabled
//!   ([`ResponseWriter::utf8_accept`], RFC 6855 §3), in which case they and other strings are
//!   UTF-8.

mod body;
mod code;
mod fetch;
mod untagged;

pub use body::{MAX_BODY_DEPTH, encode_words, write_body_structure, write_envelope};
pub use code::{ResponseCode, UidRanges, compress_ids, write_ranges};
pub use fetch::FetchItem;
pub use untagged::{EsearchData, NamespaceEntry, StatusData, Thread};

use crate::encode::StringStyle;

/// Status of a tagged or untagged condition response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    No,
    Bad,
    /// Untagged only.
    PreAuth,
    /// Untagged only.
    Bye,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::No => "NO",
            Status::Bad => "BAD",
            Status::PreAuth => "PREAUTH",
            Status::Bye => "BYE",
        }
    }
}

/// Builds server responses into a byte buffer.
#[derive(Debug, Clone, Default)]
pub struct ResponseWriter {
    /// UTF8=ACCEPT is enabled: mailbox names and strings are sent as UTF-8.
    pub utf8_accept: bool,
    out: Vec<u8>,
}

impl ResponseWriter {
    pub fn new(utf8_accept: bool) -> Self {
        ResponseWriter {
            utf8_accept,
            out: Vec::new(),
        }
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.out
    }

    /// Takes the bytes written so far, leaving the buffer empty.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    pub(crate) fn style(&self) -> StringStyle {
        StringStyle {
            utf8: self.utf8_accept,
            literal_plus: false,
        }
    }

    fn raw(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    fn text(&mut self, text: &str) {
        for ch in text.chars() {
            let ch = if ch == '\r' || ch == '\n' { ' ' } else { ch };
            let mut buf = [0u8; 4];
            self.out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        }
    }

    fn crlf(&mut self) {
        self.raw("\r\n");
    }

    fn condition(&mut self, status: Status, code: Option<&ResponseCode>, text: &str) {
        self.raw(status.as_str());
        self.raw(" ");
        if let Some(code) = code {
            code.write(&mut self.out);
            self.raw(" ");
        }
        self.text(if text.is_empty() { status.as_str() } else { text });
        self.crlf();
    }

    /// `tag OK|NO|BAD [code] text`.
    pub fn tagged(&mut self, tag: &str, status: Status, code: Option<&ResponseCode>, text: &str) {
        self.text(tag);
        self.raw(" ");
        self.condition(status, code, text);
    }

    /// `* OK|NO|BAD|PREAUTH|BYE [code] text`.
    pub fn untagged(&mut self, status: Status, code: Option<&ResponseCode>, text: &str) {
        self.raw("* ");
        self.condition(status, code, text);
    }

    /// `+ text` (continuation request).
    pub fn continuation(&mut self, text: &str) {
        self.raw("+ ");
        self.text(text);
        self.crlf();
    }

    /// `+ base64` (SASL challenge).
    pub fn continuation_data(&mut self, data: &[u8]) {
        use base64::Engine;
        self.raw("+ ");
        let encoded = base64::engine::general_purpose::STANDARD.encode(data);
        self.raw(&encoded);
        self.crlf();
    }

    /// `* CAPABILITY IMAP4rev2 ...`.
    pub fn capability(&mut self, caps: &[&str]) {
        self.raw("* CAPABILITY");
        for c in caps {
            self.raw(" ");
            self.raw(c);
        }
        self.crlf();
    }

    /// `* n FETCH (items)`.
    pub fn fetch(&mut self, seq: u32, items: &[FetchItem<'_>]) {
        self.raw(&format!("* {seq} FETCH ("));
        let style = self.style();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.raw(" ");
            }
            fetch::write_item(&mut self.out, item, style);
        }
        self.raw(")");
        self.crlf();
    }
}

#[cfg(test)]
mod tests;
