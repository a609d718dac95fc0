//! The script commands: PUTSCRIPT (RFC 5804 §2.6: create, replace, compile errors, names),
//! LISTSCRIPTS (§2.7), SETACTIVE (§2.8), GETSCRIPT (§2.9), DELETESCRIPT (§2.10), RENAMESCRIPT
//! (§2.11) and CHECKSCRIPT (§2.12), each checked against what the store then holds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::start;

const KEEP: &str = "keep;\r\n";
const SPAM: &str =
    "require \"fileinto\";\r\nif header :contains \"subject\" \"spam\" {\r\n  fileinto \"Junk\";\r\n}\r\n";
/// Does not compile: an unknown command on line 3.
const BROKEN: &str = "require \"fileinto\";\r\nif true {\r\n  fileinfo \"Junk\";\r\n}\r\n";
/// Two errors (`fileinto` without its `require`, RFC 5228 §3.2, and an unknown command): the
/// answer is a literal of two lines.
const TWO_ERRORS: &str = "if true {\r\n  fileinto \"Junk\";\r\n}\r\nfoo;\r\n";
/// Six redirects when the limit is four: stored, with two warnings.
const REDIRECTS: &str = "redirect \"a@example.net\";\r\nredirect \"b@example.net\";\r\n\
                         redirect \"c@example.net\";\r\nredirect \"d@example.net\";\r\n\
                         if true { redirect \"e@example.net\"; }\r\nredirect \"f@example.net\";\r\n";

#[tokio::test]
async fn putscript_and_getscript() {
    let env = start().await;
    let mut c = env.logged_in().await;
    assert_eq!(c.put("spam", SPAM).await.status, "OK \"Putscript completed.\"");
    assert_eq!(env.source("spam").await.as_deref(), Some(SPAM));
    // GETSCRIPT: a literal, a line end, then OK (RFC 5804 §2.9).
    c.send(b"GETSCRIPT \"spam\"\r\n").await;
    assert_eq!(c.raw_line().await, format!("{{{}}}\r\n", SPAM.len()));
    let mut body = String::new();
    while body.len() < SPAM.len() {
        body.push_str(&c.raw_line().await);
    }
    assert_eq!(body, SPAM);
    assert_eq!(c.raw_line().await, "\r\n");
    assert_eq!(c.response().await.status, "OK \"Getscript completed.\"");

    // Replace it; a quoted script; a name with quotes, spaces and non-ASCII characters.
    assert!(c.cmd("PUTSCRIPT \"spam\" \"keep;\"").await.is_ok());
    assert_eq!(env.source("spam").await.as_deref(), Some("keep;"));
    assert!(
        c.cmd("PUTSCRIPT \"Größe \\\"2\\\" \\\\ x\" \"keep;\"")
            .await
            .is_ok()
    );
    assert_eq!(env.source("Größe \"2\" \\ x").await.as_deref(), Some("keep;"));
    let name = "Größe \"2\" \\ x";
    let r = c.cmd(&format!("GETSCRIPT {{{}+}}\r\n{name}", name.len())).await;
    assert_eq!(r.lines, vec!["{5}\r\nkeep;"], "the literal, then its line end");
    assert!(r.is_ok());

    // Unknown script.
    assert_eq!(
        c.cmd("GETSCRIPT \"nonesuch\"").await.status,
        "NO (NONEXISTENT) \"there is no script \\\"nonesuch\\\"\""
    );
}

