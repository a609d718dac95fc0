//! Content-Transfer-Encoding removal for FETCH BINARY and BINARY.SIZE (RFC 3516 §4.2, RFC 9051
//! §6.4.5).
//!
//! Invariants:
//! - BASE64 and QUOTED-PRINTABLE are decoded (mail-parser's decoders); 7BIT, 8BIT and BINARY are
//!   identities and the octets are returned as stored.
//! - Multipart and `message/rfc822` parts (and `BINARY[]`, the whole message) can only carry an
//!   identity encoding (RFC 2045 §6.4), so their content is returned as stored, like `BODY[part]`.
//! - Any other encoding is [`Decoded::UnknownCte`]: the FETCH fails with `NO [UNKNOWN-CTE]`
//!   (RFC 3516 §4.3). Data that does not decode under its declared encoding is
//!   [`Decoded::Corrupt`].
//! - Decoded `text/*` parts use CRLF line ends (RFC 3516 §4.2: "servers MUST ensure that textual
//!   line-oriented sections are always transmitted using the IMAP4 CRLF line termination syntax").
//! - BINARY.SIZE is the length of exactly what BINARY returns (computed the same way).

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use malt_store::meta::BodyPart;

use crate::op::fetch::find_part;

/// The outcome of decoding one part.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// The content without its transfer encoding.
    Data(Vec<u8>),
    /// No such part: the item is NIL.
    Missing,
    /// The part's encoding is not one this server knows.
    UnknownCte(String),
    /// The content does not decode under its declared encoding.
    Corrupt(String),
}

/// The octets `from..to` of `raw`, clamped to it (offsets come from stored metadata).
pub(crate) fn octets(raw: &[u8], from: u64, to: u64) -> &[u8] {
    let from = usize::try_from(from).unwrap_or(usize::MAX).min(raw.len());
    let to = usize::try_from(to).unwrap_or(usize::MAX).min(raw.len()).max(from);
    raw.get(from..to).unwrap_or_default()
}

/// Bare LF (and lone CR) to CRLF.
fn crlf(data: Vec<u8>) -> Vec<u8> {
    if !data.iter().any(|&b| b == b'\n' || b == b'\r') {
        return data;
    }
    let mut out = Vec::with_capacity(data.len() + data.len() / 32);
    let mut iter = data.iter().copied().peekable();
    while let Some(b) = iter.next() {
        match b {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if iter.peek() == Some(&b'\n') {
                    iter.next();
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            other => out.push(other),
        }
    }
    out
}

/// Removes the transfer encoding `encoding` (upper-case) from `body`.
pub(crate) fn decode(encoding: &str, body: &[u8]) -> Result<Vec<u8>, Decoded> {
    match encoding {
        "7BIT" | "8BIT" | "BINARY" | "" => Ok(body.to_vec()),
        "BASE64" => base64_decode(body).ok_or_else(|| Decoded::Corrupt("invalid base64 content".into())),
        "QUOTED-PRINTABLE" => quoted_printable_decode(body)
            .ok_or_else(|| Decoded::Corrupt("invalid quoted-printable content".into())),
        other => Err(Decoded::UnknownCte(other.to_owned())),
    }
}

/// The encoding of `part` when it is one [`decode`] does not know (checked from the metadata, before
/// any octet is read or any flag changes).
pub(crate) fn unknown_cte(root: &BodyPart, part: &[u32]) -> Option<String> {
    let p = find_part(root, part).filter(|_| !part.is_empty())?;
    let composite = p.media_type == "multipart" || (p.media_type == "message" && p.subtype == "rfc822");
    match decode(&p.encoding, &[]) {
        Err(Decoded::UnknownCte(cte)) if !composite => Some(cte),
        _ => None,
    }
}

/// The content of `part` (part numbers, empty for the whole message) of `raw`, transfer encoding
/// removed (RFC 3516 §4.2).
pub(crate) fn binary_section(raw: &[u8], root: &BodyPart, part: &[u32]) -> Decoded {
    if part.is_empty() {
        return Decoded::Data(raw.to_vec());
    }
    let Some(p) = find_part(root, part) else {
        return Decoded::Missing;
    };
    let body = octets(raw, p.body_start, p.body_end);
    if p.media_type == "multipart" || (p.media_type == "message" && p.subtype == "rfc822") {
        return Decoded::Data(body.to_vec());
    }
    match decode(&p.encoding, body) {
        Ok(d) if p.media_type == "text" && p.encoding != "7BIT" && p.encoding != "8BIT" => {
            Decoded::Data(crlf(d))
        }
        Ok(d) => Decoded::Data(d),
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Property: base64 and QP encodings of arbitrary octets decode back to them.
    #[test]
    fn encodings_round_trip() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..300 {
            let len = (next() % 400) as usize + round % 3;
            let data: Vec<u8> = (0..len).map(|_| (next() & 0xff) as u8).collect();
            // base64 with 76-character lines.
            let b64 = b64_encode(&data);
            assert_eq!(decode("BASE64", &b64).unwrap(), data, "base64 round {round}");
            // quoted-printable: every octet escaped except plain letters, soft breaks every 60 chars.
            let qp = qp_encode(&data);
            assert_eq!(decode("QUOTED-PRINTABLE", &qp).unwrap(), data, "qp round {round}");
        }
    }

    fn b64_encode(data: &[u8]) -> Vec<u8> {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = Vec::new();
        let mut line = 0;
        for chunk in data.chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            out.push(A[(n >> 18) as usize & 63]);
            out.push(A[(n >> 12) as usize & 63]);
            out.push(if chunk.len() > 1 {
                A[(n >> 6) as usize & 63]
            } else {
                b'='
            });
            out.push(if chunk.len() > 2 { A[n as usize & 63] } else { b'=' });
            line += 4;
            if line >= 76 {
                out.extend_from_slice(b"\r\n");
                line = 0;
            }
        }
        out
    }

    fn qp_encode(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut line = 0;
        for &b in data {
            if b.is_ascii_alphanumeric() {
                out.push(b);
                line += 1;
            } else {
                out.extend_from_slice(format!("={b:02X}").as_bytes());
                line += 3;
            }
            if line >= 60 {
                out.extend_from_slice(b"=\r\n");
                line = 0;
            }
        }
        out
    }

    #[test]
    fn identities_unknown_and_corrupt() {
        assert_eq!(decode("8BIT", b"caf\xc3\xa9").unwrap(), b"caf\xc3\xa9");
        assert_eq!(decode("BINARY", b"a\0b").unwrap(), b"a\0b");
        assert_eq!(
            decode("X-UUENCODE", b"x"),
            Err(Decoded::UnknownCte("X-UUENCODE".into()))
        );
        assert!(matches!(decode("BASE64", b"!!!!"), Err(Decoded::Corrupt(_))));
        assert_eq!(crlf(b"a\nb\r\nc\rd".to_vec()), b"a\r\nb\r\nc\r\nd");
    }
}
