//! Reading a body into an element tree, with namespaces resolved (any prefix, default
//! namespaces, `xmlns=""`) and every limit of [`Limits`] enforced while reading, so a hostile
//! body costs at most what the limits allow.
//!
//! Refused: document type declarations (no entity is ever expanded, so no "billion laughs" and
//! no external entity), unknown entities, undeclared prefixes, unclosed or mismatched tags,
//! text outside the root element, invalid UTF-8, and characters XML does not allow (XML 1.0
//! §2.2 `Char`: most C0 controls, U+FFFE, U+FFFF), written or referenced, in text and attribute
//! values. Comments and processing instructions are skipped. Line ends are normalised
//! (XML 1.0 §2.11), so a client's CRLF arrives as LF unless it wrote `&#13;`.

use quick_xml::NsReader;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::ResolveResult;

use crate::error::{DavXmlError, Result};
use crate::name::Name;
use crate::tree::{Attribute, Element, Node};

/// Bounds on what one body may hold. Every parser takes them; each bound has its own error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Octets of the whole body.
    pub max_body: usize,
    /// Element nesting.
    pub max_depth: usize,
    /// Elements in the body.
    pub max_elements: usize,
    /// Octets of one text node (after merging) or attribute value.
    pub max_text: usize,
    /// Properties named in one request (PROPFIND, PROPPATCH, MKCOL, a report's `prop`).
    pub max_props: usize,
    /// `DAV:href` elements in one request (multiget reports).
    pub max_hrefs: usize,
}

impl Default for Limits {
    /// Generous for every client seen (a multiget of a few thousand hrefs, a VTIMEZONE of a few
    /// kilobytes), small enough that a body costs a few megabytes at most.
    fn default() -> Limits {
        Limits {
            max_body: 1024 * 1024,
            max_depth: 32,
            max_elements: 20_000,
            max_text: 256 * 1024,
            max_props: 512,
            max_hrefs: 5_000,
        }
    }
}

impl Limits {
    /// Every size bound lifted, nesting depth kept: for reading back what this codec wrote (a
    /// server's own multistatus in tests, a stored dead property), never a peer's body.
    pub fn trusted() -> Limits {
        Limits {
            max_body: usize::MAX,
            max_elements: usize::MAX,
            max_text: usize::MAX,
            max_props: usize::MAX,
            max_hrefs: usize::MAX,
            ..Limits::default()
        }
    }
}

