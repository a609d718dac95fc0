//! Script generation from rule lists (`malt_sieve::rules`): the generated scripts compile for any
//! rule list, and run to the actions the rules describe.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{EmptyWorld, run_alice_to_bob};
use malt_sieve::compile;
use malt_sieve::limits::Limits;
use malt_sieve::outcome::Action as Done;
use malt_sieve::rules::{Action, Condition, Field, Match, Rule, generate};
use proptest::prelude::*;

const MESSAGE: &str = "From: Alice <alice@example.com>\r\n\
To: bob@example.org\r\n\
Cc: \"Lists\" <dev@lists.example.net>\r\n\
Subject: [dev] Release \"1.0\" planning\r\n\
List-Id: <dev.lists.example.net>\r\n\
Message-ID: <r1@example.com>\r\n\
\r\n\
The release is on Friday.\r\n";

/// No mailboxes, includes or duplicate memory.
const NO_WORLD: EmptyWorld = EmptyWorld {
    mailboxes_exist: false,
    now: (1_800_000_000, 0),
};

/// A personal message (no list headers), which vacation answers.
const PERSONAL: &str = "From: Alice <alice@example.com>\r\n\
To: bob@example.org\r\n\
Subject: Lunch?\r\n\
Message-ID: <p1@example.com>\r\n\
\r\n\
Tomorrow at noon?\r\n";

fn run_rules(rules: &[Rule]) -> Vec<Done> {
    run_rules_on(MESSAGE, rules)
}

fn run_rules_on(message: &str, rules: &[Rule]) -> Vec<Done> {
    let source = generate(rules);
    let script = compile("rules", &source, &Limits::default())
        .unwrap_or_else(|e| panic!("generated script does not compile:\n{e}\n{source}"));
    run_alice_to_bob(&script, message, &NO_WORLD, &Limits::default())
        .unwrap()
        .actions
}

fn cond(field: Field, operator: Match, value: &str) -> Condition {
    Condition {
        field,
        operator,
        value: value.into(),
    }
}

fn rule(conditions: Vec<Condition>, match_all: bool, actions: Vec<Action>, stop: bool) -> Rule {
    Rule {
        name: "test".into(),
        match_all,
        conditions,
        actions,
        stop,
    }
}

#[test]
fn a_matching_rule_files_and_flags_and_stops() {
    let rules = vec![
        rule(
            vec![cond(Field::Subject, Match::Contains, "[dev]")],
            true,
            vec![
                Action::FileInto("Lists/dev".into()),
                Action::MarkRead,
                Action::Flag,
            ],
            true,
        ),
        // Never reached: the first rule stops.
        rule(vec![], true, vec![Action::Discard], false),
    ];
    assert_eq!(
        run_rules(&rules),
        vec![Done::FileInto {
            mailbox: "Lists/dev".into(),
            flags: vec!["\\Seen".into(), "\\Flagged".into()],
            create: true,
            special_use: None,
        }]
    );
}

#[test]
fn conditions_combine_with_allof_and_anyof() {
    let from_alice = cond(Field::From, Match::Is, "alice@example.com");
    let subject_other = cond(Field::Subject, Match::Contains, "no such words");
    let all = vec![rule(
        vec![from_alice.clone(), subject_other.clone()],
        true,
        vec![Action::Discard],
        false,
    )];
    assert_eq!(run_rules(&all), vec![Done::Keep { flags: vec![] }]);
    let any = vec![rule(
        vec![from_alice, subject_other],
        false,
        vec![Action::Discard],
        false,
    )];
    assert_eq!(run_rules(&any), vec![Done::Discard]);
}

