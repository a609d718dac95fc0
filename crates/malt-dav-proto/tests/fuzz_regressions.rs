//! The inputs the `dav_xml` fuzz target (`fuzz/fuzz_targets/dav_xml.rs`) once failed on, kept
//! in `tests/fuzz/dav_xml/` and run through the target's checks: every parser parses or
//! refuses without a panic, and a tree or multistatus read is written and read back unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use malt_dav_proto::request::{
    parse_acl, parse_mkcalendar, parse_mkcol, parse_propfind, parse_proppatch, parse_report, parse_sharing,
};
use malt_dav_proto::response::{parse_error_body, parse_multistatus};
use malt_dav_proto::{DavXmlError, Limits, element_to_xml, parse_document};

/// The fuzz target's body.
fn check(data: &[u8]) {
    let limits = Limits::default();
    let generous = Limits::trusted();
    if let Ok(tree) = parse_document(data, &limits) {
        let again = parse_document(element_to_xml(&tree).as_bytes(), &generous);
        assert_eq!(again.as_ref(), Ok(&tree));
    }
    let _ = parse_propfind(data, &limits);
    let _ = parse_proppatch(data, &limits);
    let _ = parse_mkcol(data, &limits);
    let _ = parse_mkcalendar(data, &limits);
    let _ = parse_report(data, &limits);
    let _ = parse_sharing(data, &limits);
    let _ = parse_acl(data, &limits);
    let _ = parse_error_body(data, &limits);
    if let Ok(ms) = parse_multistatus(data, &limits) {
        assert_eq!(parse_multistatus(&ms.to_xml(), &generous), Ok(ms));
    }
}

fn input(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/dav_xml")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_kept_input_passes_the_target() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/dav_xml");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        check(&std::fs::read(&path).unwrap());
        seen += 1;
    }
    assert!(seen > 0, "no input in {}", dir.display());
}

/// An addressbook-query with ten NUL characters written in a text node: read as text, it was
/// written back as U+FFFD (XML cannot carry U+0000). Not well-formed (XML 1.0 §2.2): refused.
#[test]
fn nul_in_text_is_refused() {
    let data = input("nul-in-text");
    assert!(data.contains(&0));
    assert!(matches!(
        parse_document(&data, &Limits::default()),
        Err(DavXmlError::Malformed(_))
    ));
    assert!(parse_report(&data, &Limits::default()).is_err());
}

/// An MKCOL whose `DAV:` namespace declaration holds 31 U+000B: namespace URIs were not checked,
/// and the writer gave U+FFFD back. Refused like any other attribute value.
#[test]
fn control_in_namespace_is_refused() {
    let data = input("control-in-namespace");
    assert!(data.contains(&0x0b));
    assert!(matches!(
        parse_document(&data, &Limits::default()),
        Err(DavXmlError::Malformed(_))
    ));
    assert!(parse_mkcol(&data, &Limits::default()).is_err());
}

/// An addressbook-query whose `DAV:` declaration became `D<LF>V:A`: the resolver keeps the raw
/// value while the writer escapes the LF as `&#10;`, read back literally. A namespace name holds
/// no whitespace or reference this reader could read right: refused.
#[test]
fn newline_in_namespace_is_refused() {
    let data = input("newline-in-namespace");
    assert!(matches!(
        parse_document(&data, &Limits::default()),
        Err(DavXmlError::Malformed(_))
    ));
    assert!(parse_report(&data, &Limits::default()).is_err());
}

/// A PROPFIND naming `CS:gethttp://www.w3.org/2000/xmlns/ctag`: read as local name
/// `gethttp://...` of prefix `CS`, written back as a name whose prefix `gethttp` nobody declared.
/// A local name has no colon: refused.
#[test]
fn colon_in_local_name_is_refused() {
    let data = input("colon-in-local-name");
    assert!(matches!(
        parse_document(&data, &Limits::default()),
        Err(DavXmlError::Malformed(_))
    ));
    assert!(parse_propfind(&data, &Limits::default()).is_err());
}

/// A calendar-query holding `<C:/{element .../>`: read as an element of local name `/{element`,
/// written back as what reads as an end tag. A local name is an NCName: refused.
#[test]
fn slash_in_local_name_is_refused() {
    let data = input("slash-in-local-name");
    assert!(matches!(
        parse_document(&data, &Limits::default()),
        Err(DavXmlError::Malformed(_))
    ));
    assert!(parse_report(&data, &Limits::default()).is_err());
}
