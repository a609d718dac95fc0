//! Property tests: every command the client-side serialiser writes parses back to itself, in one
//! buffer and fed octet by octet (every strict prefix is Incomplete or NeedLiteral).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use malt_imap_proto::command::*;
use malt_imap_proto::{Limits, Parsed, parse_command};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

fn tag() -> impl Strategy<Value = String> {
    "[A-Za-z0-9.]{1,8}"
}

/// Any text without NUL (literals cannot carry NUL).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ]{0,10}",
        "[^\u{0}]{0,10}",
        "[\\]\\\\\"{}()*%~+ -]{0,6}"
    ]
}

fn mailbox() -> impl Strategy<Value = String> {
    text().prop_map(|s| {
        if s.eq_ignore_ascii_case("INBOX") {
            "INBOX".to_string()
        } else {
            s
        }
    })
}

fn atom() -> impl Strategy<Value = String> {
    "[A-Za-z0-9$_-]{1,8}"
}

/// RFC 8474 objectid.
fn objectid() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{1,8}"
}

fn upper_atom() -> impl Strategy<Value = String> {
    "[A-Z0-9-]{1,8}"
}

fn seq_num() -> impl Strategy<Value = SeqNum> {
    prop_oneof![(1u32..=u32::MAX).prop_map(SeqNum::Value), Just(SeqNum::Star)]
}

fn seq_set() -> impl Strategy<Value = SequenceSet> {
    prop_oneof![
        1 => Just(SequenceSet::Saved),
        6 => vec((seq_num(), seq_num()).prop_map(|(start, end)| SeqRange { start, end }), 1..4)
            .prop_map(SequenceSet::Ranges),
    ]
}

fn flag() -> impl Strategy<Value = Flag> {
    prop_oneof![
        Just(Flag::Seen),
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Draft),
        Just(Flag::Recent),
        "X[a-z]{0,6}".prop_map(Flag::Extension),
        atom().prop_map(Flag::Keyword),
    ]
}

fn date() -> impl Strategy<Value = Date> {
    (1900u16..2100, 1u8..=12, 1u8..=28).prop_map(|(year, month, day)| Date { year, month, day })
}

fn date_time() -> impl Strategy<Value = DateTime> {
    (date(), 0u8..24, 0u8..60, 0u8..60, -1439i16..=1439).prop_map(
        |(d, hour, minute, second, zone_minutes)| DateTime {
            year: d.year,
            month: d.month,
            day: d.day,
            hour,
            minute,
            second,
            zone_minutes,
        },
    )
}

fn n64() -> impl Strategy<Value = u64> {
    0u64..=i64::MAX as u64
}

fn search_key() -> impl Strategy<Value = SearchKey> {
    use SearchKey as K;
    let leaf = prop_oneof![
        Just(K::All),
        Just(K::Answered),
        Just(K::Deleted),
        Just(K::Unseen),
        Just(K::New),
        Just(K::SaveDateSupported),
        text().prop_map(K::Bcc),
        text().prop_map(K::Body),
        text().prop_map(K::Subject),
        text().prop_map(K::From),
        (text(), text()).prop_map(|(a, b)| K::Header(a, b)),
        atom().prop_map(K::Keyword),
        atom().prop_map(K::Unkeyword),
        n64().prop_map(K::Larger),
        n64().prop_map(K::Smaller),
        (1u32..=u32::MAX).prop_map(K::Older),
        date().prop_map(K::Before),
        date().prop_map(K::SentSince),
        date().prop_map(K::SavedOn),
        seq_set().prop_map(K::Uid),
        seq_set().prop_map(K::SequenceSet),
        objectid().prop_map(K::EmailId),
        objectid().prop_map(K::ThreadId),
        (
            option::of((
                "[a-z/\\\\\" ]{1,8}",
                prop_oneof![
                    Just(EntryType::Private),
                    Just(EntryType::Shared),
                    Just(EntryType::All)
                ]
            )),
            n64()
        )
            .prop_map(|(entry, modseq)| K::ModSeq { entry, modseq }),
    ];
    leaf.prop_recursive(4, 16, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| K::Not(Box::new(k))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| K::Or(Box::new(a), Box::new(b))),
            vec(inner, 2..4).prop_map(K::And),
        ]
    })
}

