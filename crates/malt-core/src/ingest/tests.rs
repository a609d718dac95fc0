//! Ingest tests: a table of messages with expected metadata, and property tests.

use super::*;
use proptest::prelude::*;

fn crlf(s: &str) -> Vec<u8> {
    s.replace('\n', "\r\n").into_bytes()
}

fn addr(name: Option<&str>, mailbox: &str, host: &str) -> Address {
    Address {
        name: name.map(str::to_owned),
        mailbox: Some(mailbox.to_owned()),
        host: Some(host.to_owned()),
        group_start: false,
        group_end: false,
    }
}

/// The bytes of a part's body.
fn body<'a>(raw: &'a [u8], p: &BodyPart) -> &'a [u8] {
    &raw[p.body_start as usize..p.body_end as usize]
}

/// Checks the offset invariants of the whole tree.
fn check_nesting(p: &BodyPart, lo: u64, hi: u64) {
    assert!(lo <= p.header_start, "{p:?}");
    assert!(p.header_start <= p.body_start);
    assert!(p.body_start <= p.body_end);
    assert!(p.body_end <= hi);
    assert_eq!(p.size, p.body_end - p.body_start);
    let mut prev_end = p.body_start;
    for c in &p.parts {
        assert!(c.header_start >= prev_end);
        check_nesting(c, p.body_start, p.body_end);
        prev_end = c.body_end;
    }
    if p.media_type == "multipart" {
        assert!(!p.parts.is_empty());
    }
}

fn parse(raw: &[u8]) -> MessageMeta {
    let m = parse_message(raw);
    check_nesting(&m.body, 0, raw.len() as u64);
    m
}

const PLAIN: &str = "From: Alice Example <alice@example.org>
To: bob@example.net, \"Carol C.\" <carol@example.com>
Cc: dave@example.com
Subject: Re: [list] Fwd: Hello   world (fwd)
Date: Tue, 1 Jul 2025 10:00:00 +0200
Message-ID: <m1@example.org>
In-Reply-To: <m0@example.org>
References: <a@x> <m0@example.org>

Hello Bob,
this is a test.
";

#[test]
fn plain_message() {
    for raw in [crlf(PLAIN), PLAIN.as_bytes().to_vec()] {
        let m = parse(&raw);
        let e = &m.envelope;
        assert_eq!(e.date.as_deref(), Some("Tue, 1 Jul 2025 10:00:00 +0200"));
        assert_eq!(e.subject.as_deref(), Some("Re: [list] Fwd: Hello   world (fwd)"));
        assert_eq!(e.from, vec![addr(Some("Alice Example"), "alice", "example.org")]);
        assert_eq!(e.sender, e.from);
        assert_eq!(e.reply_to, e.from);
        assert_eq!(
            e.to,
            vec![
                addr(None, "bob", "example.net"),
                addr(Some("Carol C."), "carol", "example.com")
            ]
        );
        assert_eq!(e.cc, vec![addr(None, "dave", "example.com")]);
        assert!(e.bcc.is_empty());
        assert_eq!(e.message_id.as_deref(), Some("<m1@example.org>"));
        assert_eq!(e.in_reply_to.as_deref(), Some("<m0@example.org>"));

        let b = &m.body;
        assert_eq!((b.media_type.as_str(), b.subtype.as_str()), ("text", "plain"));
        assert_eq!(b.params, vec![("charset".to_owned(), "us-ascii".to_owned())]);
        assert_eq!(b.encoding, "7BIT");
        assert_eq!(b.lines, 2);
        assert_eq!(b.header_start, 0);
        assert_eq!(
            body(&raw, b),
            if raw.contains(&b'\r') {
                &b"Hello Bob,\r\nthis is a test.\r\n"[..]
            } else {
                b"Hello Bob,\nthis is a test.\n"
            }
        );
        assert_eq!(b.decoded_size, b.size);

        let s = &m.sort;
        assert_eq!(s.sent_date, Some(1751356800));
        assert_eq!(s.base_subject, "Hello world");
        assert_eq!(s.from, "alice@example.org");
        assert_eq!(s.from_display, "Alice Example");
        assert_eq!(s.to, "bob@example.net");
        assert_eq!(s.to_display, "bob@example.net");
        assert_eq!(s.cc, "dave@example.com");
        assert_eq!(s.message_id.as_deref(), Some("m1@example.org"));
        assert_eq!(s.in_reply_to, vec!["m0@example.org"]);
        assert_eq!(s.references, vec!["a@x", "m0@example.org"]);
        assert!(!s.has_attachment);
        assert_eq!(m.preview, "Hello Bob, this is a test.");
    }
}

