//! LIST (RFC 9051 §6.3.9) with LIST-EXTENDED (RFC 5258) selection and return options, LIST-STATUS
//! (RFC 5819), SPECIAL-USE (RFC 6154 §2, §3), CHILDREN (RFC 3348): patterns (`*`, `%`, reference,
//! several patterns, INBOX in any case), the empty pattern (delimiter and root), `\Subscribed` and
//! `\NonExistent`, RECURSIVEMATCH with CHILDINFO, names in modified UTF-7 or UTF-8 (RFC 6855 §3).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

/// Every mailbox of a new account plus `Work` and `Work/Projects`, as `LIST "" *` answers them.
const ALL: [&str; 8] = [
    "* LIST (\\HasNoChildren) \"/\" INBOX",
    "* LIST (\\HasNoChildren \\Archive) \"/\" Archive",
    "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts",
    "* LIST (\\HasNoChildren \\Junk) \"/\" Junk",
    "* LIST (\\HasNoChildren \\Sent) \"/\" Sent",
    "* LIST (\\HasNoChildren \\Trash) \"/\" Trash",
    "* LIST (\\HasChildren) \"/\" Work",
    "* LIST (\\HasNoChildren) \"/\" Work/Projects",
];

fn with_done(v: &[&str], tag: &str) -> Vec<String> {
    let done = format!("{tag} OK LIST completed");
    let mut v = v.to_vec();
    v.push(&done);
    lines(&v)
}

async fn client(env: &Env) -> Client {
    let mut c = env.logged_in().await;
    c.cmd("w CREATE Work/Projects").await;
    c
}

#[tokio::test]
async fn patterns() {
    let env = start().await;
    let mut c = env.client().await;
    refused_in_state(&mut c, "a LIST \"\" *", "LIST").await;
    let mut c = client(&env).await;
    // INBOX first, then by name.
    assert_eq!(c.cmd("b LIST \"\" *").await, with_done(&ALL, "b"));
    let top: Vec<&str> = ALL.iter().copied().filter(|l| !l.contains("Work/")).collect();
    assert_eq!(c.cmd("c LIST \"\" %").await, with_done(&top, "c"));
    assert_eq!(
        c.cmd("d LIST Work/ %").await,
        with_done(&["* LIST (\\HasNoChildren) \"/\" Work/Projects"], "d")
    );
    assert_eq!(
        c.cmd("e LIST \"\" *jects").await,
        with_done(&["* LIST (\\HasNoChildren) \"/\" Work/Projects"], "e")
    );
    assert_eq!(
        c.cmd("f LIST \"\" inbox").await,
        with_done(&["* LIST (\\HasNoChildren) \"/\" INBOX"], "f")
    );
    assert_eq!(c.cmd("g LIST \"\" Nothing*").await, with_done(&[], "g"));
    // RFC 5258 §3: several patterns.
    assert_eq!(
        c.cmd("h LIST \"\" (INBOX \"Work/*\")").await,
        with_done(
            &[
                "* LIST (\\HasNoChildren) \"/\" INBOX",
                "* LIST (\\HasNoChildren) \"/\" Work/Projects"
            ],
            "h"
        )
    );
    // RFC 9051 §6.3.9: an empty pattern asks for the delimiter and root.
    assert_eq!(
        c.cmd("i LIST \"\" \"\"").await,
        with_done(&["* LIST (\\Noselect) \"/\" \"\""], "i")
    );
    // Also in the selected state.
    c.cmd("j SELECT INBOX").await;
    assert_eq!(
        c.cmd("k LIST \"\" Work").await,
        with_done(&["* LIST (\\HasChildren) \"/\" Work"], "k")
    );
}