/// Parses a whole XML document into its root element (see the module doc for what is refused).
pub fn parse_document(body: &[u8], limits: &Limits) -> Result<Element> {
    if body.len() > limits.max_body {
        return Err(DavXmlError::TooLarge(limits.max_body));
    }
    let mut reader = NsReader::from_reader(body);
    reader.config_mut().check_end_names = true;
    let mut tree = TreeBuilder {
        limits,
        stack: Vec::new(),
        root: None,
        elements: 0,
    };
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(malformed)?;
        let ns = namespace(ns)?;
        match event {
            Event::Start(e) => {
                let element = tree.element(&reader, ns, &e)?;
                tree.stack.push(element);
            }
            Event::Empty(e) => {
                let element = tree.element(&reader, ns, &e)?;
                tree.close(element)?;
            }
            Event::End(_) => {
                let element = tree
                    .stack
                    .pop()
                    .ok_or_else(|| DavXmlError::Malformed("end tag without start tag".into()))?;
                tree.close(element)?;
            }
            Event::Text(t) => tree.text(&t.xml10_content().map_err(malformed)?)?,
            Event::CData(t) => tree.text(&t.xml10_content().map_err(malformed)?)?,
            Event::GeneralRef(r) => tree.text(&reference(&r)?)?,
            Event::DocType(_) => return Err(DavXmlError::Doctype),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !tree.stack.is_empty() {
        return Err(DavXmlError::Malformed("unclosed element".into()));
    }
    tree.root
        .ok_or_else(|| DavXmlError::Malformed("no root element".into()))
}

fn malformed(e: impl std::fmt::Display) -> DavXmlError {
    DavXmlError::Malformed(e.to_string())
}

/// A name or namespace URI: UTF-8 of XML characters (XML 1.0 §2.2; a namespace declaration is
/// an attribute value like any other).
fn utf8(bytes: &[u8]) -> Result<String> {
    let s = std::str::from_utf8(bytes).map_err(|_| DavXmlError::Malformed("name is not UTF-8".into()))?;
    xml_chars(s)?;
    Ok(s.to_owned())
}

/// The local part of a name: an NCName (Namespaces in XML 1.0 §3), a Name (XML 1.0 §2.3)
/// without a colon. `a:b:c` would be read as local name `b:c` of prefix `a` and written back as
/// prefix `b`; `/x` as a local name would be written back as an end tag.
fn local_name(bytes: &[u8]) -> Result<String> {
    let local = utf8(bytes)?;
    let mut chars = local.chars();
    let well_formed = chars.next().is_some_and(is_name_start_char) && chars.all(is_name_char);
    if !well_formed {
        return Err(DavXmlError::Malformed(format!("`{local}` is not a local name")));
    }
    Ok(local)
}

/// XML 1.0 §2.3 `NameStartChar`, the colon left out (an NCName's).
fn is_name_start_char(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 §2.3 `NameChar`, the colon left out.
fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// The namespace URI a prefix resolved to (empty: none).
fn namespace(ns: ResolveResult<'_>) -> Result<String> {
    match ns {
        // A namespace name is a URI reference (Namespaces in XML 1.0 §2.2; RFC 3986 §2 has no
        // whitespace, `<`, `>` or `"`). The resolver takes the declaration's raw bytes, so a
        // reference (`&amp;`, `&#58;`) would be misread: refused, like those characters.
        ResolveResult::Bound(n) => {
            let uri = utf8(n.as_ref())?;
            if let Some(c) = uri
                .chars()
                .find(|c| matches!(c, '&' | '<' | '>' | '"' | '\t' | '\n' | '\r'))
            {
                return Err(DavXmlError::Malformed(format!(
                    "{c:?} in the namespace name `{uri}`"
                )));
            }
            Ok(uri)
        }
        ResolveResult::Unbound => Ok(String::new()),
        ResolveResult::Unknown(p) => Err(DavXmlError::Malformed(format!(
            "undeclared prefix `{}`",
            String::from_utf8_lossy(&p)
        ))),
    }
}

/// The text of `&name;` or `&#n;`: only the five predefined entities (there is no DTD) and
/// character references to characters XML allows.
fn reference(r: &BytesRef<'_>) -> Result<String> {
    if let Some(c) = r.resolve_char_ref().map_err(malformed)? {
        if !is_xml_char(c) {
            return Err(DavXmlError::Malformed(format!(
                "character reference to U+{:04X}, not allowed in XML",
                u32::from(c)
            )));
        }
        return Ok(c.to_string());
    }
    let text = match r.decode().map_err(malformed)?.as_ref() {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "apos" => "'",
        "quot" => "\"",
        other => return Err(DavXmlError::Malformed(format!("unknown entity `&{other};`"))),
    };
    Ok(text.to_owned())
}

/// XML 1.0 §2.2 `Char` (Rust `char`s are never surrogates).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// Refuses text or an attribute value holding a character outside XML 1.0 §2.2 `Char` (such a
/// document is not well-formed; the writer could not give it back, it writes U+FFFD).
fn xml_chars(s: &str) -> Result<()> {
    match s.chars().find(|&c| !is_xml_char(c)) {
        Some(c) => Err(DavXmlError::Malformed(format!(
            "U+{:04X} is not allowed in XML",
            u32::from(c)
        ))),
        None => Ok(()),
    }
}

fn is_xml_space(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

struct TreeBuilder<'l> {
    limits: &'l Limits,
    /// Open elements, outermost first.
    stack: Vec<Element>,
    root: Option<Element>,
    elements: usize,
}

impl TreeBuilder<'_> {
    /// A new element from a start tag, counted against the limits.
    fn element(&mut self, reader: &NsReader<&[u8]>, ns: String, e: &BytesStart<'_>) -> Result<Element> {
        if self.root.is_some() {
            return Err(DavXmlError::Malformed("content after the root element".into()));
        }
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(DavXmlError::TooManyElements(self.limits.max_elements));
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(DavXmlError::TooDeep(self.limits.max_depth));
        }
        let mut element = Element::new(Name {
            ns,
            local: local_name(e.local_name().as_ref())?,
        });
        for a in e.attributes() {
            let a = a.map_err(malformed)?;
            let key = a.key.as_ref();
            if key == b"xmlns" || key.starts_with(b"xmlns:") {
                continue;
            }
            let (ns, local) = reader.resolve_attribute(a.key);
            let name = Name {
                ns: namespace(ns)?,
                local: local_name(local.as_ref())?,
            };
            let value = a.unescape_value().map_err(malformed)?;
            if value.len() > self.limits.max_text {
                return Err(DavXmlError::TextTooLong(self.limits.max_text));
            }
            xml_chars(&value)?;
            element.attrs.push(Attribute {
                name,
                value: value.into_owned(),
            });
        }
        Ok(element)
    }

    /// An element is complete: tidy its content and hand it to its parent (or make it the root).
    fn close(&mut self, mut element: Element) -> Result<()> {
        if element.children.iter().any(|n| matches!(n, Node::Element(_))) {
            element
                .children
                .retain(|n| !matches!(n, Node::Text(t) if is_xml_space(t)));
        }
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(Node::Element(element)),
            None => self.root = Some(element),
        }
        Ok(())
    }

    /// Text (from character data, CDATA or a reference), merged into the open element's last text
    /// node. Outside the root element only whitespace is allowed.
    fn text(&mut self, text: &str) -> Result<()> {
        let Some(open) = self.stack.last_mut() else {
            return if is_xml_space(text) {
                Ok(())
            } else {
                Err(DavXmlError::Malformed("text outside the root element".into()))
            };
        };
        if text.is_empty() {
            return Ok(());
        }
        xml_chars(text)?;
        let max = self.limits.max_text;
        match open.children.last_mut() {
            Some(Node::Text(t)) => {
                if t.len().saturating_add(text.len()) > max {
                    return Err(DavXmlError::TextTooLong(max));
                }
                t.push_str(text);
            }
            _ => {
                if text.len() > max {
                    return Err(DavXmlError::TextTooLong(max));
                }
                open.children.push(Node::Text(text.to_owned()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::name::DAV;

    fn parse(s: &str) -> Result<Element> {
        parse_document(s.as_bytes(), &Limits::default())
    }

    #[test]
    fn namespaces_resolve_whatever_the_prefix() {
        let a = parse(r#"<D:prop xmlns:D="DAV:"><D:getetag/></D:prop>"#).unwrap();
        let b = parse(r#"<prop xmlns="DAV:"><getetag/></prop>"#).unwrap();
        let c = parse(r#"<x:prop xmlns:x="DAV:"><y:getetag xmlns:y="DAV:"/></x:prop>"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert!(a.is(DAV, "prop") && a.child(DAV, "getetag").is_some());
        let unbound = parse(r#"<prop xmlns="DAV:"><foo xmlns=""/></prop>"#).unwrap();
        assert_eq!(unbound.elements().next().unwrap().name, Name::new("", "foo"));
        assert!(matches!(parse("<D:prop/>"), Err(DavXmlError::Malformed(_))));
    }

    #[test]
    fn text_is_merged_and_indentation_dropped() {
        let e = parse("<a xmlns=\"u\">\n  <b>x &amp; <![CDATA[<y>]]>&#13;&#x41;</b>\n</a>").unwrap();
        assert_eq!(e.children.len(), 1, "indentation beside elements is not content");
        let b = e.elements().next().unwrap();
        assert_eq!(b.children, vec![Node::Text("x & <y>\rA".into())]);
        let crlf = parse("<a>1\r\n2</a>").unwrap();
        assert_eq!(crlf.text(), "1\n2", "line ends are normalised");
        let spaces = parse("<a>  </a>").unwrap();
        assert_eq!(spaces.text(), "  ", "whitespace alone is content");
    }

    #[test]
    fn attributes_and_xml_lang() {
        let e = parse(r#"<c:x xmlns:c="urn:c" name="VEVENT" xml:lang="en" c:q="&lt;1&gt;"/>"#).unwrap();
        assert_eq!(e.attr("name"), Some("VEVENT"));
        assert_eq!(e.attrs[1].name, Name::new(crate::name::XML, "lang"));
        assert_eq!(e.attrs[2].name, Name::new("urn:c", "q"));
        assert_eq!(e.attrs[2].value, "<1>");
        assert_eq!(e.attrs.len(), 3, "namespace declarations are not attributes");
    }

    /// What a refused body must produce.
    type Expect = fn(&DavXmlError) -> bool;

    #[test]
    fn refusals() {
        let cases: &[(&str, Expect)] = &[
            (r#"<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>"#, |e| {
                matches!(e, DavXmlError::Doctype)
            }),
            ("<a>&x;</a>", |e| matches!(e, DavXmlError::Malformed(_))),
            ("<a>&#1;</a>", |e| matches!(e, DavXmlError::Malformed(_))),
            // Written, not referenced (found by the dav_xml fuzz target: the writer gave U+FFFD
            // back, so the tree did not survive a round trip).
            ("<a>x\0y</a>", |e| matches!(e, DavXmlError::Malformed(_))),
            ("<a><![CDATA[\u{1}]]></a>", |e| {
                matches!(e, DavXmlError::Malformed(_))
            }),
            ("<a>\u{FFFF}</a>", |e| matches!(e, DavXmlError::Malformed(_))),
            ("<a b=\"\u{1F}\"/>", |e| matches!(e, DavXmlError::Malformed(_))),
            ("<D:a xmlns:D=\"DAV\u{B}:\"/>", |e| {
                matches!(e, DavXmlError::Malformed(_))
            }),
            ("<a xmlns=\"\u{0}\"/>", |e| matches!(e, DavXmlError::Malformed(_))),
            ("<a\u{1}/>", |e| matches!(e, DavXmlError::Malformed(_))),
            ("<D:a xmlns:D=\"D\nAV:\"/>", |e| {
                matches!(e, DavXmlError::Malformed(_))
            }),
            ("<a xmlns=\"DAV&#58;\"/>", |e| {
                matches!(e, DavXmlError::Malformed(_))
            }),
            ("<a xmlns='x\"y'/>", |e| matches!(e, DavXmlError::Malformed(_))),
            ("<a xmlns='x>y'/>", |e| matches!(e, DavXmlError::Malformed(_))),
            (r#"<D:a:b xmlns:D="DAV:"/>"#, |e| {
                matches!(e, DavXmlError::Malformed(_))
            }),
            (r#"<a D:b:c="x" xmlns:D="DAV:"/>"#, |e| {
                matches!(e, DavXmlError::Malformed(_))
            }),
            (r#"<D:/x xmlns:D="DAV:"/>"#, |e| {
                matches!(e, DavXmlError::Malformed(_))
            }),
            (r#"<a 1b="x"/>"#, |e| matches!(e, DavXmlError::Malformed(_))),
            (r#"<D:-a xmlns:D="DAV:"/>"#, |e| {
                matches!(e, DavXmlError::Malformed(_))
            }),
            ("<a><b></a>", |e| matches!(e, DavXmlError::Malformed(_))),
            ("<a>", |e| matches!(e, DavXmlError::Malformed(_))),
            ("<a/><b/>", |e| matches!(e, DavXmlError::Malformed(_))),
            ("text<a/>", |e| matches!(e, DavXmlError::Malformed(_))),
            ("", |e| matches!(e, DavXmlError::Malformed(_))),
        ];
        for (body, ok) in cases {
            let e = parse(body).unwrap_err();
            assert!(ok(&e), "{body:?}: {e:?}");
        }
        let names = parse("<é·b xmlns=\"urn:x\"><_a-1.b\u{300}/><日本/></é·b>").unwrap();
        assert_eq!(names.name.local, "é·b", "names beyond ASCII");
        assert_eq!(names.elements().count(), 2);
        assert_eq!(
            parse("<a b=\"\t\">\t\u{FFFD}\u{10FFFF}</a>").unwrap().text(),
            "\t\u{FFFD}\u{10FFFF}",
            "tab and the characters above U+001F but U+FFFE/F are XML"
        );
        assert!(
            parse_document(
                &[b'<', b'a', b'>', 0xff, b'<', b'/', b'a', b'>'],
                &Limits::default()
            )
            .is_err()
        );
    }

    #[test]
    fn limits() {
        let small = Limits {
            max_body: 100,
            max_depth: 3,
            max_elements: 4,
            max_text: 5,
            ..Limits::default()
        };
        let check = |body: &str| parse_document(body.as_bytes(), &small);
        assert_eq!(
            check(&format!("<a>{}</a>", " ".repeat(100))),
            Err(DavXmlError::TooLarge(100))
        );
        assert_eq!(check("<a><b><c><d/></c></b></a>"), Err(DavXmlError::TooDeep(3)));
        check("<a><b><c/></b></a>").unwrap();
        assert_eq!(
            check("<a><b/><b/><b/><b/></a>"),
            Err(DavXmlError::TooManyElements(4))
        );
        assert_eq!(check("<a>123456</a>"), Err(DavXmlError::TextTooLong(5)));
        assert_eq!(
            check("<a>12&amp;456</a>"),
            Err(DavXmlError::TextTooLong(5)),
            "merged text counts"
        );
        assert_eq!(check(r#"<a b="123456"/>"#), Err(DavXmlError::TextTooLong(5)));
        check("<a>12345</a>").unwrap();
    }
}