const ALTERNATIVE: &str = "From: a@b.c
Subject: alt
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=\"XX\"

preamble
--XX
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Caf=C3=A9 time=
 soon
--XX
Content-Type: text/html; charset=utf-8

<p>Caf&eacute; <b>time</b></p>
--XX--
epilogue
";

#[test]
fn multipart_alternative() {
    let raw = crlf(ALTERNATIVE);
    let m = parse(&raw);
    let b = &m.body;
    assert_eq!(
        (b.media_type.as_str(), b.subtype.as_str()),
        ("multipart", "alternative")
    );
    assert_eq!(b.params, vec![("boundary".to_owned(), "XX".to_owned())]);
    assert_eq!(b.parts.len(), 2);
    let t = &b.parts[0];
    assert_eq!((t.media_type.as_str(), t.subtype.as_str()), ("text", "plain"));
    assert_eq!(t.encoding, "QUOTED-PRINTABLE");
    assert_eq!(t.params, vec![("charset".to_owned(), "utf-8".to_owned())]);
    assert_eq!(body(&raw, t), b"Caf=C3=A9 time=\r\n soon");
    assert_eq!(t.lines, 2);
    assert_eq!(t.decoded_size, "Café time soon".len() as u64);
    // The part's header starts right after the delimiter line.
    assert!(raw[..t.header_start as usize].ends_with(b"--XX\r\n"));
    let h = &b.parts[1];
    assert_eq!(h.subtype, "html");
    assert_eq!(body(&raw, h), b"<p>Caf&eacute; <b>time</b></p>");
    assert_eq!(m.preview, "Café time soon");
    assert!(!m.sort.has_attachment);
}

const NESTED: &str = "From: a@b.c
Subject: nested
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/alternative; boundary=\"outer-inner\"

--outer-inner
Content-Type: text/plain

plain text
--outer-inner
Content-Type: text/html

<div>html</div>
--outer-inner--

--outer
Content-Type: application/pdf; name=\"doc.pdf\"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename=\"doc.pdf\"
Content-ID: <pdf1@x>
Content-Description: A =?utf-8?q?d=C3=B6c?=
Content-Language: en, de
Content-Location: http://x/doc.pdf
Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==

JVBERi0xLjQK
AAAA
--outer--
";

#[test]
fn nested_multipart_with_attachment() {
    let raw = crlf(NESTED);
    let m = parse(&raw);
    let b = &m.body;
    assert_eq!(b.subtype, "mixed");
    assert_eq!(b.parts.len(), 2);
    let alt = &b.parts[0];
    assert_eq!(alt.subtype, "alternative");
    // A boundary that has the outer boundary as a prefix is not mistaken for it.
    assert_eq!(alt.parts.len(), 2);
    assert_eq!(body(&raw, &alt.parts[0]), b"plain text");
    assert_eq!(body(&raw, &alt.parts[1]), b"<div>html</div>");
    let pdf = &b.parts[1];
    assert_eq!(
        (pdf.media_type.as_str(), pdf.subtype.as_str()),
        ("application", "pdf")
    );
    assert_eq!(pdf.encoding, "BASE64");
    assert_eq!(pdf.params, vec![("name".to_owned(), "doc.pdf".to_owned())]);
    assert_eq!(
        pdf.disposition,
        Some((
            "attachment".to_owned(),
            vec![("filename".to_owned(), "doc.pdf".to_owned())]
        ))
    );
    assert_eq!(pdf.id.as_deref(), Some("<pdf1@x>"));
    assert_eq!(pdf.description.as_deref(), Some("A döc"));
    assert_eq!(pdf.language, vec!["en", "de"]);
    assert_eq!(pdf.location.as_deref(), Some("http://x/doc.pdf"));
    assert_eq!(pdf.md5.as_deref(), Some("Q2hlY2sgSW50ZWdyaXR5IQ=="));
    assert_eq!(body(&raw, pdf), b"JVBERi0xLjQK\r\nAAAA");
    assert_eq!(pdf.decoded_size, 12);
    assert_eq!(pdf.lines, 0);
    assert!(m.sort.has_attachment);
    assert_eq!(m.preview, "plain text");
}

