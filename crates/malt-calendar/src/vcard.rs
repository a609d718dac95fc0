//! vCard for CardDAV (RFC 6352): address object resources checked, converted between vCard 3.0
//! (RFC 2426) and 4.0 (RFC 6350), and `addressbook-query` filters evaluated.
//!
//! - An address object resource is one vCard, VERSION 3.0 or 4.0, with a non-empty UID
//!   (RFC 6352 §5.1) and an FN (RFC 6350 §6.2.1); otherwise `CARDDAV:valid-address-data`.
//!   `no-uid-conflict` is the store's to check.
//! - The store keeps what the client sent; [`VCardObject::to_version`] writes the other version
//!   when `address-data` asks for it (RFC 6352 §10.4, calcard's writer does the mapping).
//! - Filters (§10.5): `filter` combines its prop-filters by `test` (anyof by default); a
//!   prop-filter matches when `is-not-defined` and no such property exists, when it is empty and
//!   one exists, or when some property of that name satisfies its text-matches and
//!   param-filters combined by its own `test`; a param-filter is CalDAV's [`ParamFilter`]. Text matches use
//!   [`crate::text`], whose default collation for CardDAV is `i;unicode-casemap`.
//!
//! - [`directory_card`] writes the vCard 4.0 of a directory entry (a person or a group with its
//!   members) for the global address book.
//!
//! Invariant: input is at most [`MAX_VCARD_BYTES`]; matching is linear in the card's size.

use calcard::vcard::{VCard, VCardEntry, VCardKind, VCardProperty, VCardValue, VCardVersion};
use calcard::{Entry, Parser};

use crate::filter::ParamFilter;
use crate::object::{ObjectError, Precondition};
use crate::text::{TextMatch, written_value};

/// Largest vCard accepted, in bytes (photos included).
pub const MAX_VCARD_BYTES: usize = 1024 * 1024;

/// The vCard versions CardDAV serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V3,
    V4,
}

impl Version {
    /// The version named in an `address-data` `version` attribute or a VERSION property.
    pub fn from_name(name: &str) -> Option<Version> {
        match name.trim() {
            "3.0" => Some(Version::V3),
            "4.0" => Some(Version::V4),
            _ => None,
        }
    }

    pub(crate) fn to_calcard(self) -> VCardVersion {
        match self {
            Version::V3 => VCardVersion::V3_0,
            Version::V4 => VCardVersion::V4_0,
        }
    }
}

/// A checked address object resource.
#[derive(Debug, Clone, PartialEq)]
pub struct VCardObject {
    card: VCard,
    uid: String,
    version: Version,
}

impl VCardObject {
    /// Parse and check one vCard (RFC 6352 §5.1).
    pub fn parse(bytes: &[u8]) -> Result<VCardObject, ObjectError> {
        if bytes.len() > MAX_VCARD_BYTES {
            return Err(ObjectError::new(
                Precondition::MaxResourceSize,
                format!("larger than {MAX_VCARD_BYTES} bytes"),
            ));
        }
        let text = std::str::from_utf8(bytes).map_err(|e| invalid(&format!("not UTF-8: {e}")))?;
        let mut parser = Parser::new(text);
        let card = match parser.entry() {
            Entry::VCard(card) => card,
            Entry::Eof => return Err(invalid("empty")),
            _ => return Err(invalid("not a vCard")),
        };
        if !matches!(parser.entry(), Entry::Eof) {
            return Err(invalid("more than one vCard in one resource (RFC 6352 §5.1)"));
        }
        let version = card
            .entries
            .iter()
            .find(|e| e.name == calcard::vcard::VCardProperty::Version)
            .and_then(|e| e.values.first())
            .and_then(VCardValue::as_text)
            .and_then(Version::from_name)
            .ok_or_else(|| invalid("VERSION must be 3.0 or 4.0"))?;
        let uid = match card.uid() {
            Some(uid) if !uid.trim().is_empty() => uid.to_string(),
            _ => return Err(invalid("no UID (RFC 6352 §5.1)")),
        };
        if card.property(&calcard::vcard::VCardProperty::Fn).is_none() {
            return Err(invalid("no FN (RFC 6350 §6.2.1)"));
        }
        Ok(VCardObject { card, uid, version })
    }

    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// The version the client sent.
    pub fn version(&self) -> Version {
        self.version
    }

    pub fn card(&self) -> &VCard {
        &self.card
    }

    /// The FN (formatted name).
    pub fn formatted_name(&self) -> Option<&str> {
        self.card
            .property(&calcard::vcard::VCardProperty::Fn)
            .and_then(|e| e.values.first())
            .and_then(VCardValue::as_text)
    }

