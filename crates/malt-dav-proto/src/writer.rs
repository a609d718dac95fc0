//! Writing element trees as XML.
//!
//! Namespaces: the well-known ones (`name::ROOT_PREFIXES`) get their prefixes where
//! the root declares them; any other namespace is made the default namespace of the element that
//! uses it (`<color xmlns="urn:x">`), and an element without a namespace under such a default
//! writes `xmlns=""`. Attributes of other namespaces get a prefix declared on their element.
//! So every name a reader resolves is the name in the tree, whatever the tree holds.
//!
//! Escaping: `&`, `<`, `>` in text; also `"`, tab, LF in attribute values; CR everywhere as
//! `&#13;` (so the CRLF of iCalendar and vCard data survives the reader's line-end
//! normalisation). Characters XML cannot carry at all (controls other than tab, LF, CR; U+FFFE,
//! U+FFFF) are written as U+FFFD.

use crate::name::{Name, ROOT_PREFIXES, XML};
use crate::tree::{Element, Node};

/// The XML declaration every document starts with.
pub(crate) const DECLARATION: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

/// The namespaces in scope where an element is written.
#[derive(Clone, Copy)]
pub(crate) struct Scope<'a> {
    /// Prefixes declared by an ancestor (the root).
    pub(crate) prefixes: &'a [(&'a str, &'a str)],
    /// The default namespace in scope (empty: none).
    pub(crate) default: &'a str,
}

impl<'a> Scope<'a> {
    /// The scope under a root that declared every [`ROOT_PREFIXES`] and no default namespace.
    pub(crate) const ROOT: Scope<'static> = Scope {
        prefixes: ROOT_PREFIXES,
        default: "",
    };

    fn prefix(&self, ns: &str) -> Option<&'a str> {
        self.prefixes.iter().find(|(_, uri)| *uri == ns).map(|(p, _)| *p)
    }
}

/// Text content, escaped.
pub(crate) fn text(out: &mut Vec<u8>, s: &str) {
    escape(out, s, false);
}

/// Whether byte `b` may need replacing: `&`, `<`, `>`, CR, and in attributes `"`, LF, tab; the
/// controls XML cannot carry; and `EF`, the first byte of U+FFFE and U+FFFF. Any other byte is
/// copied as it is (every other character is one XML allows).
fn may_need_replacing(b: u8) -> bool {
    b < 0x20 || matches!(b, b'&' | b'<' | b'>' | b'"' | 0xEF)
}

/// What the character of `s` at byte `i` is written as when it cannot go as it is, with its
/// length in bytes; `None`: as it is.
fn replacement(s: &[u8], i: usize, attribute: bool) -> Option<(&'static [u8], usize)> {
    let b = *s.get(i)?;
    let r: &'static [u8] = match b {
        b'&' => b"&amp;",
        b'<' => b"&lt;",
        b'>' => b"&gt;",
        b'\r' => b"&#13;",
        b'"' if attribute => b"&quot;",
        b'\n' if attribute => b"&#10;",
        b'\t' if attribute => b"&#9;",
        b'\n' | b'\t' => return None,
        0..0x20 => "\u{FFFD}".as_bytes(),
        0xEF if matches!(s.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])) => {
            return Some(("\u{FFFD}".as_bytes(), 3));
        }
        _ => return None,
    };
    Some((r, 1))
}

/// `s` escaped into `out`: runs of bytes that need nothing are copied whole
/// (text is mostly such runs: calendar data, hrefs), the others replaced one by one.
fn escape(out: &mut Vec<u8>, s: &str, attribute: bool) {
    let bytes = s.as_bytes();
    let mut copied = 0;
    let mut i = 0;
    while let Some(next) = bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| may_need_replacing(b)))
    {
        i += next;
        match replacement(bytes, i, attribute) {
            None => i += 1,
            Some((r, len)) => {
                out.extend_from_slice(bytes.get(copied..i).unwrap_or_default());
                out.extend_from_slice(r);
                i += len;
                copied = i;
            }
        }
    }
    out.extend_from_slice(bytes.get(copied..).unwrap_or_default());
}

/// A qualified name as written: `prefix:local`, or `local`.
#[derive(Clone, Copy)]
struct QName<'a> {
    prefix: Option<&'a str>,
    local: &'a str,
}

impl QName<'_> {
    fn write(self, out: &mut Vec<u8>) {
        if let Some(p) = self.prefix {
            out.extend_from_slice(p.as_bytes());
            out.push(b':');
        }
        out.extend_from_slice(self.local.as_bytes());
    }
}

fn attribute(out: &mut Vec<u8>, name: QName<'_>, value: &str) {
    out.push(b' ');
    name.write(out);
    out.extend_from_slice(b"=\"");
    escape(out, value, true);
    out.push(b'"');
}

