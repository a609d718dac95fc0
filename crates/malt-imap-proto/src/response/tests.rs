//! Golden tests for the response writers, ENVELOPE and BODYSTRUCTURE.

use malt_store::meta::{Address, BodyPart, Envelope};

use super::*;
use crate::command::{DateTime, Flag, Section, SectionText, StatusItem};

fn addr(name: Option<&str>, mailbox: &str, host: &str) -> Address {
    Address {
        name: name.map(Into::into),
        mailbox: Some(mailbox.into()),
        host: Some(host.into()),
        ..Address::default()
    }
}

fn text(w: &ResponseWriter) -> String {
    String::from_utf8(w.as_bytes().to_vec()).unwrap()
}

fn envelope() -> Envelope {
    Envelope {
        date: Some("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)".into()),
        subject: Some("IMAP4rev2 WG mtg summary and minutes".into()),
        from: vec![addr(Some("Terry Gray"), "gray", "cac.washington.edu")],
        sender: vec![],
        reply_to: vec![],
        to: vec![addr(None, "imap", "cac.washington.edu")],
        cc: vec![
            addr(None, "minutes", "CNRI.Reston.VA.US"),
            addr(Some("John Klensin"), "KLENSIN", "MIT.EDU"),
        ],
        bcc: vec![],
        in_reply_to: None,
        message_id: Some("<B27397-0100000@cac.washington.edu>".into()),
    }
}

#[test]
fn envelope_golden() {
    let mut out = Vec::new();
    write_envelope(&mut out, &envelope(), false);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev2 WG mtg summary and minutes\" \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) \
((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \
\"<B27397-0100000@cac.washington.edu>\")"
    );
}

#[test]
fn envelope_groups_and_encoding() {
    let env = Envelope {
        subject: Some("Grüße".into()),
        to: vec![
            Address {
                mailbox: Some("team".into()),
                group_start: true,
                ..Address::default()
            },
            addr(Some("Zoë"), "zoe", "example.org"),
            Address {
                group_end: true,
                ..Address::default()
            },
        ],
        ..Envelope::default()
    };
    let mut w = ResponseWriter::new(false);
    w.fetch(1, &[FetchItem::Envelope(&env)]);
    assert_eq!(
        text(&w),
        "* 1 FETCH (ENVELOPE (NIL \"=?utf-8?B?R3LDvMOfZQ==?=\" NIL NIL NIL \
((NIL NIL \"team\" NIL)(\"=?utf-8?B?Wm/Dqw==?=\" NIL \"zoe\" \"example.org\")(NIL NIL NIL NIL)) NIL NIL NIL NIL))\r\n"
    );
    let mut w = ResponseWriter::new(true);
    w.fetch(1, &[FetchItem::Envelope(&env)]);
    assert!(text(&w).contains("\"Grüße\""));
}

fn text_part(subtype: &str, size: u64, lines: u64) -> BodyPart {
    BodyPart {
        media_type: "text".into(),
        subtype: subtype.into(),
        params: vec![("charset".into(), "us-ascii".into())],
        encoding: "7BIT".into(),
        size,
        lines,
        ..BodyPart::default()
    }
}

#[test]
fn bodystructure_golden() {
    let msg = BodyPart {
        media_type: "multipart".into(),
        subtype: "mixed".into(),
        params: vec![("boundary".into(), "xyz".into())],
        parts: vec![
            text_part("plain", 1152, 23),
            BodyPart {
                media_type: "application".into(),
                subtype: "octet-stream".into(),
                params: vec![("name".into(), "a.bin".into())],
                encoding: "BASE64".into(),
                size: 4554,
                disposition: Some(("attachment".into(), vec![("filename".into(), "a.bin".into())])),
                language: vec!["en".into(), "de".into()],
                ..BodyPart::default()
            },
        ],
        ..BodyPart::default()
    };
    let mut w = ResponseWriter::new(false);
    w.fetch(3, &[FetchItem::BodyStructure(&msg), FetchItem::Body(&msg)]);
    assert_eq!(
        text(&w),
        "* 3 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 1152 23 NIL NIL NIL NIL)\
(\"application\" \"octet-stream\" (\"name\" \"a.bin\") NIL NIL \"BASE64\" 4554 NIL (\"attachment\" (\"filename\" \"a.bin\")) (\"en\" \"de\") NIL) \
\"mixed\" (\"boundary\" \"xyz\") NIL NIL NIL) \
BODY ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 1152 23)\
(\"application\" \"octet-stream\" (\"name\" \"a.bin\") NIL NIL \"BASE64\" 4554) \"mixed\"))\r\n"
    );
}