fn section() -> impl Strategy<Value = Section> {
    (vec(1u32..200, 0..3), 0u8..6, vec("[A-Za-z-]{1,8}", 1..3)).prop_map(|(part, t, fields)| {
        let text = match t {
            0 => None,
            1 => Some(SectionText::Header),
            2 => Some(SectionText::Text),
            3 if !part.is_empty() => Some(SectionText::Mime),
            3 => None,
            4 => Some(SectionText::HeaderFields(fields)),
            _ => Some(SectionText::HeaderFieldsNot(fields)),
        };
        Section { part, text }
    })
}

fn partial() -> impl Strategy<Value = Partial> {
    option::of((n64(), 1u64..=i64::MAX as u64))
}

fn fetch_att() -> impl Strategy<Value = FetchAttribute> {
    use FetchAttribute as F;
    prop_oneof![
        Just(F::Flags),
        Just(F::Uid),
        Just(F::InternalDate),
        Just(F::Rfc822Size),
        Just(F::Envelope),
        Just(F::BodyStructure),
        Just(F::Body),
        Just(F::Rfc822),
        Just(F::Rfc822Header),
        Just(F::Rfc822Text),
        Just(F::ModSeq),
        Just(F::EmailId),
        Just(F::ThreadId),
        Just(F::SaveDate),
        any::<bool>().prop_map(|lazy| F::Preview { lazy }),
        (any::<bool>(), section(), partial()).prop_map(|(peek, section, partial)| F::BodySection {
            peek,
            section,
            partial
        }),
        (any::<bool>(), vec(1u32..50, 0..3), partial()).prop_map(|(peek, part, partial)| F::Binary {
            peek,
            part,
            partial
        }),
        vec(1u32..50, 0..3).prop_map(|part| F::BinarySize { part }),
    ]
}

fn search_returns() -> impl Strategy<Value = Option<Vec<SearchReturn>>> {
    option::of(vec(
        prop_oneof![
            Just(SearchReturn::Min),
            Just(SearchReturn::Max),
            Just(SearchReturn::All),
            Just(SearchReturn::Count),
            Just(SearchReturn::Save)
        ],
        0..4,
    ))
}

fn status_items() -> impl Strategy<Value = Vec<StatusItem>> {
    use StatusItem as S;
    vec(
        prop_oneof![
            Just(S::Messages),
            Just(S::UidNext),
            Just(S::UidValidity),
            Just(S::Unseen),
            Just(S::Deleted),
            Just(S::Size),
            Just(S::Recent),
            Just(S::HighestModSeq),
            Just(S::AppendLimit),
            Just(S::MailboxId)
        ],
        1..4,
    )
}

fn append_message() -> impl Strategy<Value = AppendMessage> {
    (
        vec(flag(), 0..3),
        option::of(date_time()),
        0u8..3,
        vec(any::<u8>(), 0..40),
    )
        .prop_map(|(flags, date, mode, mut data)| {
            let (binary, utf8) = match mode {
                0 => (false, false),
                1 => (true, false),
                _ => (false, true),
            };
            if !binary && !utf8 {
                data.retain(|&b| b != 0);
            }
            AppendMessage {
                flags,
                date,
                data,
                binary,
                utf8,
            }
        })
}

fn notify_filter() -> impl Strategy<Value = NotifyFilter> {
    prop_oneof![
        Just(NotifyFilter::Selected),
        Just(NotifyFilter::SelectedDelayed),
        Just(NotifyFilter::Inboxes),
        Just(NotifyFilter::Personal),
        Just(NotifyFilter::Subscribed),
        vec(mailbox(), 1..3).prop_map(NotifyFilter::Subtree),
        vec(mailbox(), 1..3).prop_map(NotifyFilter::Mailboxes),
    ]
}

