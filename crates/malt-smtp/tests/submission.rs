//! Submission (RFC 6409): authentication first, the envelope sender and `From:` header rules with
//! send-as and send-on-behalf delegations (the `Sender:` header set to the user, RFC 5322 §3.6.2),
//! `Message-ID:` and `Date:` added when missing (RFC 6409 §8), nothing saved to Sent, and Python's
//! smtplib over implicit TLS (RFC 8314).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_store::DelegationKind;

/// The header of the stored message (up to the blank line).
fn header(stored: &str) -> &str {
    stored.split_once("\r\n\r\n").unwrap().0
}

fn fields<'a>(stored: &'a str, name: &str) -> Vec<&'a str> {
    header(stored)
        .split("\r\n")
        .filter(|l| {
            l.len() > name.len()
                && l[..name.len()].eq_ignore_ascii_case(name)
                && l.as_bytes()[name.len()] == b':'
        })
        .collect()
}

async fn setup() -> SubEnv {
    let env = start_sub(|_| {}).await;
    let boss = env.add_account("boss@example.org", None).await;
    env.add_account("bob@example.org", None).await;
    let store = &env.core.storage().store;
    // alice sends as the sales group's address and on behalf of her boss.
    store.group_add("sales@example.org", "Sales").await.unwrap();
    store
        .delegation_add(env.account.id, "sales@example.org", DelegationKind::SendAs)
        .await
        .unwrap();
    store
        .delegation_add(env.account.id, "boss@example.org", DelegationKind::SendOnBehalf)
        .await
        .unwrap();
    let _ = boss;
    env
}

/// Sends `message` from `from` to bob; returns the final reply.
async fn send(env: &SubEnv, from: &str, message: &str) -> String {
    let mut c = env.authed().await;
    let r = c.cmd1(&format!("MAIL FROM:<{from}>")).await;
    if !r.starts_with("250 ") {
        return r;
    }
    assert_eq!(
        c.cmd1("RCPT TO:<bob@example.org>").await,
        "250 2.1.5 <bob@example.org> Recipient OK"
    );
    c.data(message).await
}

async fn bobs_inbox(env: &SubEnv) -> Vec<Vec<u8>> {
    let store = &env.core.storage().store;
    let bob = store
        .account_by_address("bob@example.org")
        .await
        .unwrap()
        .unwrap();
    env.inbox_of(&bob).await
}

async fn bobs_last(env: &SubEnv) -> String {
    String::from_utf8(bobs_inbox(env).await.last().unwrap().clone()).unwrap()
}

#[tokio::test]
async fn send_as_and_on_behalf() {
    let env = setup().await;
    // Envelope: delegated addresses are accepted, others not.
    let mut c = env.authed().await;
    for ok in ["sales@example.org", "boss@example.org"] {
        assert_eq!(
            c.cmd1(&format!("MAIL FROM:<{ok}>")).await,
            format!("250 2.1.0 Sender <{ok}> OK")
        );
        c.cmd1("RSET").await;
    }
    assert_eq!(
        c.cmd1("MAIL FROM:<bob@example.org>").await,
        "553 5.7.1 Sender address rejected: not owned by user"
    );

    // Send as: the message looks as sent by sales; no Sender added.
    let reply = send(
        &env,
        "sales@example.org",
        "From: Sales <sales@example.org>\r\nTo: bob@example.org\r\nSubject: offer\r\n\r\nbuy",
    )
    .await;
    assert!(reply.starts_with("250 2.0.0 "), "{reply}");
    let stored = bobs_last(&env).await;
    assert_eq!(fields(&stored, "Sender"), Vec::<&str>::new(), "{stored}");

    // On behalf: Sender names alice, replacing the one the client put.
    let reply = send(
        &env,
        "alice@example.org",
        "From: The Boss <boss@example.org>\r\nSender: someone@else.test\r\nTo: bob@example.org\r\n\
         Subject: memo\r\n\r\nfrom the boss",
    )
    .await;
    assert!(reply.starts_with("250 2.0.0 "), "{reply}");
    let stored = bobs_last(&env).await;
    assert_eq!(
        fields(&stored, "Sender"),
        ["Sender: <alice@example.org>"],
        "{stored}"
    );
    assert_eq!(fields(&stored, "From"), ["From: The Boss <boss@example.org>"]);
    assert!(stored.ends_with("\r\n\r\nfrom the boss\r\n"), "{stored}");
}

#[tokio::test]
async fn from_header_must_belong_to_the_user() {
    let env = setup().await;
    let refused = |a: &str| format!("550 5.7.1 From header address <{a}> not owned by user");
    assert_eq!(
        send(
            &env,
            "alice@example.org",
            "From: bob@example.org\r\nSubject: fake\r\n\r\nx"
        )
        .await,
        refused("bob@example.org")
    );
    // Every address of the From field counts.
    assert_eq!(
        send(
            &env,
            "alice@example.org",
            "From: alice@example.org, ceo@example.org\r\nSubject: fake\r\n\r\nx"
        )
        .await,
        refused("ceo@example.org")
    );
    assert_eq!(
        send(
            &env,
            "alice@example.org",
            "From: undisclosed\r\nSubject: x\r\n\r\nx"
        )
        .await,
        "550 5.7.1 From header has no valid address"
    );
    // A client Sender that is not the user's is refused too.
    assert_eq!(
        send(
            &env,
            "alice@example.org",
            "From: alice@example.org\r\nSender: bob@example.org\r\n\r\nx"
        )
        .await,
        "550 5.7.1 Sender header address <bob@example.org> not owned by user"
    );
    // Nothing was delivered.
    assert!(bobs_inbox(&env).await.is_empty());
    // Several From addresses that are all hers: accepted, with a Sender (RFC 5322 §3.6.2).
    let reply = send(
        &env,
        "alice@example.org",
        "From: alice@example.org, Sales <sales@example.org>\r\nSubject: both\r\n\r\nx",
    )
    .await;
    assert!(reply.starts_with("250 2.0.0 "), "{reply}");
    assert_eq!(
        fields(&bobs_last(&env).await, "Sender"),
        ["Sender: <alice@example.org>"]
    );
}