const RFC822: &str = "From: outer@x.org
Subject: Fwd: inner
Content-Type: multipart/mixed; boundary=b1

--b1
Content-Type: text/plain

see attached
--b1
Content-Type: message/rfc822

From: Inner Person <inner@y.org>
To: someone@z.org
Subject: inner subject
Message-ID: <inner@y.org>

inner body
line 2
--b1--
";

#[test]
fn message_rfc822() {
    let raw = crlf(RFC822);
    let m = parse(&raw);
    let part = &m.body.parts[1];
    assert_eq!(
        (part.media_type.as_str(), part.subtype.as_str()),
        ("message", "rfc822")
    );
    let env = part.envelope.as_ref().unwrap();
    assert_eq!(env.subject.as_deref(), Some("inner subject"));
    assert_eq!(env.from, vec![addr(Some("Inner Person"), "inner", "y.org")]);
    assert_eq!(env.message_id.as_deref(), Some("<inner@y.org>"));
    assert_eq!(part.parts.len(), 1);
    let inner = &part.parts[0];
    assert_eq!(inner.header_start, part.body_start);
    assert_eq!(body(&raw, inner), b"inner body\r\nline 2");
    assert_eq!(part.lines, 7);
    assert!(m.sort.has_attachment);
    assert_eq!(m.sort.base_subject, "inner");
    assert_eq!(m.preview, "see attached");
}

#[test]
fn rfc2047_subject_and_names() {
    let raw = crlf(
        "From: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>
To: =?utf-8?B?0JjQstCw0L0=?= <ivan@example.ru>
Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= =?utf-8?q?_aus_K=C3=B6ln?=

x
",
    );
    let m = parse(&raw);
    assert_eq!(m.envelope.subject.as_deref(), Some("Grüße aus Köln"));
    assert_eq!(m.envelope.from[0].name.as_deref(), Some("André Pirard"));
    assert_eq!(m.envelope.to[0].name.as_deref(), Some("Иван"));
    assert_eq!(m.sort.from, "pirard@vm1.ulg.ac.be");
    assert_eq!(m.sort.from_display, "André Pirard");
}

#[test]
fn group_syntax() {
    let raw = crlf(
        "From: a@b.c
To: Friends: joe@x.org, Jane <jane@y.org>;, solo@z.org
Cc: undisclosed-recipients:;

x
",
    );
    let m = parse(&raw);
    let to = &m.envelope.to;
    assert!(to[0].group_start && to[0].mailbox.as_deref() == Some("Friends") && to[0].host.is_none());
    assert_eq!(to[1], addr(None, "joe", "x.org"));
    assert_eq!(to[2], addr(Some("Jane"), "jane", "y.org"));
    assert!(to[3].group_end && to[3].mailbox.is_none() && to[3].host.is_none());
    assert_eq!(to[4], addr(None, "solo", "z.org"));
    assert_eq!(to.len(), 5);
    let cc = &m.envelope.cc;
    assert_eq!(cc.len(), 2);
    assert!(cc[0].group_start && cc[1].group_end);
    assert_eq!(m.sort.to, "joe@x.org");
    assert_eq!(m.sort.cc, "");
}

