//! Malt's WebDAV codec: request bodies of WebDAV (RFC 4918), CalDAV (RFC 4791), CardDAV
//! (RFC 6352), extended MKCOL (RFC 5689), sync-collection (RFC 6578) and the principal reports
//! (RFC 3253 §3.8 expand-property, RFC 3744 §9.3–9.5) parsed into typed
//! requests, and multistatus, propstat and error bodies written. No sockets, no storage
//! (CONVENTIONS §1).
//!
//! - [`reader`]: bytes to an element [`tree`], namespaces resolved, every [`Limits`] bound
//!   enforced, DTDs refused.
//! - [`writer`]: trees to XML, escaped, namespaces declared where needed.
//! - [`request`]: PROPFIND, PROPPATCH, MKCOL / MKCALENDAR and REPORT bodies.
//! - [`response`]: multistatus (also read back, for tests and clients), error bodies with
//!   preconditions (RFC 4918 §16), MKCOL responses.
//! - [`time`]: the UTC date-times of `time-range` (RFC 4791 §9.9).
//!
//! Unknown elements are kept as names wherever a request lists properties, so a server can
//! answer them with a 404 propstat (RFC 4918 §9.1).

pub mod error;
pub mod name;
pub mod reader;
pub mod request;
pub mod response;
pub mod time;
pub mod tree;
pub mod writer;

pub use error::{DavXmlError, Result};
pub use name::Name;
pub use reader::{Limits, parse_document};
pub use tree::{Attribute, Element, Node};
pub use writer::{document, element_to_xml};