#[test]
fn bodystructure_message_without_envelope() {
    let msg = BodyPart {
        media_type: "message".into(),
        subtype: "rfc822".into(),
        encoding: "7BIT".into(),
        size: 10,
        lines: 1,
        envelope: None,
        ..BodyPart::default()
    };
    let mut out = Vec::new();
    write_body_structure(&mut out, &msg, false, false);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "(\"message\" \"rfc822\" NIL NIL NIL \"7BIT\" 10 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) \
(\"text\" \"plain\" NIL NIL NIL \"7BIT\" 0 0) 1)"
    );
    // An empty multipart still gets one part; a deep nest is cut.
    let empty = BodyPart {
        media_type: "multipart".into(),
        subtype: "mixed".into(),
        ..BodyPart::default()
    };
    let mut out = Vec::new();
    write_body_structure(&mut out, &empty, false, false);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "((\"text\" \"plain\" NIL NIL NIL \"7BIT\" 0 0) \"mixed\")"
    );
    let mut deep = text_part("plain", 1, 1);
    for _ in 0..200 {
        deep = BodyPart {
            media_type: "multipart".into(),
            subtype: "mixed".into(),
            parts: vec![deep],
            ..BodyPart::default()
        };
    }
    let mut out = Vec::new();
    write_body_structure(&mut out, &deep, true, false);
    assert!(out.iter().filter(|&&b| b == b'(').count() < 400);
}

#[test]
fn fetch_items() {
    let section = Section {
        part: vec![1],
        text: Some(SectionText::HeaderFields(vec!["From".into()])),
    };
    let mut w = ResponseWriter::new(false);
    w.fetch(
        12,
        &[
            FetchItem::Flags(&[Flag::Seen, Flag::Keyword("$Junk".into())]),
            FetchItem::Uid(42),
            FetchItem::InternalDate(DateTime {
                year: 2024,
                month: 1,
                day: 2,
                hour: 3,
                minute: 4,
                second: 5,
                zone_minutes: 0,
            }),
            FetchItem::Rfc822Size(99),
            FetchItem::BodySection {
                section: &section,
                origin: Some(0),
                data: Some(b"From: a\r\n\r\n"),
            },
            FetchItem::BodySection {
                section: &Section::default(),
                origin: None,
                data: None,
            },
            FetchItem::Binary {
                part: &[1],
                origin: None,
                data: Some(b"a\0b"),
            },
            FetchItem::BinarySize { part: &[2], size: 7 },
            FetchItem::ModSeq(5),
            FetchItem::Preview(Some("hi")),
            FetchItem::EmailId("M1"),
            FetchItem::ThreadId(None),
            FetchItem::SaveDate(None),
        ],
    );
    assert_eq!(
        text(&w),
        "* 12 FETCH (FLAGS (\\Seen $Junk) UID 42 INTERNALDATE \"02-Jan-2024 03:04:05 +0000\" RFC822.SIZE 99 \
BODY[1.HEADER.FIELDS (From)]<0> {11}\r\nFrom: a\r\n\r\n BODY[] NIL BINARY[1] ~{3}\r\na\0b BINARY.SIZE[2] 7 MODSEQ (5) \
PREVIEW \"hi\" EMAILID (M1) THREADID NIL SAVEDATE NIL)\r\n"
    );
}