fn notify_event() -> impl Strategy<Value = NotifyEvent> {
    prop_oneof![
        vec(fetch_att(), 0..3).prop_map(NotifyEvent::MessageNew),
        Just(NotifyEvent::MessageExpunge),
        Just(NotifyEvent::FlagChange),
        Just(NotifyEvent::AnnotationChange),
        Just(NotifyEvent::MailboxName),
        Just(NotifyEvent::SubscriptionChange),
        Just(NotifyEvent::MailboxMetadataChange),
        Just(NotifyEvent::ServerMetadataChange),
    ]
}

fn kind() -> impl Strategy<Value = CommandKind> {
    use CommandKind as C;
    let simple = prop_oneof![
        Just(C::Capability),
        Just(C::Noop),
        Just(C::Logout),
        Just(C::StartTls),
        Just(C::Namespace),
        Just(C::Idle),
        Just(C::Check),
        Just(C::Close),
        Just(C::Unselect),
        Just(C::Expunge),
        seq_set().prop_map(|set| C::UidExpunge { set }),
        (upper_atom(), option::of(vec(any::<u8>(), 0..20)))
            .prop_map(|(mechanism, initial)| C::Authenticate { mechanism, initial }),
        (text(), text()).prop_map(|(username, password)| C::Login { username, password }),
        vec(upper_atom(), 1..3).prop_map(|capabilities| C::Enable { capabilities }),
        upper_atom().prop_map(|mechanism| C::Compress { mechanism }),
        option::of(vec((text(), option::of(text())), 0..4)).prop_map(C::Id),
    ];
    let mailboxes = prop_oneof![
        (
            mailbox(),
            any::<bool>(),
            option::of((
                1u32..=u32::MAX,
                n64(),
                option::of(seq_set()),
                option::of((seq_set(), seq_set()))
            )),
            any::<bool>()
        )
            .prop_map(|(mailbox, condstore, q, examine)| {
                let qresync = q.map(|(uidvalidity, modseq, known_uids, seq_match)| QresyncParams {
                    uidvalidity,
                    modseq,
                    known_uids,
                    seq_match,
                });
                let args = SelectArgs {
                    mailbox,
                    condstore,
                    qresync,
                };
                if examine {
                    C::Examine(args)
                } else {
                    C::Select(args)
                }
            }),
        (mailbox(), vec("[A-Za-z]{1,8}", 0..3))
            .prop_map(|(mailbox, special_use)| C::Create { mailbox, special_use }),
        mailbox().prop_map(|mailbox| C::Delete { mailbox }),
        (mailbox(), mailbox()).prop_map(|(from, to)| C::Rename { from, to }),
        mailbox().prop_map(|mailbox| C::Subscribe { mailbox }),
        mailbox().prop_map(|mailbox| C::Unsubscribe { mailbox }),
        (
            vec(
                prop_oneof![
                    Just(ListSelect::Subscribed),
                    Just(ListSelect::Remote),
                    Just(ListSelect::RecursiveMatch),
                    Just(ListSelect::SpecialUse)
                ],
                0..3
            ),
            mailbox(),
            vec(text(), 1..3),
            vec(
                prop_oneof![
                    Just(ListReturn::Subscribed),
                    Just(ListReturn::Children),
                    Just(ListReturn::SpecialUse),
                    status_items().prop_map(ListReturn::Status)
                ],
                0..3
            ),
        )
            .prop_map(|(selection, reference, patterns, returns)| C::List(ListArgs {
                selection,
                reference,
                patterns,
                returns
            })),
        (mailbox(), text()).prop_map(|(reference, pattern)| C::Lsub { reference, pattern }),
        (mailbox(), status_items()).prop_map(|(mailbox, items)| C::Status { mailbox, items }),
        (mailbox(), vec(append_message(), 1..3))
            .prop_map(|(mailbox, messages)| C::Append { mailbox, messages }),
    ];
    let selected = prop_oneof![
        (
            any::<bool>(),
            search_returns(),
            option::of(upper_atom()),
            search_key()
        )
            .prop_map(|(uid, returns, charset, key)| C::Search {
                uid,
                args: SearchArgs {
                    returns,
                    charset,
                    key
                }
            }),
        (
            any::<bool>(),
            seq_set(),
            vec(fetch_att(), 1..4),
            option::of(n64()),
            any::<bool>()
        )
            .prop_map(|(uid, set, items, changed_since, vanished)| C::Fetch {
                uid,
                args: FetchArgs {
                    set,
                    items,
                    changed_since,
                    vanished
                }
            }),
        (
            any::<bool>(),
            seq_set(),
            option::of(n64()),
            0u8..3,
            any::<bool>(),
            vec(flag(), 0..4)
        )
            .prop_map(|(uid, set, unchanged_since, mode, silent, flags)| C::Store {
                uid,
                args: StoreArgs {
                    set,
                    unchanged_since,
                    mode: [StoreMode::Replace, StoreMode::Add, StoreMode::Remove][usize::from(mode)],
                    silent,
                    flags
                }
            }),
        (any::<bool>(), seq_set(), mailbox()).prop_map(|(uid, set, mailbox)| C::Copy { uid, set, mailbox }),
        (any::<bool>(), seq_set(), mailbox()).prop_map(|(uid, set, mailbox)| C::Move { uid, set, mailbox }),
        (
            any::<bool>(),
            search_returns(),
            vec(
                (
                    any::<bool>(),
                    prop_oneof![
                        Just(SortKey::Arrival),
                        Just(SortKey::Cc),
                        Just(SortKey::Date),
                        Just(SortKey::From),
                        Just(SortKey::Size),
                        Just(SortKey::Subject),
                        Just(SortKey::To),
                        Just(SortKey::DisplayFrom),
                        Just(SortKey::DisplayTo)
                    ]
                )
                    .prop_map(|(reverse, key)| SortCriterion { reverse, key }),
                1..3
            ),
            upper_atom(),
            search_key()
        )
            .prop_map(|(uid, returns, criteria, charset, key)| C::Sort {
                uid,
                args: SortArgs {
                    returns,
                    criteria,
                    charset,
                    key
                }
            }),
        (
            any::<bool>(),
            prop_oneof![
                Just(ThreadAlgorithm::OrderedSubject),
                Just(ThreadAlgorithm::References),
                "X[A-Z]{1,6}".prop_map(ThreadAlgorithm::Other)
            ],
            upper_atom(),
            search_key()
        )
            .prop_map(|(uid, algorithm, charset, key)| C::Thread {
                uid,
                args: ThreadArgs {
                    algorithm,
                    charset,
                    key
                }
            }),
    ];
    let ext = prop_oneof![
        text().prop_map(|root| C::GetQuota { root }),
        mailbox().prop_map(|mailbox| C::GetQuotaRoot { mailbox }),
        (text(), vec(("[A-Z]{1,8}", n64()), 0..3)).prop_map(|(root, limits)| C::SetQuota { root, limits }),
        (mailbox(), text(), text()).prop_map(|(mailbox, identifier, rights)| C::SetAcl {
            mailbox,
            identifier,
            rights
        }),
        (mailbox(), text()).prop_map(|(mailbox, identifier)| C::DeleteAcl { mailbox, identifier }),
        mailbox().prop_map(|mailbox| C::GetAcl { mailbox }),
        (mailbox(), text()).prop_map(|(mailbox, identifier)| C::ListRights { mailbox, identifier }),
        mailbox().prop_map(|mailbox| C::MyRights { mailbox }),
        (
            option::of(n64()),
            option::of(prop_oneof![
                Just(MetadataDepth::Zero),
                Just(MetadataDepth::One),
                Just(MetadataDepth::Infinity)
            ]),
            mailbox(),
            vec(text(), 1..3)
        )
            .prop_map(|(max_size, depth, mailbox, entries)| C::GetMetadata {
                options: MetadataOptions { max_size, depth },
                mailbox,
                entries
            }),
        (
            mailbox(),
            vec((text(), option::of(vec(any::<u8>(), 0..12))), 1..3)
        )
            .prop_map(|(mailbox, entries)| C::SetMetadata { mailbox, entries }),
        option::of((
            any::<bool>(),
            vec(
                (notify_filter(), option::of(vec(notify_event(), 1..3)))
                    .prop_map(|(filter, events)| NotifyGroup { filter, events }),
                1..3
            )
        ))
        .prop_map(|n| C::Notify(n.map(|(status, groups)| NotifySet { status, groups }))),
    ];
    prop_oneof![simple, mailboxes, selected, ext]
}

