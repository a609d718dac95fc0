//! PROPPATCH bodies (RFC 4918 §9.2, §14.19 `propertyupdate`).

use crate::error::{DavXmlError, Result};
use crate::name::{DAV, Name};
use crate::reader::Limits;
use crate::tree::Element;

use super::{props_in, root};

/// One instruction of a PROPPATCH, in document order (RFC 4918 §9.2: processed in order, all
/// or nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropPatchOp {
    /// `DAV:set`: the property element, its content being the new value.
    Set(Element),
    /// `DAV:remove`: the property's name.
    Remove(Name),
}

impl PropPatchOp {
    /// The property this instruction is about.
    pub fn name(&self) -> &Name {
        match self {
            PropPatchOp::Set(e) => &e.name,
            PropPatchOp::Remove(n) => n,
        }
    }
}

/// Parses a PROPPATCH body: at least one instruction, at most [`Limits::max_props`].
pub fn parse_proppatch(body: &[u8], limits: &Limits) -> Result<Vec<PropPatchOp>> {
    let update = root(body, limits, DAV, "propertyupdate", "PROPPATCH body")?;
    let instructions = update
        .elements()
        .filter(|e| e.is(DAV, "set") || e.is(DAV, "remove"));
    let ops = props_in(instructions, limits, |instruction, p| {
        if instruction.is(DAV, "set") {
            PropPatchOp::Set(p.clone())
        } else {
            PropPatchOp::Remove(p.name.clone())
        }
    })?;
    if ops.is_empty() {
        return Err(DavXmlError::invalid(
            "PROPPATCH body",
            "no property to set or remove",
        ));
    }
    Ok(ops)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// RFC 4918 §9.2.2: setting a property with structured content and removing another.
    #[test]
    fn rfc4918_set_and_remove() {
        let body = r#"<?xml version="1.0" encoding="utf-8" ?>
   <D:propertyupdate xmlns:D="DAV:"
           xmlns:Z="http://ns.example.com/standards/z39.50/">
     <D:set>
       <D:prop>
         <Z:Authors>
           <Z:Author>Jim Whitehead</Z:Author>
           <Z:Author>Roy Fielding</Z:Author>
         </Z:Authors>
       </D:prop>
     </D:set>
     <D:remove>
       <D:prop><Z:Copyright-Owner/></D:prop>
     </D:remove>
   </D:propertyupdate>"#;
        let z = "http://ns.example.com/standards/z39.50/";
        let ops = parse_proppatch(body.as_bytes(), &Limits::default()).unwrap();
        let authors = Element::new(Name::new(z, "Authors")).with_children([
            Element::new(Name::new(z, "Author")).with_text("Jim Whitehead"),
            Element::new(Name::new(z, "Author")).with_text("Roy Fielding"),
        ]);
        assert_eq!(
            ops,
            vec![
                PropPatchOp::Set(authors),
                PropPatchOp::Remove(Name::new(z, "Copyright-Owner"))
            ]
        );
        assert_eq!(ops[1].name().local, "Copyright-Owner");
    }

    #[test]
    fn order_and_refusals() {
        let body = r#"<propertyupdate xmlns="DAV:"><remove><prop><displayname/></prop></remove>
            <set><prop><displayname>A &amp; B</displayname></prop></set></propertyupdate>"#;
        let ops = parse_proppatch(body.as_bytes(), &Limits::default()).unwrap();
        assert!(matches!(&ops[0], PropPatchOp::Remove(n) if n.local == "displayname"));
        assert!(matches!(&ops[1], PropPatchOp::Set(e) if e.text() == "A & B"));
        let empty = r#"<propertyupdate xmlns="DAV:"><set><prop/></set></propertyupdate>"#;
        assert!(matches!(
            parse_proppatch(empty.as_bytes(), &Limits::default()),
            Err(DavXmlError::Invalid { .. })
        ));
        assert!(
            parse_proppatch(b"", &Limits::default()).is_err(),
            "a body is required"
        );
        let limits = Limits {
            max_props: 1,
            ..Limits::default()
        };
        let two = r#"<propertyupdate xmlns="DAV:"><set><prop><a/><b/></prop></set></propertyupdate>"#;
        assert_eq!(
            parse_proppatch(two.as_bytes(), &limits),
            Err(DavXmlError::TooManyProps(1))
        );
    }
}
