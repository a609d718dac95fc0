//! The ACL commands of RFC 4314 §3 over the real server: SETACL (`+`/`-`, empty rights, bad
//! letters), DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS, with the rights of §4 and identifiers for
//! groups, `anyone` and negative rights (§2).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;
mod sharing;

use sharing::{add_user, create, login, start_shared};

const ALICE: &str = "alice@example.org";
const BOB: &str = "bob@example.org";
const P: &str = "\"Other Users/alice@example.org/Projects\"";

async fn setup() -> common::Env {
    let env = start_shared(None).await;
    add_user(&env, BOB).await;
    add_user(&env, "carol@example.org").await;
    create(&env, ALICE, "Projects").await;
    env
}

#[tokio::test]
async fn owner_manages_the_acl() {
    let env = setup().await;
    let mut alice = login(&env, ALICE).await;
    let r = alice.cmd("a CAPABILITY").await;
    assert!(r[0].contains(" ACL RIGHTS=texk "), "{r:?}");
    let r = alice.cmd("b MYRIGHTS Projects").await;
    assert_eq!(
        r,
        [
            "* MYRIGHTS Projects lrswipkxteacd\r\n",
            "b OK MYRIGHTS completed\r\n"
        ]
    );
    let r = alice.cmd("c GETACL Projects").await;
    assert_eq!(
        r,
        [
            "* ACL Projects alice@example.org lrswipkxteacd\r\n",
            "c OK GETACL completed\r\n"
        ]
    );
    let r = alice.cmd("d SETACL Projects Bob@Example.org lr").await;
    assert_eq!(r, ["d OK SETACL completed\r\n"]);
    let r = alice.cmd("e SETACL Projects bob@example.org +wic").await;
    assert_eq!(r, ["e OK SETACL completed\r\n"]);
    let r = alice.cmd("f SETACL Projects anyone l").await;
    assert_eq!(r, ["f OK SETACL completed\r\n"]);
    let r = alice.cmd("g GETACL Projects").await;
    assert_eq!(
        r,
        [
            "* ACL Projects alice@example.org lrswipkxteacd anyone l bob@example.org lrwikxc\r\n",
            "g OK GETACL completed\r\n"
        ]
    );
    let r = alice.cmd("h SETACL Projects bob@example.org -x").await;
    assert_eq!(r, ["h OK SETACL completed\r\n"]);
    let r = alice.cmd("i GETACL Projects").await;
    assert_eq!(
        r[0],
        "* ACL Projects alice@example.org lrswipkxteacd anyone l bob@example.org lrwikc\r\n"
    );
    // Empty rights remove the entry (§3.1); DELETEACL removes one (§3.2), also a missing one.
    let r = alice.cmd("j SETACL Projects anyone \"\"").await;
    assert_eq!(r, ["j OK SETACL completed\r\n"]);
    let r = alice.cmd("k DELETEACL Projects bob@example.org").await;
    assert_eq!(r, ["k OK DELETEACL completed\r\n"]);
    let r = alice.cmd("l DELETEACL Projects nobody@example.org").await;
    assert_eq!(r, ["l OK DELETEACL completed\r\n"]);
    let r = alice.cmd("m GETACL Projects").await;
    assert_eq!(r[0], "* ACL Projects alice@example.org lrswipkxteacd\r\n");
    // LISTRIGHTS (§3.7): the owner has everything; others nothing and may get each right.
    let r = alice.cmd("n LISTRIGHTS Projects alice@example.org").await;
    assert_eq!(
        r,
        [
            "* LISTRIGHTS Projects alice@example.org lrswipkxtea\r\n",
            "n OK LISTRIGHTS completed\r\n"
        ]
    );
    let r = alice.cmd("o LISTRIGHTS Projects bob@example.org").await;
    assert_eq!(
        r,
        [
            "* LISTRIGHTS Projects bob@example.org \"\" l r s w i p k x t e a\r\n",
            "o OK LISTRIGHTS completed\r\n"
        ]
    );
    let r = alice.cmd("p GETACL Nope").await;
    assert_eq!(r, ["p NO [NONEXISTENT] No such mailbox\r\n"]);
}

#[tokio::test]
async fn bad_rights_are_bad() {
    let env = setup().await;
    let mut alice = login(&env, ALICE).await;
    for (tag, rights) in [("a", "lrz"), ("b", "+L"), ("c", "--l"), ("d", "\"l r\"")] {
        let r = alice
            .cmd(&format!("{tag} SETACL Projects bob@example.org {rights}"))
            .await;
        assert!(
            r[0].starts_with(&format!("{tag} BAD unknown right")),
            "{rights}: {r:?}"
        );
    }
    let r = alice.cmd("e SETACL Projects \"\" lr").await;
    assert_eq!(r, ["e BAD Invalid identifier\r\n"]);
    let r = alice.cmd("f GETACL Projects").await;
    assert_eq!(r[0], "* ACL Projects alice@example.org lrswipkxteacd\r\n");
}