#[test]
fn missing_headers() {
    let raw = b"just some text\nwithout any header\n".to_vec();
    let m = parse(&raw);
    assert_eq!(m.envelope, Envelope::default());
    assert_eq!(
        (m.body.media_type.as_str(), m.body.subtype.as_str()),
        ("text", "plain")
    );
    assert_eq!(m.body.body_start, 0);
    assert_eq!(m.body.body_end, raw.len() as u64);
    assert_eq!(m.body.lines, 2);
    assert_eq!(m.preview, "just some text without any header");

    // Empty input.
    let m = parse(b"");
    assert_eq!(m.body.size, 0);
    assert_eq!(m.body.media_type, "text");

    // Header only, no body, no final newline.
    let raw = b"Subject: hi\r\nFrom: a@b.c";
    let m = parse(raw);
    assert_eq!(m.envelope.subject.as_deref(), Some("hi"));
    assert_eq!(m.body.body_start, raw.len() as u64);
    assert_eq!(m.body.size, 0);
}

#[test]
fn truncated_mime() {
    let raw = crlf(
        "Content-Type: multipart/mixed; boundary=zz

--zz
Content-Type: text/plain

first
--zz
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

QUJD",
    );
    let m = parse(&raw);
    assert_eq!(m.body.parts.len(), 2);
    assert_eq!(body(&raw, &m.body.parts[1]), b"QUJD");
    assert_eq!(m.body.parts[1].body_end, raw.len() as u64);

    // A multipart whose boundary never appears: one text part with the whole body.
    let raw = crlf("Content-Type: multipart/mixed; boundary=nope\n\nhello\n");
    let m = parse(&raw);
    assert_eq!(m.body.parts.len(), 1);
    assert_eq!(body(&raw, &m.body.parts[0]), b"hello\r\n");

    // Multipart without a boundary parameter.
    let raw = crlf("Content-Type: multipart/mixed\n\nhello\n");
    assert_eq!(parse(&raw).body.parts.len(), 1);

    // Truncated inside a header.
    let raw = b"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nContent-Ty";
    let m = parse(raw);
    assert_eq!(m.body.parts.len(), 1);
}

#[test]
fn binary_garbage() {
    let mut raw = Vec::new();
    for i in 0..5000u32 {
        raw.push((i.wrapping_mul(2654435761) >> 13) as u8);
    }
    let m = parse(&raw);
    assert!(m.body.body_end <= raw.len() as u64);
}

#[test]
fn eight_bit_latin1_headers() {
    let raw = b"From: J\xf6rg <joerg@example.de>\r\nSubject: Gr\xfc\xdfe\r\n\r\nK\xf6rper\r\n".to_vec();
    let m = parse(&raw);
    assert_eq!(m.envelope.subject.as_deref(), Some("Grüße"));
    assert_eq!(m.envelope.from[0].name.as_deref(), Some("Jörg"));
    assert_eq!(m.sort.from, "joerg@example.de");
    assert_eq!(m.body.body_start, raw.len() as u64 - 8);
    // A UTF-8 line next to a Latin-1 line stays UTF-8.
    let mut raw = "Subject: Grüße\r\nFrom: Jörg <j@x>\r\n\r\n".as_bytes().to_vec();
    let pos = raw.windows(2).position(|w| w == "ö".as_bytes()).unwrap();
    raw.splice(pos..pos + 2, [0xf6]);
    let m = parse(&raw);
    assert_eq!(m.envelope.subject.as_deref(), Some("Grüße"));
    assert_eq!(m.envelope.from[0].name.as_deref(), Some("Jörg"));
}

#[test]
fn digest_default_type() {
    let raw = crlf(
        "Content-Type: multipart/digest; boundary=d

--d

Subject: one

body one
--d--
",
    );
    let m = parse(&raw);
    let p = &m.body.parts[0];
    assert_eq!((p.media_type.as_str(), p.subtype.as_str()), ("message", "rfc822"));
    assert_eq!(p.envelope.as_ref().unwrap().subject.as_deref(), Some("one"));
}

