//! `mailto:` URIs (RFC 6068 §2), the one notification method of `enotify` this engine supports
//! (RFC 5436): parsed and checked here for the interpreter (`valid_notify_method`, `notify`) and
//! for the caller that sends the notification.
//!
//! Invariants: a parsed URI names at least one recipient, every recipient is an address; percent
//! escapes decode to UTF-8 or the URI is refused; nothing here panics on any input.

use crate::address;

/// A parsed `mailto:` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailto {
    /// Every recipient, from the path and the `to`/`cc`/`bcc` fields.
    pub recipients: Vec<String>,
    /// The other header fields (`subject`, `body`, ...), names lowercased.
    pub fields: Vec<(String, String)>,
}

/// Parse and check a `mailto:` URI (RFC 6068 §2).
pub fn parse_mailto(uri: &str) -> Option<Mailto> {
    let (scheme, rest) = uri.split_once(':')?;
    if !scheme.eq_ignore_ascii_case("mailto") || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut mailto = Mailto {
        recipients: Vec::new(),
        fields: Vec::new(),
    };
    add_recipients(&mut mailto.recipients, &percent_decode(path)?)?;
    for field in query.split('&').filter(|f| !f.is_empty()) {
        let (name, value) = field.split_once('=')?;
        let name = percent_decode(name)?.to_ascii_lowercase();
        let value = percent_decode(value)?;
        if name.is_empty() {
            return None;
        }
        match name.as_str() {
            "to" | "cc" | "bcc" => add_recipients(&mut mailto.recipients, &value)?,
            _ => mailto.fields.push((name, value)),
        }
    }
    (!mailto.recipients.is_empty()).then_some(mailto)
}

/// Add the comma-separated addresses of `list`; `None` when one is not an address.
fn add_recipients(recipients: &mut Vec<String>, list: &str) -> Option<()> {
    for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        recipients.push(address::parse_single(item)?.all());
    }
    Some(())
}

/// `%XX` decoding (RFC 3986 §2.1); `None` on a bad escape or a result that is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailto_uris() {
        let m =
            parse_mailto("mailto:alice@example.org,bob%40example.org?subject=Hi%20there&cc=c@d.e").unwrap();
        assert_eq!(m.recipients, ["alice@example.org", "bob@example.org", "c@d.e"]);
        assert_eq!(m.fields, [("subject".to_string(), "Hi there".to_string())]);
        assert_eq!(parse_mailto("MAILTO:?to=a@b.c").unwrap().recipients, ["a@b.c"]);
        for bad in [
            "mailto:",
            "mailto:?subject=x",
            "mailto:not-an-address",
            "mailto:a@b.c?subject",
            "mailto:a@b.c?x=%zz",
            "mailto:a@b.c?x=%C3",
            "mailto:a b@c.d",
            "xmpp:a@b.c",
            "a@b.c",
        ] {
            assert_eq!(parse_mailto(bad), None, "{bad}");
        }
    }
}