#[tokio::test]
async fn putscript_refuses_what_does_not_compile() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let r = c.put("broken", BROKEN).await;
    assert_eq!(
        r.status, "NO \"line 3, column 3: error: unknown command 'fileinfo'.\"",
        "the engine's error, with line and column"
    );
    assert!(env.stored().await.is_empty(), "nothing stored");
    // Several errors: one per line, sent as a literal (RFC 5804 §4 allows either form).
    let r = c.put("two", TWO_ERRORS).await;
    let want = "line 2, column 3: error: the fileinto command requires the \"fileinto\" extension \
                (add it to require).\nline 4, column 1: error: unknown command 'foo'.";
    assert_eq!(r.status, format!("NO {{{}}}\r\n{want}", want.len()));
    // A broken replacement leaves the stored script alone.
    assert!(c.put("s", KEEP).await.is_ok());
    assert!(c.put("s", BROKEN).await.status.starts_with("NO"));
    assert_eq!(env.source("s").await.as_deref(), Some(KEEP));
    // Invalid names.
    let r = c.cmd("PUTSCRIPT \"\" \"keep;\"").await;
    assert_eq!(r.status, "NO \"invalid script name: empty\"");
    let r = c.cmd("PUTSCRIPT {3+}\r\na\tb \"keep;\"").await;
    assert_eq!(
        r.status,
        "NO \"invalid script name: contains a control character\""
    );
    let long = "n".repeat(256);
    let r = c.cmd(&format!("PUTSCRIPT \"{long}\" \"keep;\"")).await;
    assert_eq!(r.status, "NO \"invalid script name: longer than 255 characters\"");
    assert_eq!(env.stored().await, vec![("s".to_owned(), false)]);
}

#[tokio::test]
async fn checkscript_stores_nothing() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let r = c.cmd(&format!("CHECKSCRIPT {{{}+}}\r\n{SPAM}", SPAM.len())).await;
    assert_eq!(r.status, "OK \"Script is valid.\"");
    let r = c
        .cmd(&format!("CHECKSCRIPT {{{}+}}\r\n{BROKEN}", BROKEN.len()))
        .await;
    assert_eq!(
        r.status,
        "NO \"line 3, column 3: error: unknown command 'fileinfo'.\""
    );
    let r = c
        .cmd(&format!("CHECKSCRIPT {{{}+}}\r\n{REDIRECTS}", REDIRECTS.len()))
        .await;
    assert!(r.status.starts_with("OK (WARNINGS) "), "{r:?}");
    assert!(env.stored().await.is_empty());
}

#[tokio::test]
async fn putscript_warns_about_redirects_past_the_limit() {
    let env = start().await;
    let mut c = env.logged_in().await;
    let r = c.put("fwd", REDIRECTS).await;
    let want = "line 5: the server's redirect limit is 4, this redirect might not be carried out \
                (the message would be kept instead).\nline 6: the server's redirect limit is 4, this \
                redirect might not be carried out (the message would be kept instead).";
    assert_eq!(r.status, format!("OK (WARNINGS) {{{}}}\r\n{want}", want.len()));
    assert_eq!(
        env.source("fwd").await.as_deref(),
        Some(REDIRECTS),
        "stored despite the warnings"
    );
}