#[test]
fn tagged_and_untagged() {
    let mut w = ResponseWriter::new(false);
    w.tagged(
        "a1",
        Status::Ok,
        Some(&ResponseCode::ReadWrite),
        "SELECT completed",
    );
    w.tagged("a2", Status::No, None, "bad\r\nthing");
    w.untagged(
        Status::Ok,
        Some(&ResponseCode::UidValidity(3857529045)),
        "UIDs valid",
    );
    w.untagged(Status::Bye, None, "");
    w.continuation("Ready");
    w.continuation_data(b"hi");
    w.capability(&["IMAP4rev2", "IDLE"]);
    w.exists(172);
    w.expunge(3);
    w.recent(1);
    w.vanished(true, &[(41, 41), (43, 116)]);
    w.vanished(false, &[]);
    w.flags(&[Flag::Answered, Flag::Extension("Foo".into())]);
    assert_eq!(
        text(&w),
        "a1 OK [READ-WRITE] SELECT completed\r\na2 NO bad  thing\r\n* OK [UIDVALIDITY 3857529045] UIDs valid\r\n\
* BYE BYE\r\n+ Ready\r\n+ aGk=\r\n* CAPABILITY IMAP4rev2 IDLE\r\n* 172 EXISTS\r\n* 3 EXPUNGE\r\n* 1 RECENT\r\n\
* VANISHED (EARLIER) 41,43:116\r\n* FLAGS (\\Answered \\Foo)\r\n"
    );
}

#[test]
fn list_status_and_mailbox_encoding() {
    let mut w = ResponseWriter::new(false);
    w.list(
        false,
        &["\\HasNoChildren", "\\Sent"],
        Some('/'),
        "Entwürfe",
        false,
        None,
    );
    w.list(true, &[], None, "INBOX", true, Some("Old"));
    w.status(
        "a b",
        &[
            (StatusItem::Messages, StatusData::Number(231)),
            (StatusItem::MailboxId, StatusData::ObjectId("F1".into())),
        ],
    );
    assert_eq!(
        text(&w),
        "* LIST (\\HasNoChildren \\Sent) \"/\" Entw&APw-rfe\r\n\
* LSUB () NIL INBOX (\"CHILDINFO\" (\"SUBSCRIBED\") \"OLDNAME\" (Old))\r\n\
* STATUS \"a b\" (MESSAGES 231 MAILBOXID (F1))\r\n"
    );
    let mut w = ResponseWriter::new(true);
    w.list(false, &[], Some('/'), "Entwürfe", false, None);
    assert_eq!(text(&w), "* LIST () \"/\" \"Entwürfe\"\r\n");
}

#[test]
fn search_family() {
    let mut w = ResponseWriter::new(false);
    w.search(&[2, 84, 882], None);
    w.search(&[], Some(5));
    w.search(&[1], Some(5));
    w.sort(&[5, 3], None);
    w.esearch(
        Some("A282"),
        true,
        &EsearchData {
            min: Some(2),
            count: Some(3),
            all: Some(vec![(2, 2), (10, 11)]),
            ..EsearchData::default()
        },
    );
    w.esearch(
        None,
        false,
        &EsearchData {
            count: Some(0),
            all: Some(vec![]),
            ..EsearchData::default()
        },
    );
    w.thread(&[
        Thread {
            chain: vec![2],
            children: vec![],
        },
        Thread {
            chain: vec![3, 6],
            children: vec![
                Thread {
                    chain: vec![4, 23],
                    children: vec![],
                },
                Thread {
                    chain: vec![44],
                    children: vec![Thread {
                        chain: vec![7, 96],
                        children: vec![],
                    }],
                },
            ],
        },
        Thread {
            chain: vec![],
            children: vec![
                Thread {
                    chain: vec![8],
                    children: vec![],
                },
                Thread {
                    chain: vec![9],
                    children: vec![],
                },
            ],
        },
    ]);
    w.thread(&[]);
    // A deep tree is written without recursion.
    let mut deep = Thread {
        chain: vec![1],
        children: vec![],
    };
    for i in 2..20_000 {
        deep = Thread {
            chain: vec![i],
            children: vec![
                deep,
                Thread {
                    chain: vec![0],
                    children: vec![],
                },
            ],
        };
    }
    let mut big = ResponseWriter::new(false);
    let threads = [deep];
    big.thread(&threads);
    assert!(big.as_bytes().starts_with(b"* THREAD (19999 (19998 (19997 "));
    // Dropping the test's own deep tree would recurse; leak it.
    std::mem::forget(threads);
    assert_eq!(
        text(&w),
        "* SEARCH 2 84 882\r\n* SEARCH\r\n* SEARCH 1 (MODSEQ 5)\r\n* SORT 5 3\r\n\
* ESEARCH (TAG \"A282\") UID MIN 2 COUNT 3 ALL 2,10:11\r\n* ESEARCH COUNT 0\r\n\
* THREAD (2)(3 6 (4 23)(44 7 96))((8)(9))\r\n* THREAD\r\n"
    );
}