#[tokio::test]
async fn admin_right_is_needed_on_shared_mailboxes() {
    let env = setup().await;
    let mut alice = login(&env, ALICE).await;
    alice.cmd("a SETACL Projects bob@example.org lr").await;
    let mut bob = login(&env, BOB).await;
    let r = bob.cmd(&format!("b MYRIGHTS {P}")).await;
    assert_eq!(
        r,
        [
            "* MYRIGHTS \"Other Users/alice@example.org/Projects\" lr\r\n",
            "b OK MYRIGHTS completed\r\n"
        ]
    );
    for (tag, cmd) in [
        ("c", format!("GETACL {P}")),
        ("d", format!("SETACL {P} carol@example.org lr")),
        ("e", format!("DELETEACL {P} bob@example.org")),
        ("f", format!("LISTRIGHTS {P} carol@example.org")),
    ] {
        let r = bob.cmd(&format!("{tag} {cmd}")).await;
        assert_eq!(
            r,
            [format!(
                "{tag} NO [NOPERM] Permission denied (right a needed)\r\n"
            )],
            "{cmd}"
        );
    }
    alice.cmd("g SETACL Projects bob@example.org +a").await;
    let r = bob.cmd(&format!("h SETACL {P} carol@example.org lr")).await;
    assert_eq!(r, ["h OK SETACL completed\r\n"]);
    let r = bob.cmd(&format!("i GETACL {P}")).await;
    assert_eq!(
        r,
        [
            "* ACL \"Other Users/alice@example.org/Projects\" alice@example.org lrswipkxteacd bob@example.org lra carol@example.org lr\r\n",
            "i OK GETACL completed\r\n"
        ]
    );
    let mut carol = login(&env, "carol@example.org").await;
    let r = carol.cmd(&format!("j MYRIGHTS {P}")).await;
    assert_eq!(
        r[0],
        "* MYRIGHTS \"Other Users/alice@example.org/Projects\" lr\r\n"
    );
}

#[tokio::test]
async fn groups_anyone_and_negative_rights() {
    let env = setup().await;
    let store = &env.core.storage().store;
    store.group_add("team@example.org", "Team").await.unwrap();
    store.group_member_add("team@example.org", BOB).await.unwrap();
    let mut alice = login(&env, ALICE).await;
    let mut bob = login(&env, BOB).await;
    let mut carol = login(&env, "carol@example.org").await;
    alice.cmd("a SETACL Projects team@example.org lrsw").await;
    let r = bob.cmd(&format!("b MYRIGHTS {P}")).await;
    assert_eq!(
        r[0],
        "* MYRIGHTS \"Other Users/alice@example.org/Projects\" lrsw\r\n"
    );
    let r = carol.cmd(&format!("c MYRIGHTS {P}")).await;
    assert_eq!(r, ["c NO [NONEXISTENT] No such mailbox\r\n"]);
    // anyone: every user; a negative entry takes rights away from bob only.
    alice.cmd("d SETACL Projects anyone lr").await;
    alice.cmd("e SETACL Projects -bob@example.org w").await;
    let r = bob.cmd(&format!("f MYRIGHTS {P}")).await;
    assert_eq!(
        r[0],
        "* MYRIGHTS \"Other Users/alice@example.org/Projects\" lrs\r\n"
    );
    let r = carol.cmd(&format!("g MYRIGHTS {P}")).await;
    assert_eq!(
        r[0],
        "* MYRIGHTS \"Other Users/alice@example.org/Projects\" lr\r\n"
    );
    let r = alice.cmd("h GETACL Projects").await;
    assert_eq!(
        r[0],
        "* ACL Projects alice@example.org lrswipkxteacd -bob@example.org w anyone lr team@example.org lrsw\r\n"
    );
    // -anyone l hides the mailbox from everyone but the owner.
    alice.cmd("i SETACL Projects -anyone l").await;
    let r = carol.cmd("j LIST \"\" \"Other Users/*\"").await;
    assert_eq!(r, ["j OK LIST completed\r\n"]);
    // ...but a right other than `l` still works on the name (RFC 4314 §4: only `l` is gone).
    let r = carol.cmd(&format!("k STATUS {P} (MESSAGES)")).await;
    assert_eq!(
        r,
        [
            "* STATUS \"Other Users/alice@example.org/Projects\" (MESSAGES 0)\r\n",
            "k OK STATUS completed\r\n"
        ]
    );
}