fn parse_all(bytes: &[u8]) -> Command {
    match parse_command(bytes, &Limits::default()) {
        Ok((Parsed::Command(c), n)) => {
            assert_eq!(n, bytes.len());
            c
        }
        other => panic!("{:?} -> {other:?}", String::from_utf8_lossy(bytes)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_serialise_round_trip(tag in tag(), kind in kind()) {
        let cmd = Command { tag, kind };
        let bytes = cmd.to_bytes();
        if std::env::var_os("SHOW_SAMPLES").is_some() {
            eprintln!("{}", String::from_utf8_lossy(&bytes).escape_debug());
        }
        prop_assert_eq!(parse_all(&bytes), cmd);
    }

    #[test]
    fn prefixes_are_incomplete(tag in tag(), kind in kind()) {
        let cmd = Command { tag, kind };
        let bytes = cmd.to_bytes();
        if bytes.len() <= 300 {
            for end in 0..bytes.len() {
                match parse_command(&bytes[..end], &Limits::default()) {
                    Ok((Parsed::Incomplete, 0)) | Ok((Parsed::NeedLiteral { .. }, 0)) => {}
                    other => panic!("prefix {:?} -> {other:?}", String::from_utf8_lossy(&bytes[..end])),
                }
            }
        }
    }

    #[test]
    fn pipelined_consumption(cmds in vec((tag(), kind()), 1..4)) {
        let cmds: Vec<Command> = cmds.into_iter().map(|(tag, kind)| Command { tag, kind }).collect();
        let buf: Vec<u8> = cmds.iter().flat_map(|c| c.to_bytes()).collect();
        let mut pos = 0;
        for want in &cmds {
            match parse_command(&buf[pos..], &Limits::default()).unwrap() {
                (Parsed::Command(c), n) => {
                    prop_assert_eq!(&c, want);
                    pos += n;
                }
                other => panic!("{other:?}"),
            }
        }
        prop_assert_eq!(pos, buf.len());
    }

    /// Arbitrary input never panics and consumption never exceeds the buffer.
    #[test]
    fn arbitrary_input(data in vec(any::<u8>(), 0..200)) {
        match parse_command(&data, &Limits::default()) {
            Ok((_, n)) => prop_assert!(n <= data.len()),
            Err(e) => prop_assert!(e.consumed() <= data.len()),
        }
    }
}

/// The session loop with synchronising literals: the client waits for `+` before each literal.
#[test]
fn synchronising_literal_dialogue() {
    let limits = Limits::default();
    let mut buf = b"a1 LOGIN {5}\r\n".to_vec();
    assert_eq!(
        parse_command(&buf, &limits).unwrap(),
        (Parsed::NeedLiteral { size: 5 }, 0)
    );
    buf.extend_from_slice(b"alice {6}\r\n");
    assert_eq!(
        parse_command(&buf, &limits).unwrap(),
        (Parsed::NeedLiteral { size: 6 }, 0)
    );
    buf.extend_from_slice(b"secret\r\na2 NOOP\r\n");
    let (p, n) = parse_command(&buf, &limits).unwrap();
    assert_eq!(
        p,
        Parsed::Command(Command {
            tag: "a1".into(),
            kind: CommandKind::Login {
                username: "alice".into(),
                password: "secret".into()
            }
        })
    );
    let (p, _) = parse_command(&buf[n..], &limits).unwrap();
    assert_eq!(
        p,
        Parsed::Command(Command {
            tag: "a2".into(),
            kind: CommandKind::Noop
        })
    );
}