#[test]
fn extension_responses() {
    let mut w = ResponseWriter::new(false);
    w.enabled(&["CONDSTORE"]);
    w.quota("", &[("STORAGE", 10, 512)]);
    w.quota_root("INBOX", &[""]);
    w.acl("INBOX", &[("Fred", "rwipslxetad")]);
    w.list_rights("INBOX", "smith", "la", &["r", "swicdkxte"]);
    w.my_rights("INBOX", "rwiptsldaex");
    w.metadata(
        "INBOX",
        &[
            ("/private/comment", Some(b"My comment")),
            ("/shared/x", None),
            ("/shared/b", Some(b"\0")),
        ],
    );
    w.metadata("", &[("/shared/admin", Some(b"a\r\nb"))]);
    w.namespace(
        &[NamespaceEntry {
            prefix: "".into(),
            delimiter: Some('/'),
        }],
        &[],
        &[],
    );
    w.id(Some(&[("name", Some("Malt")), ("os", None)]));
    w.id(None);
    assert_eq!(
        text(&w),
        "* ENABLED CONDSTORE\r\n* QUOTA \"\" (STORAGE 10 512)\r\n* QUOTAROOT INBOX \"\"\r\n\
* ACL INBOX Fred rwipslxetad\r\n* LISTRIGHTS INBOX smith la r swicdkxte\r\n* MYRIGHTS INBOX rwiptsldaex\r\n\
* METADATA INBOX (/private/comment \"My comment\" /shared/x NIL /shared/b ~{1}\r\n\0)\r\n\
* METADATA \"\" (/shared/admin {4}\r\na\r\nb)\r\n* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n\
* ID (\"name\" \"Malt\" \"os\" NIL)\r\n* ID NIL\r\n"
    );
}

/// The CONDSTORE/QRESYNC responses (RFC 7162 §3.1.2.1, §3.1.2.2, §3.1.3, §3.1.4.1, §3.2.10, §7 ABNF).
#[test]
fn condstore_and_qresync_responses() {
    let mut w = ResponseWriter::new(false);
    w.untagged(
        Status::Ok,
        Some(&ResponseCode::HighestModSeq(715_194_045_007)),
        "Highest",
    );
    w.untagged(
        Status::Ok,
        Some(&ResponseCode::NoModSeq),
        "Sorry, this mailbox format doesn't support modsequences",
    );
    w.fetch(
        7,
        &[
            FetchItem::Uid(120),
            FetchItem::Flags(&[Flag::Seen]),
            FetchItem::ModSeq(320_162_342),
        ],
    );
    w.fetch(5, &[FetchItem::ModSeq(320_162_350)]);
    w.tagged(
        "d105",
        Status::Ok,
        Some(&ResponseCode::Modified(compress_ids(&[7, 9, 10, 11]))),
        "Conditional STORE failed",
    );
    w.vanished(false, &compress_ids(&[405, 406, 407, 408, 410]));
    w.vanished(true, &compress_ids(&[300]));
    assert_eq!(
        text(&w),
        "* OK [HIGHESTMODSEQ 715194045007] Highest\r\n\
* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences\r\n\
* 7 FETCH (UID 120 FLAGS (\\Seen) MODSEQ (320162342))\r\n\
* 5 FETCH (MODSEQ (320162350))\r\n\
d105 OK [MODIFIED 7,9:11] Conditional STORE failed\r\n\
* VANISHED 405:408,410\r\n\
* VANISHED (EARLIER) 300\r\n"
    );
}

/// RFC 5464 §4.4.2: the unsolicited METADATA names the changed entries, without values.
#[test]
fn metadata_changed() {
    let mut w = ResponseWriter::new(false);
    w.metadata_changed("INBOX", &["/private/comment", "/shared/x"]);
    w.metadata_changed("", &["/private/vendor/x"]);
    w.metadata_changed("Entwürfe", &["/shared/comment"]);
    assert_eq!(
        text(&w),
        "* METADATA INBOX /private/comment /shared/x\r\n* METADATA \"\" /private/vendor/x\r\n* METADATA Entw&APw-rfe /shared/comment\r\n"
    );
}
