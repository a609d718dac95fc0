//! The inputs the `dav_xml` fuzz target once failed on, kept in `tests/fuzz/dav_xml/` and run
//! through the target's own checks (`tests/fuzz/dav_xml_check.rs`); each is now refused as
//! malformed by the reader and by the parser of the body it resembles.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use malt_dav_proto::request::{parse_mkcol, parse_propfind, parse_report};
use malt_dav_proto::{DavXmlError, Limits, parse_document};

include!("fuzz/dav_xml_check.rs");

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/dav_xml")
}

#[test]
fn every_kept_input_passes_the_target() {
    let mut seen = 0;
    for entry in std::fs::read_dir(dir()).unwrap() {
        dav_xml_check(&std::fs::read(entry.unwrap().path()).unwrap());
        seen += 1;
    }
    assert!(seen > 0, "no input in {}", dir().display());
}

/// What each input was, and why the reader now refuses it (each tree read from it was written
/// back as something else).
#[test]
fn every_kept_input_is_refused() {
    type Parser = fn(&[u8], &Limits) -> bool;
    let cases: &[(&str, Parser)] = &[
        // An addressbook-query with ten NUL characters written in a text node: XML cannot carry
        // U+0000 (XML 1.0 §2.2), the writer gave U+FFFD back.
        ("nul-in-text", |d, l| parse_report(d, l).is_err()),
        // An MKCOL whose `DAV:` declaration holds 31 U+000B: namespace names were not checked.
        ("control-in-namespace", |d, l| parse_mkcol(d, l).is_err()),
        // A `DAV:` declaration become `D<LF>V:A`: the resolver keeps the raw value, the writer's
        // `&#10;` came back literally. A namespace name holds no whitespace or reference.
        ("newline-in-namespace", |d, l| parse_report(d, l).is_err()),
        // `CS:gethttp://www.w3.org/2000/xmlns/ctag`: local name `gethttp://...`, written back
        // with the undeclared prefix `gethttp`. A local name has no colon.
        ("colon-in-local-name", |d, l| parse_propfind(d, l).is_err()),
        // `<C:/{element .../>`: local name `/{element`, written back as what reads as an end
        // tag. A local name is an NCName.
        ("slash-in-local-name", |d, l| parse_report(d, l).is_err()),
    ];
    for (name, parser_refuses) in cases {
        let data = std::fs::read(dir().join(name)).unwrap();
        assert!(
            matches!(
                parse_document(&data, &Limits::default()),
                Err(DavXmlError::Malformed(_))
            ),
            "{name}"
        );
        assert!(parser_refuses(&data, &Limits::default()), "{name}");
    }
    assert_eq!(
        std::fs::read_dir(dir()).unwrap().count(),
        cases.len(),
        "every kept input is described here"
    );
}
