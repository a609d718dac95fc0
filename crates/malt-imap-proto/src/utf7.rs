//! Modified UTF-7 for mailbox names (RFC 3501 §5.1.3), strict in both directions.
//!
//! Invariants: printable ASCII 0x20-0x7e stands for itself except `&`, written `&-`; any other
//! character is UTF-16 in modified base64 (`+`, `,`) between `&` and `-`. The decoder refuses what
//! a conforming encoder cannot produce (RFC 3501 §5.1.3 "MUST"): encoded printable ASCII, empty
//! `&...-` other than `&-`, adjacent encoded runs, bad padding bits, unpaired surrogates, and raw
//! 8-bit or control octets. So `encode(decode(s)?) == s` for every accepted `s`.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Why a name is not valid modified UTF-7.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid modified UTF-7 mailbox name: {0}")]
pub struct Utf7Error(pub &'static str);

fn is_direct(c: char) -> bool {
    ('\u{20}'..='\u{7e}').contains(&c)
}

/// Encodes a UTF-8 mailbox name to modified UTF-7.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for ch in name.chars() {
        if is_direct(ch) {
            flush(&mut out, &mut pending);
            if ch == '&' {
                out.push_str("&-");
            } else {
                out.push(ch);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(ch.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut pending);
    out
}

fn flush(out: &mut String, pending: &mut Vec<u16>) {
    if pending.is_empty() {
        return;
    }
    out.push('&');
    let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
    let mut bits: u32 = 0;
    let mut nbits = 0u32;
    for b in bytes {
        bits = (bits << 8) | u32::from(b);
        nbits += 8;
        while nbits >= 6 {
            nbits -= 6;
            let idx = ((bits >> nbits) & 0x3f) as usize;
            out.push(char::from(ALPHABET.get(idx).copied().unwrap_or(b'A')));
        }
    }
    if nbits > 0 {
        let idx = ((bits << (6 - nbits)) & 0x3f) as usize;
        out.push(char::from(ALPHABET.get(idx).copied().unwrap_or(b'A')));
    }
    out.push('-');
    pending.clear();
}

fn value(b: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&a| a == b)
        .and_then(|p| u32::try_from(p).ok())
}

/// Decodes a modified UTF-7 mailbox name to UTF-8.
pub fn decode(name: &str) -> Result<String, Utf7Error> {
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    let mut last_was_encoded = false;
    while let Some(&b) = bytes.get(i) {
        if b != b'&' {
            if !(0x20..=0x7e).contains(&b) {
                return Err(Utf7Error("octet outside printable ASCII"));
            }
            out.push(char::from(b));
            i += 1;
            last_was_encoded = false;
            continue;
        }
        let start = i + 1;
        let len = bytes
            .get(start..)
            .unwrap_or_default()
            .iter()
            .position(|&c| c == b'-')
            .ok_or(Utf7Error("unterminated '&'"))?;
        let run = bytes.get(start..start + len).unwrap_or_default();
        i = start + len + 1;
        if run.is_empty() {
            out.push('&');
            last_was_encoded = false;
            continue;
        }
        if last_was_encoded {
            return Err(Utf7Error("adjacent encoded runs"));
        }
        last_was_encoded = true;
        let mut units = Vec::new();
        let mut bits: u32 = 0;
        let mut nbits = 0u32;
        for &c in run {
            let v = value(c).ok_or(Utf7Error("invalid base64 character"))?;
            bits = ((bits << 6) | v) & 0xff_ffff;
            nbits += 6;
            if nbits >= 16 {
                nbits -= 16;
                units.push(((bits >> nbits) & 0xffff) as u16);
            }
        }
        if nbits >= 6 || (bits & ((1 << nbits) - 1)) != 0 {
            return Err(Utf7Error("bad base64 padding"));
        }
        for r in char::decode_utf16(units.iter().copied()) {
            let ch = r.map_err(|_| Utf7Error("unpaired surrogate"))?;
            if is_direct(ch) {
                return Err(Utf7Error("encoded printable ASCII"));
            }
            out.push(ch);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        assert_eq!(
            encode("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(
            decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-").unwrap(),
            "~peter/mail/台北/日本語"
        );
        assert_eq!(encode("Entwürfe"), "Entw&APw-rfe");
        assert_eq!(encode("a&b"), "a&-b");
        assert_eq!(decode("a&-b").unwrap(), "a&b");
        assert_eq!(encode("😀"), "&2D3eAA-");
        assert_eq!(decode("&2D3eAA-").unwrap(), "😀");
        for bad in [
            "&",
            "&AGE-",
            "&U,BTFw-&ZeVnLIqe-",
            "&ZeVnLIqe",
            "a\u{e9}",
            "&2D0-",
            "&A-",
            "&U,BTF-",
        ] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn round_trip(s in "\\PC{0,20}") {
            let enc = encode(&s);
            prop_assert!(enc.bytes().all(|b| (0x20..=0x7e).contains(&b)));
            prop_assert_eq!(decode(&enc).unwrap(), s);
        }

        #[test]
        fn decode_is_strict(s in "[ -~]{0,20}") {
            if let Ok(d) = decode(&s) {
                prop_assert_eq!(encode(&d), s);
            }
        }
    }
}