#[tokio::test]
async fn listscripts_and_setactive() {
    let env = start().await;
    let mut c = env.logged_in().await;
    assert!(c.list().await.is_empty());
    for name in ["b", "a", "with \"quote\""] {
        assert!(c.put(name, KEEP).await.is_ok());
    }
    assert_eq!(c.list().await, vec!["\"a\"", "\"b\"", "\"with \\\"quote\\\"\""]);
    assert_eq!(
        c.cmd("SETACTIVE \"b\"").await.status,
        "OK \"Setactive completed.\""
    );
    assert_eq!(
        c.list().await,
        vec!["\"a\"", "\"b\" ACTIVE", "\"with \\\"quote\\\"\""]
    );
    // Activating another deactivates the first.
    assert!(c.cmd("SETACTIVE \"a\"").await.is_ok());
    assert_eq!(
        c.list().await,
        vec!["\"a\" ACTIVE", "\"b\"", "\"with \\\"quote\\\"\""]
    );
    // Unknown: nothing changes.
    assert_eq!(
        c.cmd("SETACTIVE \"zz\"").await.status,
        "NO (NONEXISTENT) \"there is no script \\\"zz\\\"\""
    );
    assert_eq!(
        env.core
            .storage()
            .store
            .sieve_active(env.account.id)
            .await
            .unwrap()
            .unwrap()
            .name,
        "a"
    );
    // Replacing the active script keeps it active.
    assert!(c.put("a", SPAM).await.is_ok());
    let active = env
        .core
        .storage()
        .store
        .sieve_active(env.account.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((active.name.as_str(), active.source.as_str()), ("a", SPAM));
    // The empty name deactivates.
    assert_eq!(
        c.cmd("SETACTIVE \"\"").await.status,
        "OK \"No script is active now.\""
    );
    assert!(env.stored().await.iter().all(|(_, active)| !active));
}

#[tokio::test]
async fn deletescript() {
    let env = start().await;
    let mut c = env.logged_in().await;
    assert!(c.put("a", KEEP).await.is_ok());
    assert!(c.put("b", KEEP).await.is_ok());
    assert!(c.cmd("SETACTIVE \"a\"").await.is_ok());
    assert_eq!(
        c.cmd("DELETESCRIPT \"a\"").await.status,
        "NO (ACTIVE) \"script \\\"a\\\" is active; deactivate it first\""
    );
    assert_eq!(
        c.cmd("DELETESCRIPT \"b\"").await.status,
        "OK \"Deletescript completed.\""
    );
    assert_eq!(
        c.cmd("DELETESCRIPT \"b\"").await.status,
        "NO (NONEXISTENT) \"there is no script \\\"b\\\"\""
    );
    assert_eq!(env.stored().await, vec![("a".to_owned(), true)]);
    assert!(c.cmd("SETACTIVE \"\"").await.is_ok());
    assert!(c.cmd("DELETESCRIPT \"a\"").await.is_ok());
    assert!(env.stored().await.is_empty());
}

#[tokio::test]
async fn renamescript() {
    let env = start().await;
    let mut c = env.logged_in().await;
    assert!(c.put("a", SPAM).await.is_ok());
    assert!(c.put("b", KEEP).await.is_ok());
    assert!(c.cmd("SETACTIVE \"a\"").await.is_ok());
    assert_eq!(
        c.cmd("RENAMESCRIPT \"a\" \"c\"").await.status,
        "OK \"Renamescript completed.\""
    );
    assert_eq!(
        env.stored().await,
        vec![("b".to_owned(), false), ("c".to_owned(), true)],
        "the active script stays active under its new name"
    );
    assert_eq!(env.source("c").await.as_deref(), Some(SPAM));
    assert_eq!(
        c.cmd("RENAMESCRIPT \"c\" \"b\"").await.status,
        "NO (ALREADYEXISTS) \"a script \\\"b\\\" already exists\""
    );
    assert_eq!(
        c.cmd("RENAMESCRIPT \"a\" \"d\"").await.status,
        "NO (NONEXISTENT) \"there is no script \\\"a\\\"\""
    );
    assert_eq!(
        c.cmd("RENAMESCRIPT \"b\" \"\"").await.status,
        "NO \"invalid script name: empty\""
    );
    assert_eq!(env.stored().await.len(), 2);
}

#[tokio::test]
async fn scripts_are_per_account() {
    let env = start().await;
    let mut c = env.logged_in().await;
    assert!(c.put("mine", KEEP).await.is_ok());
    // Another account on the same server sees none of them.
    let store = &env.core.storage().store;
    let other = store
        .account_create(malt_store::NewAccount {
            address: "bob@example.org".into(),
            password_hash: malt_core::auth::password::hash_with(
                "bobs password",
                &malt_core::auth::password::PasswordHasherParams::for_tests(),
            )
            .unwrap(),
            quota_bytes: None,
        })
        .await
        .unwrap();
    let mut b = env.client().await;
    let r = b
        .cmd(&format!(
            "AUTHENTICATE \"PLAIN\" \"{}\"",
            common::plain("bob@example.org", "bobs password")
        ))
        .await;
    assert!(r.is_ok(), "{r:?}");
    assert!(b.list().await.is_empty());
    assert!(
        b.cmd("GETSCRIPT \"mine\"")
            .await
            .status
            .starts_with("NO (NONEXISTENT)")
    );
    assert!(b.put("mine", SPAM).await.is_ok());
    assert_eq!(env.source("mine").await.as_deref(), Some(KEEP));
    assert_eq!(
        store.sieve_get(other.id, "mine").await.unwrap().unwrap().source,
        SPAM
    );
}