/// `xmlns:prefix="uri"`.
fn declaration(out: &mut Vec<u8>, prefix: &str, uri: &str) {
    let name = QName {
        prefix: Some("xmlns"),
        local: prefix,
    };
    attribute(out, name, uri);
}

/// Writes the start tag of `e` (without the closing `>`), with `declare` declared on it; returns
/// the qualified name to close it with and the default namespace of its content.
fn open<'a>(
    out: &mut Vec<u8>,
    e: &'a Element,
    scope: Scope<'a>,
    declare: &[(&'a str, &'a str)],
) -> (QName<'a>, Option<&'a str>) {
    let local = e.name.local.as_str();
    let (qname, new_default) = match scope.prefix(&e.name.ns).or_else(|| declared(declare, &e.name.ns)) {
        Some(p) => (
            QName {
                prefix: Some(p),
                local,
            },
            None,
        ),
        None if e.name.ns == scope.default => (QName { prefix: None, local }, None),
        None => (QName { prefix: None, local }, Some(e.name.ns.as_str())),
    };
    out.push(b'<');
    qname.write(out);
    for (p, uri) in declare {
        declaration(out, p, uri);
    }
    if let Some(ns) = new_default {
        let xmlns = QName {
            prefix: None,
            local: "xmlns",
        };
        attribute(out, xmlns, ns);
    }
    for (i, a) in e.attrs.iter().enumerate() {
        let n = &a.name;
        let local = n.local.as_str();
        let own_prefix;
        let prefix = if n.ns.is_empty() {
            None
        } else if n.ns == XML {
            Some("xml")
        } else if let Some(p) = scope.prefix(&n.ns).or_else(|| declared(declare, &n.ns)) {
            Some(p)
        } else {
            own_prefix = format!("a{i}");
            declaration(out, &own_prefix, &n.ns);
            Some(own_prefix.as_str())
        };
        attribute(out, QName { prefix, local }, &a.value);
    }
    (qname, new_default)
}

fn declared<'d>(declare: &[(&'d str, &str)], ns: &str) -> Option<&'d str> {
    declare.iter().find(|(_, uri)| *uri == ns).map(|(p, _)| *p)
}

/// Writes `e` and its content in `scope`, declaring `declare` on it.
pub(crate) fn element(out: &mut Vec<u8>, e: &Element, scope: Scope<'_>, declare: &[(&str, &str)]) {
    let (qname, new_default) = open(out, e, scope, declare);
    if e.children.is_empty() {
        out.extend_from_slice(b"/>");
        return;
    }
    out.push(b'>');
    let inner = Scope {
        prefixes: scope.prefixes,
        default: new_default.unwrap_or(scope.default),
    };
    let mut merged_prefixes: Vec<(&str, &str)>;
    let inner = if declare.is_empty() {
        inner
    } else {
        merged_prefixes = scope.prefixes.to_vec();
        merged_prefixes.extend_from_slice(declare);
        Scope {
            prefixes: &merged_prefixes,
            default: inner.default,
        }
    };
    for n in &e.children {
        match n {
            Node::Text(t) => text(out, t),
            Node::Element(c) => element(out, c, inner, &[]),
        }
    }
    out.extend_from_slice(b"</");
    qname.write(out);
    out.push(b'>');
}

/// The well-known namespaces used anywhere in `e` (element or attribute names), with their
/// prefixes, in [`ROOT_PREFIXES`] order.
fn used_prefixes(e: &Element) -> Vec<(&'static str, &'static str)> {
    fn visit(e: &Element, used: &mut [bool]) {
        let names = std::iter::once(&e.name).chain(e.attrs.iter().map(|a| &a.name));
        for n in names {
            if let Some(i) = ROOT_PREFIXES.iter().position(|(_, uri)| *uri == n.ns)
                && let Some(flag) = used.get_mut(i)
            {
                *flag = true;
            }
        }
        for c in e.elements() {
            visit(c, used);
        }
    }
    let mut used = vec![false; ROOT_PREFIXES.len()];
    visit(e, &mut used);
    ROOT_PREFIXES
        .iter()
        .zip(used)
        .filter(|(_, u)| *u)
        .map(|(p, _)| *p)
        .collect()
}

/// `e` as a standalone XML fragment (no declaration), declaring only the namespaces it uses:
/// the stored form of a dead property, which [`crate::parse_document`] reads back as `e`.
pub fn element_to_xml(e: &Element) -> String {
    let mut out = Vec::new();
    let declare = used_prefixes(e);
    element(
        &mut out,
        e,
        Scope {
            prefixes: &[],
            default: "",
        },
        &declare,
    );
    String::from_utf8_lossy(&out).into_owned()
}