#[test]
fn html_only_preview() {
    let raw = crlf(
        "Content-Type: text/html; charset=iso-8859-1
Content-Transfer-Encoding: base64

PGh0bWw+PGJvZHk+PHA+SGVsbG8gPGI+d29ybGQ8L2I+PC9wPjxwPkNhZukhPC9wPjwvYm9keT48L2h0bWw+
",
    );
    let m = parse(&raw);
    assert_eq!(m.preview, "Hello world Café!");
    let long = crlf(&format!("Subject: x\n\n{}\n", "word ".repeat(200)));
    assert_eq!(parse(&long).preview.chars().count(), 256);
}

#[test]
fn base_subjects() {
    let table = [
        ("Re: hello", "hello"),
        ("RE: Re: re: hello", "hello"),
        ("Fwd: hello", "hello"),
        ("FW: hello", "hello"),
        ("[list] Re: hello", "hello"),
        ("Re: [list] hello", "hello"),
        ("Re[2]: hello", "hello"),
        ("hello (fwd)", "hello"),
        ("hello (FWD) (fwd)  ", "hello"),
        ("[Fwd: hello]", "hello"),
        ("[Fwd: Re: hello (fwd)]", "hello"),
        ("  lots   of\t space  ", "lots of space"),
        ("[only a blob]", "[only a blob]"),
        ("Regarding the plan", "Regarding the plan"),
        ("", ""),
        ("Re:", ""),
        ("Re [2] : hello", "hello"),
        ("[a][b] Fwd: [c] Re: hello", "hello"),
        ("[a] [b]", "[b]"),
        // A no-break space is not WSP (RFC 5256 §2.1 step 1 collapses WSP only).
        ("Re:\u{a0}hello", "\u{a0}hello"),
        ("Re: Fwd: [Fwd: Re: hello (fwd)] (fwd)", "hello"),
    ];
    for (input, want) in table {
        assert_eq!(base_subject(input), want, "{input:?}");
    }
    let refwd = [
        ("hello", false),
        ("[list] hello", false),
        ("Re: hello", true),
        ("[list] Fw: hello", true),
        ("hello (fwd)", true),
        ("[Fwd: hello]", true),
        ("Regarding x", false),
    ];
    for (input, want) in refwd {
        assert_eq!(base_subject_refwd(input).1, want, "{input:?}");
    }
}

#[test]
fn big_message_is_linear() {
    let mut raw =
        crlf("Subject: big\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n");
    let line = b"0123456789012345678901234567890123456789012345678901234567890123456789012345\r\n";
    while raw.len() < 20 * 1024 * 1024 {
        raw.extend_from_slice(line);
    }
    raw.extend_from_slice(b"--b--\r\n");
    let t = std::time::Instant::now();
    let m = parse(&raw);
    assert_eq!(m.body.parts.len(), 1);
    assert!(t.elapsed().as_secs() < 20);
}

#[test]
fn wire_size_crlf_message_is_its_length() {
    let raw = crlf(PLAIN);
    assert_eq!(parse(&raw).wire_size, raw.len() as u64);
}

#[test]
fn wire_size_counts_bare_lf_as_crlf() {
    let raw = PLAIN.as_bytes();
    let lines = raw.iter().filter(|&&b| b == b'\n').count() as u64;
    assert!(lines > 5);
    let m = parse(raw);
    assert_eq!(m.wire_size, raw.len() as u64 + lines);
    assert_eq!(m.wire_size, crlf(PLAIN).len() as u64);
}

#[test]
fn wire_size_mixed_line_ends() {
    // Two CRLF and three bare LF (one of them last).
    let raw = b"Subject: x\r\nTo: a@b\n\r\nbody\nend\n";
    assert_eq!(parse(raw).wire_size, raw.len() as u64 + 3);
    assert_eq!(wire_size(b"a\r\nb\nc"), 7);
}

#[test]
fn wire_size_lone_cr_and_empty() {
    // A CR not followed by LF is sent as it is; an LF after it is still CR-preceded.
    assert_eq!(wire_size(b"a\rb"), 3);
    assert_eq!(wire_size(b"\r"), 1);
    assert_eq!(wire_size(b"\r\r\n"), 3);
    assert_eq!(wire_size(b"\n\n"), 4);
    assert_eq!(wire_size(b"\n"), 2);
    assert_eq!(parse(b"").wire_size, 0);
    let lone_cr = b"Subject: x\rbody";
    assert_eq!(parse(lone_cr).wire_size, lone_cr.len() as u64);
}

