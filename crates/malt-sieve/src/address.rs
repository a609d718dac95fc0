//! Addresses as Sieve sees them: RFC 5322 §3.4 address lists for the `address` test (groups,
//! comments, quoted local parts, route addresses), single addresses for `redirect`, vacation
//! `:from` and `mailto:` (RFC 5228 §4.2), and the address parts of RFC 5228 §2.7.4 and RFC 5233
//! (`:user`/`:detail`, separator `+`).
//!
//! Invariants: parsing never fails as a whole — an item that is not an address becomes
//! [`ParsedAddress::Invalid`], which only `:all` sees (RFC 5228 §2.7.4); a group contributes its
//! members and nothing for its name, so `undisclosed-recipients:;` holds no address; every loop
//! walks the input once.

use crate::ir::AddressPart;

/// The `:user`/`:detail` separator (RFC 5233 §4).
pub const DETAIL_SEPARATOR: char = '+';

/// One entry of an address list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedAddress {
    Mailbox(Mailbox),
    /// Text that is not an address, trimmed; matched only by `:all`.
    Invalid(String),
}

/// A syntactically valid mailbox address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// The local part without quotes or escapes.
    pub local: String,
    /// The local part as written (quotes kept), for `:all`.
    pub local_written: String,
    pub domain: String,
}

impl Mailbox {
    /// `local@domain` as written (RFC 5228 §2.7.4 `:all`).
    pub fn all(&self) -> String {
        format!("{}@{}", self.local_written, self.domain)
    }
}

impl ParsedAddress {
    /// The requested part; `None` when this address has no such part (an invalid address has
    /// only `:all`, one without the separator has no `:detail`).
    pub fn part(&self, part: AddressPart) -> Option<String> {
        match self {
            ParsedAddress::Invalid(text) => (part == AddressPart::All).then(|| text.clone()),
            ParsedAddress::Mailbox(mailbox) => mailbox_part(mailbox, part),
        }
    }
}

/// One part of a mailbox.
fn mailbox_part(mailbox: &Mailbox, part: AddressPart) -> Option<String> {
    match part {
        AddressPart::All => Some(mailbox.all()),
        AddressPart::LocalPart => Some(mailbox.local.clone()),
        AddressPart::Domain => Some(mailbox.domain.clone()),
        AddressPart::User => Some(
            mailbox
                .local
                .split_once(DETAIL_SEPARATOR)
                .map_or(mailbox.local.as_str(), |(user, _)| user)
                .to_string(),
        ),
        AddressPart::Detail => mailbox
            .local
            .split_once(DETAIL_SEPARATOR)
            .map(|(_, detail)| detail.to_string()),
    }
}

/// Parse an address-list header value (raw, unfolded or not) into its entries.
pub fn parse_list(value: &str) -> Vec<ParsedAddress> {
    split_items(value)
        .into_iter()
        .filter_map(|item| parse_item(&item))
        .collect()
}

/// One address alone (`a@b.c` or `Name <a@b.c>`), for `redirect`, vacation `:from` and `mailto`.
pub fn parse_single(text: &str) -> Option<Mailbox> {
    let mut entries = parse_list(text);
    match (entries.pop(), entries.is_empty()) {
        (Some(ParsedAddress::Mailbox(mailbox)), true) => Some(mailbox),
        _ => None,
    }
}

/// An envelope address (RFC 5228 §5.4): no brackets, no display name; not split at commas.
pub fn parse_envelope(text: &str) -> ParsedAddress {
    let text = text.trim();
    let inner = text
        .strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(text);
    match parse_addr_spec(inner) {
        Some(mailbox) => ParsedAddress::Mailbox(mailbox),
        None => ParsedAddress::Invalid(text.to_string()),
    }
}

