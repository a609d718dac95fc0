//! Syntax checks of constant arguments whose form another RFC fixes: header field names (RFC 5322
//! §3.6.8, also used by the interpreter for expanded names), `date` zones and date parts (RFC 5260
//! §4.1, §4.2), special-use flags (RFC 6154 §2), script names (RFC 5804 §1.6) and the headers
//! the `address` test accepts (RFC 5228 §5.1). Pure functions; arguments with variable references
//! are not checked here (the interpreter checks their expanded value). Addresses are checked by
//! [`crate::address::parse_single`], the parser the interpreter uses, so that a constant address
//! accepted here is accepted at run time.

/// RFC 5322 §3.6.8 `field-name = 1*ftext`, `ftext = %d33-57 / %d59-126`.
pub(crate) fn is_field_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
}

/// The offset in minutes east of UTC of a `:zone` argument (RFC 5260 §4.1:
/// `zone = ("+" / "-") 4DIGIT`, hours 00-23, minutes 00-59), or `None` when malformed.
pub(super) fn zone_offset(zone: &str) -> Option<i32> {
    let (sign, digits) = match zone.split_at_checked(1)? {
        ("+", digits) => (1, digits),
        ("-", digits) => (-1, digits),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes) = digits.split_at_checked(2)?;
    let hours: i32 = hours.parse().ok()?;
    let minutes: i32 = minutes.parse().ok()?;
    (hours <= 23 && minutes <= 59).then_some(sign * (hours * 60 + minutes))
}

/// The date parts of RFC 5260 §4.2.
pub(super) const DATE_PARTS: &[&str] = &[
    "year", "month", "day", "date", "julian", "hour", "minute", "second", "time", "iso8601", "std11", "zone",
    "weekday",
];

/// RFC 6154 §2 / RFC 8579 §3: a special-use attribute is `"\" atom`.
pub(super) fn is_special_use(flag: &str) -> bool {
    flag.strip_prefix('\\').is_some_and(|atom| {
        !atom.is_empty()
            && atom
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"(){%*\"\\]".contains(&b))
    })
}

/// RFC 5804 §1.6: a script name is non-empty UTF-8 without control characters (nor U+2028,
/// U+2029); `/` is refused too, since `include` names are never paths (RFC 6609 §3.2).
pub(super) fn is_script_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| !c.is_control() && c != '\u{2028}' && c != '\u{2029}' && c != '/')
}

/// The header fields that hold addresses, which the `address` test accepts (RFC 5228 §5.1:
/// "Implementations MUST restrict the address test to headers that contain addresses"), plus
/// any `X-` field, since many carry addresses (`X-Original-To`).
const ADDRESS_HEADERS: &[&str] = &[
    "from",
    "sender",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "resent-from",
    "resent-sender",
    "resent-to",
    "resent-cc",
    "resent-bcc",
    "resent-reply-to",
    "return-path",
    "delivered-to",
    "envelope-to",
    "errors-to",
    "apparently-to",
    "mail-followup-to",
    "mail-reply-to",
    "disposition-notification-to",
    "original-recipient",
    "list-post",
];

/// Whether the `address` test may look at this header (see [`ADDRESS_HEADERS`]).
pub(super) fn is_address_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ADDRESS_HEADERS.contains(&lower.as_str()) || lower.starts_with("x-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names() {
        assert!(is_field_name("X-Spam-Flag"));
        assert!(!is_field_name(""));
        assert!(!is_field_name("a b"));
        assert!(!is_field_name("a:b"));
        assert!(!is_field_name("é"));
    }

    #[test]
    fn zones() {
        assert_eq!(zone_offset("+0100"), Some(60));
        assert_eq!(zone_offset("-0530"), Some(-330));
        assert_eq!(zone_offset("+0000"), Some(0));
        for bad in ["0100", "+100", "+01000", "+2400", "+0060", "+01a0", "", "+"] {
            assert_eq!(zone_offset(bad), None, "{bad}");
        }
    }

    #[test]
    fn special_use_flags_and_script_names() {
        assert!(is_special_use("\\Junk"));
        assert!(!is_special_use("Junk"));
        assert!(!is_special_use("\\"));
        assert!(!is_special_use("\\Ju nk"));
        assert!(is_script_name("vacation rules"));
        assert!(!is_script_name(""));
        assert!(!is_script_name("a/b"));
        assert!(!is_script_name("a\nb"));
    }

    #[test]
    fn address_headers() {
        assert!(is_address_header("From"));
        assert!(is_address_header("X-Original-To"));
        assert!(!is_address_header("Subject"));
    }
}