/// Prefixes as deliveries write them (CRLF trace fields), and odd ones that must take the slow path.
fn prefixes() -> Vec<(Vec<u8>, bool)> {
    vec![
        (
            crlf(
                "Return-Path: <a@b.org>\nDelivered-To: bob@x.org\nReceived: from mx ([127.0.0.1])\n\tby mail.test \
                 with LMTP id ID1\n\tfor <bob@x.org>; Thu, 1 Jan 1970 00:00:00 +0000\n",
            ),
            true,
        ),
        (
            crlf(
                "Return-Path: <>\nDelivered-To: bob@x.org\nAuthentication-Results: mail.test;\n\tspf=none \
                 smtp.mailfrom=x; dkim=none\nReceived: from mx ([::1])\n\tby mail.test with ESMTP id ID2; \
                 Thu, 1 Jan 1970 00:00:00 +0000\n",
            ),
            true,
        ),
        (
            crlf("Return-Path: <\"a b\\\"c\"@x.org>\nDelivered-To: =?utf-8?q?x?= <\n"),
            true,
        ),
        ("DELIVERED-TO: bob@x.org\n".as_bytes().to_vec(), true),
        (crlf("Subject: not a trace field\n"), false),
        (crlf("Delivered-To: bob@x.org\nContent-Type: text/html\n"), false),
        (b"Delivered-To: no line end".to_vec(), false),
        (crlf("Delivered-To: bob@x.org\n\n"), false),
        (crlf(" continued: first\n"), false),
        (crlf("not a field\n"), false),
    ]
}

/// Messages of every shape: MIME trees, no header, an empty header, a header that starts with a
/// continuation line, bare LFs, Latin-1, truncated.
fn corpus() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = [PLAIN, ALTERNATIVE, NESTED, RFC822]
        .iter()
        .map(|m| crlf(m))
        .collect();
    out.extend(
        [
            "",
            "hello, no header at all\r\n",
            "\r\nan empty header\r\n",
            "\nan empty header, LF\n",
            "\n",
            " folded: at the start\r\nSubject: x\r\n\r\nbody\r\n",
            "\tfolded\r\n\r\nbody",
            "Subject: bare LF\nFrom: a@b.c\n\nline\nline\n",
            "Subject: header only, no blank line\r\n",
            "Subject: no line end at all",
            "From a@b.c Mon Jan  1 10:00:00 2024\r\nSubject: mbox\r\n\r\nx",
            "Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: text/plain\r\n\r\ncut",
            "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nReceived: by relay\r\nDelivered-To: old@x.org\r\n\r\nb",
        ]
        .iter()
        .map(|m| m.as_bytes().to_vec()),
    );
    out.push(b"Subject: caf\xe9\r\nFrom: J\xfcrgen <j@x.de>\r\n\r\nbody\r\n".to_vec());
    // A header close to the decode limit: with a prefix it goes over, so the whole is parsed.
    let mut long = b"Subject: long\r\n".to_vec();
    while long.len() < MAX_HEADER_DECODE - 40 {
        long.extend_from_slice(b"X-Filler: 0123456789012345678901234567890123456789\r\n");
    }
    long.extend_from_slice(b"From: late@x.org\r\n\r\nbody\r\n");
    out.push(long);
    out
}

#[test]
fn prefixed_metadata_equals_parsing_the_whole() {
    for (prefix, trace) in prefixes() {
        assert_eq!(
            is_trace_block(&prefix),
            trace,
            "{}",
            String::from_utf8_lossy(&prefix)
        );
        for raw in corpus() {
            let whole = [prefix.as_slice(), raw.as_slice()].concat();
            let got = parse_prefixed(&prefix, &raw, &parse_message(&raw));
            assert_eq!(
                got,
                parse(&whole),
                "prefix {:?}, message {:?}",
                String::from_utf8_lossy(&prefix),
                String::from_utf8_lossy(raw.get(..200).unwrap_or(&raw))
            );
        }
    }
    // No prefix: the message's own metadata.
    let raw = crlf(PLAIN);
    assert_eq!(
        parse_prefixed(b"", &raw, &parse_message(&raw)),
        parse_message(&raw)
    );
}

