//! What can be wrong with a request body. Every variant is the client's mistake: a server answers
//! `413 Payload Too Large` for [`DavXmlError::TooLarge`] and `400 Bad Request` for the others
//! (RFC 4918 §8.2: a body that is not well-formed XML, or not the XML the method defines).

/// Why a body was refused; the message is fit to show the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DavXmlError {
    /// The body is longer than [`crate::Limits::max_body`].
    #[error("request body larger than {0} octets")]
    TooLarge(usize),
    /// Elements nest deeper than [`crate::Limits::max_depth`].
    #[error("XML nested deeper than {0} elements")]
    TooDeep(usize),
    /// More elements than [`crate::Limits::max_elements`].
    #[error("more than {0} XML elements")]
    TooManyElements(usize),
    /// One text node or attribute value longer than [`crate::Limits::max_text`].
    #[error("XML text longer than {0} octets")]
    TextTooLong(usize),
    /// More properties than [`crate::Limits::max_props`] in one request.
    #[error("more than {0} properties")]
    TooManyProps(usize),
    /// More hrefs than [`crate::Limits::max_hrefs`] in one request.
    #[error("more than {0} hrefs")]
    TooManyHrefs(usize),
    /// A document type declaration: refused, so that no entity is ever expanded.
    #[error("document type declarations are not allowed")]
    Doctype,
    /// Not well-formed XML (syntax, an undeclared prefix, an unknown entity, bad UTF-8).
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// Well-formed, but not the element the method expects (RFC 4918 §14, RFC 4791 §9,
    /// RFC 6352 §10, RFC 6578 §6), e.g. a PROPFIND body whose root is not `DAV:propfind`.
    #[error("invalid {what}: {reason}")]
    Invalid { what: &'static str, reason: String },
}

impl DavXmlError {
    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> DavXmlError {
        DavXmlError::Invalid {
            what,
            reason: reason.into(),
        }
    }
}

/// Result of parsing a body.
pub type Result<T> = std::result::Result<T, DavXmlError>;
