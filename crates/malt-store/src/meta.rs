//! Metadata computed once at ingest and kept with each message, so that IMAP FETCH of ENVELOPE,
//! BODYSTRUCTURE or BODY[section], SORT, THREAD and SEARCH on header fields never re-parse the blob
//! (what Dovecot's index cache does). Filled by `malt-core`'s ingest; stored as JSON.

use serde::{Deserialize, Serialize};

/// Everything known about a message without reading its blob.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageMeta {
    pub envelope: Envelope,
    pub body: BodyPart,
    /// Header fields used by SORT (RFC 5256), THREAD and SEARCH, decoded.
    pub sort: SortFields,
    /// Up to 256 characters of decoded text (RFC 8970 PREVIEW).
    pub preview: String,
    /// Octets of the message as sent on the wire with CRLF line ends: the stored size plus one for
    /// every bare LF (an LF not preceded by CR), since each is sent as CRLF. This is what POP3
    /// RETR sends before byte-stuffing (RFC 1939 §5: LIST/STAT sizes) and what IMAP RFC822.SIZE
    /// reports (RFC 9051 §7.5.2). Equal to the stored size for a message that already uses CRLF.
    /// `0` means unknown (rows stored before this field existed): compute it from the blob then.
    #[serde(default)]
    pub wire_size: u64,
}

/// IMAP ENVELOPE (RFC 9051 §7.5.2), with strings decoded to UTF-8 (RFC 2047 words resolved).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Raw Date header value.
    pub date: Option<String>,
    pub subject: Option<String>,
    pub from: Vec<Address>,
    pub sender: Vec<Address>,
    pub reply_to: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub bcc: Vec<Address>,
    pub in_reply_to: Option<String>,
    pub message_id: Option<String>,
}

/// One address of an ENVELOPE address list; a group is a `group_start` entry followed by members
/// and a `group_end` entry (RFC 9051 §7.5.2 group syntax).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: Option<String>,
    pub mailbox: Option<String>,
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub group_start: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub group_end: bool,
}

/// A MIME part: what BODYSTRUCTURE reports, plus byte offsets into the raw message so that
/// BODY[section] can be cut from the blob without parsing it again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyPart {
    /// Lower-case media type, e.g. `text`.
    pub media_type: String,
    /// Lower-case subtype, e.g. `plain`.
    pub subtype: String,
    /// Content-Type parameters in order (name lower-cased).
    pub params: Vec<(String, String)>,
    pub id: Option<String>,
    pub description: Option<String>,
    /// Content-Transfer-Encoding, upper-cased; `7BIT` when absent.
    pub encoding: String,
    /// Octets of the encoded body of this part.
    pub size: u64,
    /// Lines of the body, for `text/*` and `message/rfc822` parts.
    pub lines: u64,
    pub md5: Option<String>,
    /// Content-Disposition value (lower-case) and its parameters.
    pub disposition: Option<(String, Vec<(String, String)>)>,
    pub language: Vec<String>,
    pub location: Option<String>,
    /// Offset of this part's header in the raw message.
    pub header_start: u64,
    /// Offset of this part's body (just after the blank line ending the header).
    pub body_start: u64,
    /// Offset just past this part's body.
    pub body_end: u64,
    /// Octets of the body once its transfer encoding is removed (BINARY.SIZE, RFC 3516).
    pub decoded_size: u64,
    /// Sub-parts of a multipart, or the one encapsulated message of a `message/rfc822` part.
    pub parts: Vec<BodyPart>,
    /// Envelope of an encapsulated `message/rfc822` part.
    pub envelope: Option<Box<Envelope>>,
}

/// Decoded header fields for SORT, THREAD and SEARCH.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SortFields {
    /// Date header as Unix seconds, when it parses.
    pub sent_date: Option<i64>,
    /// Subject decoded to UTF-8.
    pub subject: String,
    /// RFC 5256 base subject (re/fwd prefixes and [blob]s removed), for SORT SUBJECT and THREAD.
    pub base_subject: String,
    /// First From address, `mailbox@host`, lower-case (SORT FROM uses the mailbox part).
    pub from: String,
    /// First From display name, or the address (RFC 5957 DISPLAYFROM).
    pub from_display: String,
    /// First To address, lower-case.
    pub to: String,
    pub to_display: String,
    /// First Cc address, lower-case.
    pub cc: String,
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// Whether the message has an attachment (for clients and the web UI).
    pub has_attachment: bool,
}