#[tokio::test]
async fn selection_options() {
    let env = start().await;
    let mut c = client(&env).await;
    c.cmd("a SUBSCRIBE Work/Projects").await;
    c.cmd("b SUBSCRIBE Gone").await;
    assert_eq!(
        c.cmd("c LIST (SUBSCRIBED) \"\" W*").await,
        with_done(
            &["* LIST (\\HasNoChildren \\Subscribed) \"/\" Work/Projects"],
            "c"
        )
    );
    // A subscription to a missing mailbox: \NonExistent (RFC 5258 §3.1).
    assert_eq!(
        c.cmd("d LIST (SUBSCRIBED) \"\" G*").await,
        with_done(&["* LIST (\\NonExistent \\Subscribed) \"/\" Gone"], "d")
    );
    // RECURSIVEMATCH: the unsubscribed parent with CHILDINFO (RFC 5258 §3.5).
    assert_eq!(
        c.cmd("e LIST (SUBSCRIBED RECURSIVEMATCH) \"\" W%").await,
        with_done(
            &["* LIST (\\HasChildren) \"/\" Work (\"CHILDINFO\" (\"SUBSCRIBED\"))"],
            "e"
        )
    );
    only(
        &mut c,
        "f LIST (RECURSIVEMATCH) \"\" *",
        "f BAD RECURSIVEMATCH requires another selection option",
    )
    .await;
    // SPECIAL-USE selection (RFC 6154 §3): only mailboxes with a special use.
    assert_eq!(
        c.cmd("g LIST (SPECIAL-USE) \"\" *").await,
        with_done(&ALL[1..6], "g")
    );
    // An empty selection is plain LIST.
    assert_eq!(
        c.cmd("h LIST () \"\" Work").await,
        with_done(&["* LIST (\\HasChildren) \"/\" Work"], "h")
    );
}

#[tokio::test]
async fn return_options() {
    let env = start().await;
    env.append(&msg("a", "x")).await;
    let mut c = client(&env).await;
    c.cmd("a SUBSCRIBE Work").await;
    assert_eq!(
        c.cmd("b LIST \"\" W* RETURN (SUBSCRIBED CHILDREN SPECIAL-USE)")
            .await,
        with_done(
            &[
                "* LIST (\\HasChildren \\Subscribed) \"/\" Work",
                "* LIST (\\HasNoChildren) \"/\" Work/Projects"
            ],
            "b"
        )
    );
    // LIST-STATUS (RFC 5819 §2): each LIST followed by its STATUS.
    assert_eq!(
        c.cmd("c LIST \"\" (INBOX Work) RETURN (STATUS (MESSAGES UNSEEN))")
            .await,
        with_done(
            &[
                "* LIST (\\HasNoChildren) \"/\" INBOX",
                "* STATUS INBOX (MESSAGES 1 UNSEEN 1)",
                "* LIST (\\HasChildren) \"/\" Work",
                "* STATUS Work (MESSAGES 0 UNSEEN 0)"
            ],
            "c"
        )
    );
    assert_eq!(
        c.cmd("d LIST \"\" Work RETURN ()").await,
        with_done(&[ALL[6]], "d")
    );
}

#[tokio::test]
async fn mailbox_names() {
    let env = start().await;
    let mut c = env.logged_in().await;
    c.cmd("a CREATE \"Entw&APw-rfe\"").await;
    assert_eq!(
        c.cmd("b LIST \"\" \"Entw&APw-rfe\"").await,
        with_done(&["* LIST (\\HasNoChildren) \"/\" Entw&APw-rfe"], "b")
    );
    assert_eq!(
        c.cmd("c LIST \"\" Entw* RETURN (STATUS (MESSAGES))").await,
        with_done(
            &[
                "* LIST (\\HasNoChildren) \"/\" Entw&APw-rfe",
                "* STATUS Entw&APw-rfe (MESSAGES 0)"
            ],
            "c"
        )
    );
    only(
        &mut c,
        "d LIST \"\" \"&APw\"",
        "d BAD invalid mailbox name: unterminated '&'",
    )
    .await;
    c.cmd("e ENABLE UTF8=ACCEPT").await;
    assert_eq!(
        c.cmd("f LIST \"\" Entwürfe RETURN (STATUS (MESSAGES))").await,
        with_done(
            &[
                "* LIST (\\HasNoChildren) \"/\" \"Entwürfe\"",
                "* STATUS \"Entwürfe\" (MESSAGES 0)"
            ],
            "f"
        )
    );
}

#[tokio::test]
async fn syntax_errors() {
    let env = start().await;
    let mut c = env.logged_in().await;
    only(&mut c, "a LIST", "a BAD expected ' '").await;
    only(&mut c, "b LIST \"\"", "b BAD expected ' '").await;
    only(
        &mut c,
        "c LIST (FOO) \"\" *",
        "c BAD unknown LIST selection option FOO",
    )
    .await;
    only(
        &mut c,
        "d LIST \"\" * RETURN (FOO)",
        "d BAD unknown LIST return option FOO",
    )
    .await;
    only(&mut c, "e LIST \"\" * RETURN (STATUS ())", "e BAD empty list").await;
    only(
        &mut c,
        "f LIST \"\" * RETURN (STATUS (FOO))",
        "f BAD unknown STATUS item FOO",
    )
    .await;
}
