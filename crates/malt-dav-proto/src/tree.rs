//! A small element tree: what the reader produces and the writer consumes. Request bodies are
//! bounded ([`crate::Limits`]), so a tree is cheap and lets each request parser look at its
//! elements in any order, as WebDAV asks (RFC 4918 §17: unknown elements are ignored, order
//! of siblings does not matter unless a method says so).
//!
//! Invariants of a tree read by [`crate::parse_document`]: no two adjacent text nodes (text,
//! CDATA and references are merged), no empty text node, and no whitespace-only text node beside
//! an element child (indentation is not content).

use crate::name::Name;

/// A node of element content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
}

/// An attribute: its name (namespace empty for an unprefixed attribute) and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: Name,
    pub value: String,
}

/// An element with its attributes (namespace declarations excluded) and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: Name,
    pub attrs: Vec<Attribute>,
    pub children: Vec<Node>,
}

impl Element {
    /// An empty element.
    pub fn new(name: Name) -> Element {
        Element {
            name,
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    /// This element with `text` as (added) content; empty text adds nothing.
    pub fn with_text(mut self, text: impl Into<String>) -> Element {
        let text = text.into();
        if !text.is_empty() {
            self.children.push(Node::Text(text));
        }
        self
    }

    /// This element with `child` added.
    pub fn with_child(mut self, child: Element) -> Element {
        self.children.push(Node::Element(child));
        self
    }

    /// This element with `children` added.
    pub fn with_children(mut self, children: impl IntoIterator<Item = Element>) -> Element {
        self.children.extend(children.into_iter().map(Node::Element));
        self
    }

    /// This element with an unqualified attribute.
    pub fn with_attr(mut self, local: &str, value: impl Into<String>) -> Element {
        self.attrs.push(Attribute {
            name: Name::new("", local),
            value: value.into(),
        });
        self
    }

    /// `<D:href>href</D:href>`.
    pub fn href(href: impl Into<String>) -> Element {
        Element::new(Name::dav("href")).with_text(href)
    }

    /// Whether this element is `local` in namespace `ns`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.name.is(ns, local)
    }

    /// The element children, in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element named `local` in `ns`.
    pub fn child(&self, ns: &str, local: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(ns, local))
    }

    /// Every child element named `local` in `ns`.
    pub fn children_named<'a>(&'a self, ns: &'a str, local: &'a str) -> impl Iterator<Item = &'a Element> {
        self.elements().filter(move |e| e.is(ns, local))
    }

    /// The text content: every text node of this element and its descendants, in order.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        for n in &self.children {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.collect_text(out),
            }
        }
    }

    /// The value of the unqualified attribute `local`.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name.ns.is_empty() && a.name.local == local)
            .map(|a| a.value.as_str())
    }
}