/// A whole document whose root is `root`, every well-known namespace declared on it.
pub fn document(root: &Element) -> Vec<u8> {
    let mut out = DECLARATION.to_vec();
    element(
        &mut out,
        root,
        Scope {
            prefixes: &[],
            default: "",
        },
        ROOT_PREFIXES,
    );
    out
}

/// Opens the root element `name` (declaring every well-known namespace) for a document written
/// piece by piece; returns the qualified name to close it with.
pub(crate) fn open_root(out: &mut Vec<u8>, name: &Name) -> String {
    out.extend_from_slice(DECLARATION);
    let root = Element::new(name.clone());
    let (qname, _) = open(
        out,
        &root,
        Scope {
            prefixes: &[],
            default: "",
        },
        ROOT_PREFIXES,
    );
    out.push(b'>');
    let mut written = Vec::new();
    qname.write(&mut written);
    String::from_utf8_lossy(&written).into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::name::{CALDAV, DAV};
    use crate::reader::{Limits, parse_document};
    use crate::tree::Attribute;

    fn round_trip(e: &Element) {
        let fragment = element_to_xml(e);
        assert_eq!(
            &parse_document(fragment.as_bytes(), &Limits::default()).unwrap(),
            e,
            "{fragment}"
        );
        let doc = document(e);
        assert_eq!(&parse_document(&doc, &Limits::default()).unwrap(), e);
    }

    #[test]
    fn namespaces_of_every_kind() {
        let e = Element::new(Name::new("urn:x", "color"))
            .with_child(Element::new(Name::new("", "plain")).with_text("a"))
            .with_child(Element::new(Name::new("urn:x", "same")))
            .with_child(Element::new(Name::new("urn:y", "other")).with_child(Element::new(Name::dav("href"))))
            .with_child(Element::new(Name::caldav("comp")).with_attr("name", "VEVENT"));
        round_trip(&e);
        let fragment = element_to_xml(&e);
        assert!(
            fragment.starts_with("<color xmlns:D=\"DAV:\" xmlns:C=\""),
            "{fragment}"
        );
        assert!(fragment.contains("<plain xmlns=\"\">a</plain>"), "{fragment}");
    }

    #[test]
    fn escaping() {
        let e = Element::new(Name::dav("x"))
            .with_text("a<b>&c\r\nd\u{1}\"'")
            .with_attr("q", "\"<&>\t\n\r'");
        let fragment = element_to_xml(&e);
        assert_eq!(
            fragment,
            "<D:x xmlns:D=\"DAV:\" q=\"&quot;&lt;&amp;&gt;&#9;&#10;&#13;'\">a&lt;b&gt;&amp;c&#13;\nd\u{FFFD}\"'</D:x>"
        );
        let back = parse_document(fragment.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(
            back.text(),
            "a<b>&c\r\nd\u{FFFD}\"'",
            "CR survives; a control character cannot"
        );
        assert_eq!(back.attr("q"), Some("\"<&>\t\n\r'"));
    }

    /// Escaping one character at a time, as the writer once did: the definition the run-copying
    /// [`escape`] must agree with.
    fn escape_by_char(s: &str, attribute: bool) -> String {
        s.chars()
            .map(|c| match c {
                '&' => "&amp;".to_owned(),
                '<' => "&lt;".to_owned(),
                '>' => "&gt;".to_owned(),
                '\r' => "&#13;".to_owned(),
                '"' if attribute => "&quot;".to_owned(),
                '\n' if attribute => "&#10;".to_owned(),
                '\t' if attribute => "&#9;".to_owned(),
                c if !crate::reader::is_xml_char(c) => "\u{FFFD}".to_owned(),
                c => c.to_string(),
            })
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn escape_agrees_with_escaping_by_character(
            s in "([a-z<>&\"'\r\n\t\u{0}-\u{1f}\u{7f}-\u{a0}\u{fffd}-\u{ffff}\u{10000}]|\\PC){0,40}",
            attribute: bool,
        ) {
            let mut out = Vec::new();
            escape(&mut out, &s, attribute);
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), escape_by_char(&s, attribute));
        }
    }

    #[test]
    fn namespaced_attributes() {
        let mut e = Element::new(Name::new("urn:x", "p"));
        e.attrs = vec![
            Attribute {
                name: Name::new("urn:z", "a"),
                value: "1".into(),
            },
            Attribute {
                name: Name::new(XML, "lang"),
                value: "en".into(),
            },
            Attribute {
                name: Name::new(DAV, "b"),
                value: "2".into(),
            },
            Attribute {
                name: Name::new(CALDAV, "c"),
                value: "3".into(),
            },
        ];
        round_trip(&e);
    }
}