    /// The card written as `version` (RFC 6352 §10.4 `address-data` with a version).
    pub fn to_version(&self, version: Version) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.card.write_to(&mut out, version.to_calcard());
        out
    }
}

fn invalid(reason: &str) -> ObjectError {
    ObjectError::new(Precondition::ValidAddressData, reason)
}

/// A directory entry as a vCard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryCard<'a> {
    pub uid: &'a str,
    /// A group (`KIND:group`, RFC 6350 §6.1.4) or a person (`KIND:individual`).
    pub group: bool,
    /// FN (RFC 6350 §6.2.1).
    pub name: &'a str,
    /// EMAIL (RFC 6350 §6.4.2).
    pub email: &'a str,
    /// For a group: the members' addresses, each a `MEMBER:mailto:...` (RFC 6350 §6.6.5).
    pub members: &'a [String],
}

/// The vCard 4.0 text of a directory entry, escaped and folded by calcard's writer.
pub fn directory_card(entry: &DirectoryCard<'_>) -> String {
    let text = |name: VCardProperty, value: &str| VCardEntry::new(name).with_value(value.to_owned());
    let kind = if entry.group {
        VCardKind::Group
    } else {
        VCardKind::Individual
    };
    let mut entries = vec![
        text(VCardProperty::Uid, entry.uid),
        VCardEntry::new(VCardProperty::Kind).with_value(kind),
        text(VCardProperty::Fn, entry.name),
        text(VCardProperty::Email, entry.email),
    ];
    if entry.group {
        entries.extend(
            entry
                .members
                .iter()
                .map(|m| text(VCardProperty::Member, &format!("mailto:{m}"))),
        );
    }
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = VCard { entries }.write_to(&mut out, VCardVersion::V4_0);
    out
}

/// How a list of tests combines (RFC 6352 §10.5 `test` attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Test {
    #[default]
    AnyOf,
    AllOf,
}

impl Test {
    fn combine(self, mut results: impl Iterator<Item = bool>) -> bool {
        match self {
            Test::AnyOf => results.any(|r| r),
            Test::AllOf => results.all(|r| r),
        }
    }
}

/// A `CARDDAV:filter`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressbookFilter {
    pub test: Test,
    pub prop_filters: Vec<CardPropFilter>,
}

/// A `CARDDAV:prop-filter`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CardPropFilter {
    /// Property name (`EMAIL`, `FN`, ...), compared ignoring ASCII case.
    pub name: String,
    pub is_not_defined: bool,
    pub test: Test,
    pub text_matches: Vec<TextMatch>,
    pub param_filters: Vec<ParamFilter>,
}

impl AddressbookFilter {
    /// Does `card` match (RFC 6352 §10.5)? A filter without prop-filters matches every card.
    pub fn matches(&self, card: &VCardObject) -> bool {
        if self.prop_filters.is_empty() {
            return true;
        }
        self.test
            .combine(self.prop_filters.iter().map(|p| p.matches(&card.card)))
    }
}

impl CardPropFilter {
    fn matches(&self, card: &VCard) -> bool {
        let mut properties = card
            .entries
            .iter()
            .filter(|e| e.name.as_str().eq_ignore_ascii_case(&self.name));
        if self.is_not_defined {
            return properties.next().is_none();
        }
        if self.text_matches.is_empty() && self.param_filters.is_empty() {
            return properties.next().is_some();
        }
        properties.any(|entry| {
            let text = property_text(entry);
            let texts = self.text_matches.iter().map(|m| m.matches(&text));
            let params = self.param_filters.iter().map(|p| param_filter_matches(entry, p));
            self.test.combine(texts.chain(params))
        })
    }
}

fn param_filter_matches(entry: &VCardEntry, filter: &ParamFilter) -> bool {
    filter.matches_values(
        entry
            .params
            .iter()
            .filter(|p| p.name.as_str().eq_ignore_ascii_case(&filter.name))
            .map(|p| Some(p.value.clone().into_text())),
    )
}

/// The value of a vCard property as text: text components joined by `;` (structured values
/// such as N and ADR as written), anything else as vCard 4.0 writes it.
fn property_text(entry: &VCardEntry) -> String {
    let texts: Vec<&str> = entry.values.iter().filter_map(VCardValue::as_text).collect();
    if texts.len() == entry.values.len() && !texts.is_empty() {
        return texts.join(";");
    }
    let bare = VCardEntry {
        group: None,
        name: entry.name.clone(),
        params: Vec::new(),
        values: entry.values.clone(),
    };
    let mut written = String::new();
    if bare.write_to(&mut written, true).is_err() {
        return String::new();
    }
    written_value(&written)
}