#[tokio::test]
async fn message_id_and_date_are_added_when_missing() {
    let env = setup().await;
    let reply = send(
        &env,
        "alice@example.org",
        "From: alice@example.org\r\nSubject: bare\r\n\r\nbody",
    )
    .await;
    assert!(reply.starts_with("250 2.0.0 "), "{reply}");
    let stored = bobs_last(&env).await;
    let ids = fields(&stored, "Message-ID");
    assert_eq!(ids.len(), 1, "{stored}");
    assert!(
        ids[0].starts_with("Message-ID: <") && ids[0].ends_with("@mail.test>"),
        "{ids:?}"
    );
    let dates = fields(&stored, "Date");
    assert_eq!(dates.len(), 1, "{stored}");
    assert!(dates[0].ends_with(" +0000"), "{dates:?}");
    // Added at the end of the header, the rest as sent.
    assert!(
        stored.contains("From: alice@example.org\r\nSubject: bare\r\nDate: "),
        "{stored}"
    );
    // Kept when present.
    let reply = send(
        &env,
        "alice@example.org",
        "From: alice@example.org\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <mine@client.test>\r\n\r\nbody",
    )
    .await;
    assert!(reply.starts_with("250 2.0.0 "), "{reply}");
    let stored = bobs_last(&env).await;
    assert_eq!(fields(&stored, "Message-ID"), ["Message-ID: <mine@client.test>"]);
    assert_eq!(fields(&stored, "Date"), ["Date: Tue, 14 Nov 2023 22:13:20 +0000"]);
    // Trace: authenticated, no TLS (loopback).
    assert!(
        received(&stored).contains("\tby mail.test with ESMTPA id "),
        "{stored}"
    );
}

#[tokio::test]
async fn nothing_is_saved_to_sent_and_smtplib_over_implicit_tls() {
    let env = setup().await;
    let script = r#"
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "Alice <alice@example.org>"
m["To"] = "bob@example.org, friend@elsewhere.test"
m["Subject"] = "from smtplib"
m.set_content("Hello Bob")
with smtplib.SMTP_SSL("127.0.0.1", TLSPORT, context=ctx, timeout=10) as s:
    s.login(USER, PASS)
    print(s.send_message(m))
    m.replace_header("From", "bob@example.org")
    try:
        s.send_message(m, from_addr="alice@example.org")
    except smtplib.SMTPDataError as e:
        print(e.smtp_code, e.smtp_error.decode())
"#;
    let out = smtplib(&env, env.submission.port(), env.submissions.port(), script).await;
    assert_eq!(
        out,
        [
            "{}",
            "550 5.7.1 From header address <bob@example.org> not owned by user"
        ]
    );
    let stored = bobs_last(&env).await;
    assert!(stored.contains("Subject: from smtplib"), "{stored}");
    assert!(
        received(&stored).contains("\tby mail.test with ESMTPSA id "),
        "{stored}"
    );
    // The remote copy is queued; no copy anywhere in alice's mailboxes.
    let q = env.core.storage().store.queue_list().await.unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].recipients[0].address, "friend@elsewhere.test");
    let store = &env.core.storage().store;
    for mb in store.mailbox_list(env.account.id).await.unwrap() {
        assert_eq!(mb.message_count, 0, "{}", mb.name);
    }
}

/// `[smtp] save_sent = true`: the message as sent (with the Message-ID and Date submission added)
/// is also in alice's Sent mailbox, flagged \Seen; bob's copy is the same message.
#[tokio::test]
async fn save_sent_keeps_a_copy_as_sent_in_the_sent_mailbox() {
    let env = start_sub(|c| c.smtp.save_sent = true).await;
    env.add_account("bob@example.org", None).await;
    let r = send(
        &env,
        "alice@example.org",
        "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: keep a copy\r\n\r\nhi\r\n",
    )
    .await;
    assert!(r.starts_with("250 2.0.0 "), "{r}");
    let store = &env.core.storage().store;
    let sent = store
        .mailbox_list(env.account.id)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.role == Some(malt_store::SpecialUse::Sent))
        .unwrap();
    let copies = store.messages(sent.id, &malt_store::UidSet::all()).await.unwrap();
    assert_eq!(copies.len(), 1);
    assert!(copies[0].flags.has(malt_store::flag::SEEN));
    let copy = String::from_utf8(env.core.read_message(&copies[0]).await.unwrap()).unwrap();
    assert!(copy.contains("Subject: keep a copy"), "{copy}");
    let id = fields(&copy, "Message-ID");
    assert_eq!(id.len(), 1, "the Message-ID submission added: {copy}");
    assert!(
        bobs_last(&env).await.contains(id[0]),
        "the same message went to bob"
    );
    let inbox = store.mailbox_get(env.account.id, "INBOX").await.unwrap().unwrap();
    assert_eq!(inbox.message_count, 0);
}
