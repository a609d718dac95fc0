//! `malt sieve …` as an operator runs it: put (from a file and standard input), list, get,
//! check, activate/deactivate, rename, delete; scripts that do not compile are refused with their
//! line and column and a non-zero exit; the `[sieve]` quota of the configuration applies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

const USER: &str = "u@example.com";
const SPAM: &str =
    "require \"fileinto\";\nif header :contains \"subject\" \"spam\" {\n  fileinto \"Junk\";\n}\n";
/// An unknown command on line 3, and `redirect` written without its argument on line 4.
const BROKEN: &str = "require \"fileinto\";\nif true {\n  fileinfo \"Junk\";\n  redirect;\n}\n";
/// Compiles, but with more redirects than the configured limit (2): stored with a warning.
const FORWARD: &str =
    "redirect \"a@example.net\";\nredirect \"b@example.net\";\nredirect \"c@example.net\";\n";

#[test]
fn put_list_get_activate_delete() {
    let m = Malt::new();
    m.with_user(USER);
    let file = m.dir.path().join("spam.sieve");
    std::fs::write(&file, SPAM).unwrap();
    let out = m.ok(&["sieve", "put", USER, "spam", file.to_str().unwrap()], b"");
    assert_eq!(out, format!("spam stored for {USER} ({} bytes)\n", SPAM.len()));
    // From standard input, with `-` and without a file.
    assert!(
        m.ok(&["sieve", "put", USER, "keep", "-"], b"keep;\n")
            .contains("keep stored")
    );
    assert!(
        m.ok(&["sieve", "put", USER, "keep"], b"discard;\n")
            .contains("keep replaced")
    );
    assert_eq!(
        m.ok(&["sieve", "list", USER], b""),
        format!("keep\t9\t-\nspam\t{}\t-\n", SPAM.len())
    );
    assert_eq!(m.ok(&["sieve", "get", USER, "spam"], b""), SPAM);
    assert_eq!(m.ok(&["sieve", "get", USER, "keep"], b""), "discard;\n");

    assert_eq!(
        m.ok(&["sieve", "activate", USER, "spam"], b""),
        format!("spam is now the active script of {USER}\n")
    );
    assert!(
        m.ok(&["sieve", "list", USER], b"")
            .contains(&format!("spam\t{}\tactive\n", SPAM.len()))
    );
    let e = m.fails(&["sieve", "delete", USER, "spam"], b"");
    assert!(
        e.contains("script \"spam\" is active; deactivate it first"),
        "{e}"
    );
    assert!(
        m.ok(&["sieve", "rename", USER, "spam", "filters"], b"")
            .contains("spam renamed to filters")
    );
    assert!(m.ok(&["sieve", "list", USER], b"").contains("filters\t"));
    assert!(
        m.ok(&["sieve", "list", USER], b"").contains("\tactive\n"),
        "still active"
    );
    assert!(
        m.ok(&["sieve", "activate", USER, "--none"], b"")
            .contains("no script")
    );
    assert!(!m.ok(&["sieve", "list", USER], b"").contains("active"));
    m.ok(&["sieve", "activate", USER, "keep"], b"");
    assert!(m.ok(&["sieve", "deactivate", USER], b"").contains("no script"));
    assert!(!m.ok(&["sieve", "list", USER], b"").contains("active"));
    assert_eq!(
        m.ok(&["sieve", "delete", USER, "filters"], b""),
        "filters deleted\n"
    );
    assert_eq!(m.ok(&["sieve", "list", USER], b""), "keep\t9\t-\n");

    // Errors name what is wrong.
    let e = m.fails(&["sieve", "get", USER, "nonesuch"], b"");
    assert!(e.contains("there is no script \"nonesuch\""), "{e}");
    let e = m.fails(&["sieve", "activate", USER, "nonesuch"], b"");
    assert!(e.contains("there is no script \"nonesuch\""), "{e}");
    let e = m.fails(&["sieve", "list", "nobody@example.com"], b"");
    assert!(e.contains("no account nobody@example.com"), "{e}");
    let e = m.fails(&["sieve", "put", USER, "", "-"], b"keep;");
    assert!(e.contains("invalid script name: empty"), "{e}");
    let e = m.fails(&["sieve", "activate", USER], b"");
    assert!(
        e.contains("required arguments were not provided"),
        "NAME or --none: {e}"
    );
    let e = m.fails(&["sieve", "activate", USER, "keep", "--none"], b"");
    assert!(e.contains("cannot be used with"), "not both: {e}");
}

#[test]
fn scripts_that_do_not_compile_are_refused() {
    let m = Malt::new();
    m.with_user(USER);
    let e = m.fails(&["sieve", "put", USER, "broken", "-"], BROKEN.as_bytes());
    assert!(
        e.starts_with("malt: script not stored, it does not compile:\n"),
        "{e}"
    );
    assert!(
        e.contains("broken: line 3, column 3: error: unknown command 'fileinfo'.\n"),
        "each error with its line and column: {e}"
    );
    assert!(e.contains("broken: line 4, column 3: error: "), "{e}");
    assert_eq!(m.ok(&["sieve", "list", USER], b""), "");
    let e = m.fails(&["sieve", "put", USER, "bin", "-"], b"keep;\xff\n");
    assert!(e.contains("not UTF-8"), "{e}");

    // check: no store, no user.
    let file = m.dir.path().join("broken.sieve");
    std::fs::write(&file, BROKEN).unwrap();
    let e = m.fails(&["sieve", "check", file.to_str().unwrap()], b"");
    assert!(
        e.starts_with("malt: invalid script, it does not compile:\n"),
        "{e}"
    );
    let want = format!("{}: line 3, column 3: error: unknown command", file.display());
    assert!(e.contains(&want), "{e}");
    assert_eq!(m.ok(&["sieve", "check"], SPAM.as_bytes()), "stdin: valid\n");
}

#[test]
fn warnings_are_printed_and_the_script_stored() {
    let m = Malt::new();
    m.with_user(USER);
    let config = m.config("[sieve]\nmax_redirects = 2\n");
    let out = m.run(
        &[
            "--config",
            config.to_str().unwrap(),
            "sieve",
            "put",
            USER,
            "fwd",
            "-",
        ],
        FORWARD.as_bytes(),
    );
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "fwd: warning: line 3: the server's redirect limit is 2, this redirect might not be carried \
         out (the message would be kept instead).\n"
    );
    assert_eq!(m.ok(&["sieve", "get", USER, "fwd"], b""), FORWARD);
}

#[test]
fn the_configured_quota_applies() {
    let m = Malt::new();
    m.with_user(USER);
    let config = m.config("[sieve]\nmax_scripts = 1\nmax_script_size = 20\n");
    let c = config.to_str().unwrap();
    m.ok(&["--config", c, "sieve", "put", USER, "one", "-"], b"keep;\n");
    let e = m.fails(&["--config", c, "sieve", "put", USER, "two", "-"], b"keep;\n");
    assert!(e.contains("the account already has the 1 scripts allowed"), "{e}");
    m.ok(&["--config", c, "sieve", "put", USER, "one", "-"], b"discard;\n");
    let e = m.fails(
        &["--config", c, "sieve", "put", USER, "one", "-"],
        b"# a comment that is too long\nkeep;\n",
    );
    assert!(e.contains("more than the 20 bytes allowed"), "{e}");
    assert_eq!(m.ok(&["sieve", "get", USER, "one"], b""), "discard;\n");
}