#[test]
fn prefixed_metadata_is_shifted() {
    let raw = crlf(NESTED);
    let prefix = &prefixes()[0].0;
    let own = parse_message(&raw);
    let got = parse_prefixed(prefix, &raw, &own);
    let p = prefix.len() as u64;
    assert_eq!(
        got.body.header_start, 0,
        "the whole message's header starts with the prefix"
    );
    assert_eq!(got.body.body_start, own.body.body_start + p);
    assert_eq!(got.body.parts[1].header_start, own.body.parts[1].header_start + p);
    assert_eq!(got.wire_size, own.wire_size + p);
    assert_eq!(
        (got.envelope, got.sort, got.preview),
        (own.envelope, own.sort, own.preview)
    );
}

/// MIME-like input: header fields, delimiters, blank lines, folds and printable noise.
fn mime_like() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            Just("Content-Type: multipart/mixed; boundary=a\r\n".to_owned()),
            Just("Content-Type: multipart/alternative; boundary=\"a\"\r\n".to_owned()),
            Just("Content-Type: message/rfc822\r\n".to_owned()),
            Just("Content-Transfer-Encoding: base64\r\n".to_owned()),
            Just("Content-Transfer-Encoding: quoted-printable\r\n".to_owned()),
            Just("From: \"a\" <a@b.c>\r\n".to_owned()),
            Just("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("\n".to_owned()),
            Just("--a\r\n".to_owned()),
            Just("--a--\r\n".to_owned()),
            Just("Subject: =?utf-8?q?x=C3?=\r\n".to_owned()),
            Just("To: g: a@b;, c\r\n".to_owned()),
            Just(" folded\r\n".to_owned()),
            "[ -~]{0,20}",
        ],
        0..40,
    )
    .prop_map(|pieces| pieces.concat().into_bytes())
}

proptest! {
    #[test]
    fn prefixed_metadata_equals_parsing_the_whole_on_mime_like_input(
        raw in mime_like(),
        which in 0usize..10,
    ) {
        let all = prefixes();
        let (prefix, _) = &all[which % all.len()];
        let whole = [prefix.as_slice(), raw.as_slice()].concat();
        prop_assert_eq!(parse_prefixed(prefix, &raw, &parse_message(&raw)), parse_message(&whole));
    }
}

proptest! {
    #[test]
    fn never_panics_on_bytes(raw in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let m = parse_message(&raw);
        check_nesting(&m.body, 0, raw.len() as u64);
        // Every bare LF adds one octet on the wire; nothing else changes.
        let bare_lf = raw
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' && (i == 0 || raw[i - 1] != b'\r'))
            .count() as u64;
        prop_assert!(m.wire_size >= raw.len() as u64);
        prop_assert_eq!(m.wire_size, raw.len() as u64 + bare_lf);
    }

    #[test]
    fn wire_size_matches_normalised_length(
        raw in proptest::collection::vec(prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'a')], 0..200)
    ) {
        // The size of the CRLF form built independently: each bare LF becomes CRLF.
        let mut out = Vec::new();
        for (i, &b) in raw.iter().enumerate() {
            if b == b'\n' && (i == 0 || raw[i - 1] != b'\r') {
                out.push(b'\r');
            }
            out.push(b);
        }
        prop_assert!(wire_size(&raw) >= raw.len() as u64);
        prop_assert_eq!(wire_size(&raw), out.len() as u64);
    }

    #[test]
    fn never_panics_on_mime_like_input(raw in mime_like()) {
        let m = parse_message(&raw);
        check_nesting(&m.body, 0, raw.len() as u64);
    }
}