#[test]
fn negations_headers_body_size_and_addresses() {
    let cases = [
        (cond(Field::Subject, Match::NotContains, "[dev]"), false),
        (cond(Field::Subject, Match::Matches, "*release*1.0*"), true),
        (
            cond(Field::Header("List-Id".into()), Match::Contains, "dev.lists"),
            true,
        ),
        (cond(Field::ToOrCc, Match::Is, "dev@lists.example.net"), true),
        (cond(Field::From, Match::NotIs, "alice@example.com"), false),
        (cond(Field::Body, Match::Contains, "friday"), true),
        (cond(Field::Size, Match::Over, "1K"), false),
        (cond(Field::Size, Match::Under, "1K"), true),
    ];
    for (condition, applies) in cases {
        let rules = vec![rule(
            vec![condition.clone()],
            true,
            vec![Action::CopyInto("Seen-by-rule".into())],
            false,
        )];
        let filed = run_rules(&rules)
            .iter()
            .any(|a| matches!(a, Done::FileInto { mailbox, .. } if mailbox == "Seen-by-rule"));
        assert_eq!(filed, applies, "{condition:?}");
    }
}

#[test]
fn forwarding_rejecting_and_vacation() {
    let rules = vec![rule(
        vec![],
        true,
        vec![
            Action::RedirectCopy("carol@example.net".into()),
            Action::Vacation {
                days: 3,
                subject: "Away".into(),
                reason: "Back on \"Monday\".".into(),
            },
        ],
        false,
    )];
    let actions = run_rules_on(PERSONAL, &rules);
    assert!(actions.contains(&Done::Redirect {
        address: "carol@example.net".into()
    }));
    assert!(actions.contains(&Done::Keep { flags: vec![] }));
    let vacation = actions
        .iter()
        .find_map(|a| match a {
            Done::Vacation(v) => Some(v),
            _ => None,
        })
        .unwrap();
    assert_eq!(vacation.subject, "Away");
    assert_eq!(vacation.body, "Back on \"Monday\".");
    assert_eq!(vacation.period_seconds, 3 * 86_400);

    let reject = vec![rule(vec![], true, vec![Action::Reject("Not here".into())], false)];
    assert_eq!(
        run_rules(&reject),
        vec![Done::Reject {
            reason: "Not here".into(),
            extended: false
        }]
    );
}

#[test]
fn values_cannot_inject_sieve() {
    let hostile = "\"; discard; if true { keep; } #\\";
    let rules = vec![rule(
        vec![cond(Field::Subject, Match::Is, hostile)],
        true,
        vec![Action::FileInto(hostile.into())],
        false,
    )];
    // The subject is not the hostile text, so nothing but the implicit keep happens.
    assert_eq!(run_rules(&rules), vec![Done::Keep { flags: vec![] }]);
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        Just(Field::From),
        Just(Field::ToOrCc),
        Just(Field::Subject),
        ".{0,12}".prop_map(Field::Header),
        Just(Field::Body),
        Just(Field::Size),
    ]
}

fn operator() -> impl Strategy<Value = Match> {
    prop_oneof![
        Just(Match::Is),
        Just(Match::Contains),
        Just(Match::Matches),
        Just(Match::NotIs),
        Just(Match::NotContains),
        Just(Match::Over),
        Just(Match::Under),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        "[^\u{0}]{1,12}".prop_map(Action::FileInto),
        "[^\u{0}]{1,12}".prop_map(Action::CopyInto),
        Just(Action::Redirect("carol@example.net".into())),
        Just(Action::MarkRead),
        Just(Action::Flag),
        Just(Action::Keep),
        ".{0,20}".prop_map(|reason| Action::Vacation {
            days: 7,
            subject: "Away".into(),
            reason
        }),
    ]
}

proptest! {
    /// Whatever the user types into a rule, the generated script compiles.
    #[test]
    fn generated_scripts_always_compile(
        rules in prop::collection::vec(
            (
                ".{0,10}",
                any::<bool>(),
                prop::collection::vec((field(), operator(), ".{0,16}"), 0..4),
                prop::collection::vec(action(), 0..3),
                any::<bool>(),
            ),
            0..5,
        )
    ) {
        let rules: Vec<Rule> = rules
            .into_iter()
            .map(|(name, match_all, conditions, actions, stop)| Rule {
                name,
                match_all,
                conditions: conditions
                    .into_iter()
                    .map(|(field, operator, value)| Condition { field, operator, value })
                    .collect(),
                actions,
                stop,
            })
            .collect();
        let source = generate(&rules);
        if let Err(e) = compile("rules", &source, &Limits::default()) {
            panic!("{e}\n{source}");
        }
    }
}
