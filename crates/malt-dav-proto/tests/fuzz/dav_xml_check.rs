// The body of the `dav_xml` fuzz target (`fuzz/fuzz_targets/dav_xml.rs`), included there and by
// `tests/fuzz_regressions.rs`, so the kept inputs run exactly what the target runs: every
// parser parses or refuses without a panic; a tree or multistatus read is written and read back
// unchanged.

/// Runs the `dav_xml` fuzz target's checks on `data`.
pub fn dav_xml_check(data: &[u8]) {
    use malt_dav_proto::request::{
        parse_acl, parse_mkcalendar, parse_mkcol, parse_propfind, parse_proppatch, parse_report,
        parse_sharing,
    };
    use malt_dav_proto::response::{parse_error_body, parse_multistatus};
    use malt_dav_proto::{Limits, element_to_xml, parse_document};

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