/// Split a list at top-level commas; a group (`name: a, b;`) gives its members.
fn split_items(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut scanner = Scanner::default();
    for c in value.chars() {
        if scanner.at_top_level() {
            match c {
                ',' => {
                    items.push(std::mem::take(&mut current));
                    continue;
                }
                // A group's display name ends here: drop it, keep its members.
                ':' if !scanner.in_group => {
                    scanner.in_group = true;
                    current.clear();
                    continue;
                }
                ';' if scanner.in_group => {
                    scanner.in_group = false;
                    items.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            }
        }
        scanner.step(c);
        current.push(c);
    }
    items.push(current);
    items
}

/// Where a character of a header value stands: in a quoted string, comment, angle address or
/// domain literal (RFC 5322 §3.2).
#[derive(Default)]
struct Scanner {
    quoted: bool,
    escaped: bool,
    comment_depth: usize,
    angle: bool,
    literal: bool,
    in_group: bool,
}

impl Scanner {
    fn at_top_level(&self) -> bool {
        !self.quoted && self.comment_depth == 0 && !self.angle && !self.literal && !self.escaped
    }

    fn step(&mut self, c: char) {
        if self.escaped {
            self.escaped = false;
            return;
        }
        match c {
            '\\' if self.quoted || self.comment_depth > 0 => self.escaped = true,
            '"' if self.comment_depth == 0 => self.quoted = !self.quoted,
            _ if self.quoted => {}
            '(' => self.comment_depth += 1,
            ')' if self.comment_depth > 0 => self.comment_depth -= 1,
            _ if self.comment_depth > 0 => {}
            '[' => self.literal = true,
            ']' => self.literal = false,
            '<' if !self.literal => self.angle = true,
            '>' if !self.literal => self.angle = false,
            _ => {}
        }
    }
}

/// One list item: a mailbox, an invalid entry, or nothing (empty item).
fn parse_item(item: &str) -> Option<ParsedAddress> {
    let clean = strip_comments(item);
    let clean = clean.trim();
    if clean.is_empty() {
        return None;
    }
    let parsed = match find_unquoted(clean, '<') {
        Some(open) => {
            let (_, rest) = clean.split_at_checked(open)?;
            let rest = rest.get(1..)?;
            match find_unquoted(rest, '>') {
                Some(close) if rest.get(close + 1..).is_some_and(|t| t.trim().is_empty()) => {
                    rest.get(..close).map(strip_route).and_then(parse_addr_spec)
                }
                _ => None,
            }
        }
        None => parse_addr_spec(clean),
    };
    Some(match parsed {
        Some(mailbox) => ParsedAddress::Mailbox(mailbox),
        None => ParsedAddress::Invalid(collapse_space(item.trim())),
    })
}

/// `@a,@b:local@domain` → `local@domain` (obsolete route, RFC 5322 §4.4).
fn strip_route(angle: &str) -> &str {
    let trimmed = angle.trim();
    if trimmed.starts_with('@') {
        trimmed.split_once(':').map_or(trimmed, |(_, rest)| rest)
    } else {
        trimmed
    }
}

/// RFC 5322 §3.4.1 addr-spec: local part (dot-atom or quoted string) `@` domain (dot-atom or
/// domain literal).
fn parse_addr_spec(text: &str) -> Option<Mailbox> {
    let text = text.trim();
    let at = rfind_unquoted(text, '@')?;
    let (local_written, domain) = text.split_at_checked(at)?;
    let domain = domain.get(1..)?.trim();
    let local_written = local_written.trim();
    let local = unquote_local(local_written)?;
    if !valid_domain(domain) {
        return None;
    }
    Some(Mailbox {
        local,
        local_written: local_written.to_string(),
        domain: domain.to_string(),
    })
}

/// The local part without quotes; `None` when it is neither a dot-atom nor quoted strings.
fn unquote_local(written: &str) -> Option<String> {
    if written.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(written.len());
    let mut chars = written.chars();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => out.push(chars.next()?),
            _ if quoted => out.push(c),
            _ if is_atext(c) || c == '.' => out.push(c),
            _ => return None,
        }
    }
    (!quoted).then_some(out)
}

fn valid_domain(domain: &str) -> bool {
    if domain.starts_with('[') {
        return domain.ends_with(']') && domain.len() >= 2;
    }
    !domain.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain.chars().all(|c| is_atext(c) || c == '.')
}

/// RFC 5322 §3.2.3 atext, with UTF-8 allowed (RFC 6532 §3.2).
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

/// The text with comments removed (quoted strings kept intact).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut scanner = Scanner::default();
    for c in text.chars() {
        let was_comment = scanner.comment_depth > 0;
        scanner.step(c);
        if !was_comment && scanner.comment_depth == 0 {
            out.push(c);
        } else if !was_comment {
            out.push(' ');
        }
    }
    out
}

fn find_unquoted(text: &str, wanted: char) -> Option<usize> {
    let mut scanner = Scanner::default();
    for (i, c) in text.char_indices() {
        if c == wanted && !scanner.quoted && !scanner.escaped {
            return Some(i);
        }
        scanner.step(c);
    }
    None
}

fn rfind_unquoted(text: &str, wanted: char) -> Option<usize> {
    let mut scanner = Scanner::default();
    let mut found = None;
    for (i, c) in text.char_indices() {
        if c == wanted && !scanner.quoted && !scanner.escaped && !scanner.literal {
            found = Some(i);
        }
        scanner.step(c);
    }
    found
}

/// Runs of whitespace (folding included) as one space.
fn collapse_space(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alls(value: &str) -> Vec<String> {
        parse_list(value)
            .iter()
            .filter_map(|a| a.part(AddressPart::All))
            .collect()
    }

    #[test]
    fn lists_groups_comments_and_routes() {
        assert_eq!(
            alls(r#""Bob, B" <bob+tag@Example.ORG> (comment), g: c@c.com, <d@d.com>;, e@e.com"#),
            ["bob+tag@Example.ORG", "c@c.com", "d@d.com", "e@e.com"]
        );
        assert!(alls("undisclosed-recipients:;").is_empty());
        assert_eq!(alls("<@route,@r2:r@x.de>"), ["r@x.de"]);
        assert_eq!(alls("a@b.c,,d@e.f"), ["a@b.c", "d@e.f"]);
        assert_eq!(alls("=?utf-8?q?J=C3=B6rg?= <j@x.de>"), ["j@x.de"]);
        assert_eq!(alls("a(x)@(y)b.c"), ["a@b.c"]);
    }

    #[test]
    fn invalid_items_are_seen_by_all_only() {
        let list = parse_list("bad address, <>, local, Bob <bob@x.org, c@d.e");
        assert_eq!(
            list,
            [
                ParsedAddress::Invalid("bad address".into()),
                ParsedAddress::Invalid("<>".into()),
                ParsedAddress::Invalid("local".into()),
                // An unclosed angle bracket runs to the end of the value.
                ParsedAddress::Invalid("Bob <bob@x.org, c@d.e".into()),
            ]
        );
        assert_eq!(list[0].part(AddressPart::LocalPart), None);
    }

    #[test]
    fn quoted_local_parts() {
        let list = parse_list(r#""q u"@ex.com, "a\"b"@x.y"#);
        let ParsedAddress::Mailbox(first) = &list[0] else {
            panic!("not a mailbox: {list:?}")
        };
        assert_eq!(first.local, "q u");
        assert_eq!(first.all(), r#""q u"@ex.com"#);
        assert_eq!(list[1].part(AddressPart::LocalPart).unwrap(), "a\"b");
    }

    #[test]
    fn subaddress_parts() {
        let with = parse_envelope("bob+lists+x@example.org");
        assert_eq!(with.part(AddressPart::User).unwrap(), "bob");
        assert_eq!(with.part(AddressPart::Detail).unwrap(), "lists+x");
        let empty = parse_envelope("bob+@example.org");
        assert_eq!(empty.part(AddressPart::Detail).unwrap(), "");
        let without = parse_envelope("bob@example.org");
        assert_eq!(without.part(AddressPart::User).unwrap(), "bob");
        assert_eq!(without.part(AddressPart::Detail), None);
    }

    #[test]
    fn single_addresses() {
        assert_eq!(parse_single("a@b.c").unwrap().all(), "a@b.c");
        assert_eq!(parse_single("Al <a@b.c>").unwrap().all(), "a@b.c");
        for bad in ["", "a", "a@", "@b", "a@b..c", "a@b.c, d@e.f", "a b@c.d", "a@b c"] {
            assert_eq!(parse_single(bad), None, "{bad}");
        }
    }
}
