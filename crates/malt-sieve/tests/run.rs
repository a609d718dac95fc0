//! The interpreter through its public API: a table of (script source, message, envelope) →
//! the actions taken, or the run-time error, covering every command, test and extension.
//! Scripts go through the real compiler; the world (mailboxes, includes, duplicate memory,
//! clock) is a map-backed [`Context`].
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use malt_sieve::input::{Context, Envelope, EnvironmentInfo, RunInput, Scores};
use malt_sieve::ir::{Script, ScriptLocation};
use malt_sieve::limits::Limits;
use malt_sieve::outcome::{Action, Outcome, RuntimeError};
use malt_sieve::{compile, run};

// ---------------------------------------------------------------------------------------------
// Messages

const BASIC: &str = "Return-Path: <alice@example.com>\r\n\
Received: from mx.example.com by mail.example.org; Tue, 1 Jul 2003 10:52:40 +0200\r\n\
From: Alice Example <alice@example.com>\r\n\
To: Bob <bob@example.org>, carol@example.net\r\n\
Cc: \"Dave, D.\" <dave+sieve@example.org>\r\n\
Subject: Hello world\r\n\
Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n\
Message-ID: <basic-1@example.com>\r\n\
X-Priority: 3\r\n\
X-Spam-Score: 12\r\n\
\r\n\
Hi Bob,\r\n\
the meeting is at 10. Bring the *slides*.\r\n";

const ENCODED: &str = "From: =?utf-8?q?J=C3=B6rg?= <joerg@example.de>\r\n\
To: bob@example.org\r\n\
Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= aus\r\n\x20=?iso-8859-1?q?K=F6ln?=\r\n\
Message-ID: <enc@example.de>\r\n\
\r\n\
body\r\n";

const LIST: &str = "From: list@lists.example.com\r\n\
To: bob@example.org\r\n\
List-Id: <dev.lists.example.com>\r\n\
Subject: [dev] release 1.0\r\n\
\r\n\
list body\r\n";

const MULTIPART: &str = "From: Alice <alice@example.com>\r\n\
To: bob@example.org\r\n\
Subject: parts\r\n\
Message-ID: <mp@example.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
prologue text here\r\n\
--b1\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
plain part hello\r\n\
--b1\r\n\
Content-Type: multipart/alternative; boundary=\"b2\"\r\n\
\r\n\
--b2\r\n\
Content-Type: text/html\r\n\
\r\n\
<html><body><p>html part <b>bold</b></p></body></html>\r\n\
--b2--\r\n\
--b1\r\n\
Content-Type: application/octet-stream\r\n\
Content-Disposition: attachment; filename=\"report.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
aGVsbG8gYmluYXJ5\r\n\
--b1\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
From: inner@example.net\r\n\
Subject: inner message\r\n\
\r\n\
inner body text\r\n\
--b1--\r\n\
epilogue text\r\n";

// ---------------------------------------------------------------------------------------------
// The world a run asks

struct World {
    mailboxes: Vec<&'static str>,
    special_uses: Vec<(&'static str, &'static str)>,
    seen: Vec<(&'static str, &'static str)>,
    scripts: Vec<(ScriptLocation, &'static str, &'static str)>,
    now: (i64, i32),
}

impl Default for World {
    fn default() -> Self {
        World {
            mailboxes: vec!["INBOX", "Work", "Lists"],
            special_uses: vec![("\\Junk", "Spam"), ("\\Sent", "Sent")],
            seen: vec![("", "<seen@example.com>"), ("news", "known-id")],
            scripts: vec![
                (
                    ScriptLocation::Personal,
                    "lists",
                    "require [\"fileinto\", \"include\", \"variables\"];\n\
                     global \"folder\";\n\
                     if exists \"list-id\" { fileinto \"Lists\"; set \"folder\" \"Lists\"; return; }\n\
                     fileinto \"Not-a-list\";",
                ),
                (
                    ScriptLocation::Global,
                    "spam",
                    "require [\"fileinto\"];\nif header :contains \"subject\" \"viagra\" { fileinto \"Spam\"; stop; }",
                ),
                (
                    ScriptLocation::Personal,
                    "loop",
                    "require \"include\";\ninclude \"loop\";",
                ),
                (
                    ScriptLocation::Personal,
                    "broken-at-run",
                    "require \"ihave\";\nerror \"from the included script\";",
                ),
                (
                    ScriptLocation::Personal,
                    "flagger",
                    "require [\"imap4flags\", \"include\", \"variables\"];\nglobal \"note\";\naddflag \"\\\\Flagged\";\nset \"note\" \"flagged by include\";",
                ),
            ],
            // 2026-11-29 11:20:54 UTC, server one hour east.
            now: (1_795_951_254, 60),
        }
    }
}

impl Context for World {
    fn mailbox_exists(&self, name: &str) -> bool {
        self.mailboxes.contains(&name)
    }

    fn special_use_mailbox(&self, special_use: &str) -> Option<String> {
        self.special_uses
            .iter()
            .find(|(u, _)| u.eq_ignore_ascii_case(special_use))
            .map(|(_, m)| m.to_string())
    }

    fn duplicate_seen(&self, handle: &str, id: &str) -> bool {
        self.seen.contains(&(handle, id))
    }

    fn include(&self, location: ScriptLocation, name: &str) -> Option<Arc<Script>> {
        let (_, _, source) = self
            .scripts
            .iter()
            .find(|(l, n, _)| *l == location && *n == name)?;
        Some(Arc::new(compile(name, source, &Limits::default()).unwrap()))
    }

    fn now(&self) -> (i64, i32) {
        self.now
    }
}

// ---------------------------------------------------------------------------------------------
// Cases

struct Case {
    name: &'static str,
    script: &'static str,
    message: &'static str,
    from: &'static str,
    to: &'static str,
    scores: Scores,
    limits: Limits,
    /// The actions, rendered by [`render`]; or `Err(text)` the run-time error must contain.
    expect: Result<&'static [&'static str], &'static str>,
}

fn case(
    name: &'static str,
    script: &'static str,
    expect: Result<&'static [&'static str], &'static str>,
) -> Case {
    Case {
        name,
        script,
        message: BASIC,
        from: "alice@example.com",
        to: "bob@example.org",
        scores: Scores::default(),
        limits: Limits::default(),
        expect,
    }
}

fn environment() -> EnvironmentInfo {
    EnvironmentInfo {
        domain: "example.org".into(),
        host: "mx1.example.org".into(),
        location: "MDA".into(),
        phase: "during".into(),
        remote_host: "mail.example.com".into(),
        remote_ip: "192.0.2.1".into(),
        name: "Malt".into(),
        version: "0.1.0".into(),
    }
}

fn run_case(case: &Case) -> Result<Outcome, RuntimeError> {
    let script = compile(case.name, case.script, &case.limits)
        .unwrap_or_else(|e| panic!("case {:?} does not compile:\n{e}", case.name));
    let envelope = Envelope {
        from: case.from.into(),
        to: case.to.into(),
        user_addresses: vec!["bob@example.org".into(), "robert@example.org".into()],
    };
    let env = environment();
    let input = RunInput {
        message: case.message.as_bytes(),
        envelope: &envelope,
        environment: &env,
        scores: case.scores,
    };
    run(&script, &input, &World::default(), &case.limits)
}

/// One action as one line.
fn render(action: &Action) -> String {
    let flags = |flags: &[String]| {
        if flags.is_empty() {
            String::new()
        } else {
            format!(" [{}]", flags.join(" "))
        }
    };
    match action {
        Action::Keep { flags: f } => format!("keep{}", flags(f)),
        Action::FileInto {
            mailbox,
            flags: f,
            create,
            special_use,
        } => format!(
            "fileinto {mailbox}{}{}{}",
            flags(f),
            if *create { " :create" } else { "" },
            special_use
                .as_ref()
                .map(|u| format!(" :specialuse {u}"))
                .unwrap_or_default()
        ),
        Action::Redirect { address } => format!("redirect {address}"),
        Action::Reject { reason, extended } => {
            format!("{}: {reason}", if *extended { "ereject" } else { "reject" })
        }
        Action::Vacation(v) => format!(
            "vacation to={} from={} subject={:?} period={} handle={:?}{} body={:?}{}",
            v.to,
            v.from,
            v.subject,
            v.period_seconds,
            v.handle,
            if v.mime { " mime" } else { "" },
            v.body,
            v.in_reply_to
                .as_ref()
                .map(|r| format!(" in-reply-to={r}"))
                .unwrap_or_default()
        ),
        Action::Notify(n) => format!(
            "notify {} importance={} message={:?}{}{}",
            n.method,
            n.importance,
            n.message,
            n.from.as_ref().map(|f| format!(" from={f}")).unwrap_or_default(),
            if n.options.is_empty() {
                String::new()
            } else {
                format!(" options={:?}", n.options)
            }
        ),
        Action::Discard => "discard".into(),
    }
}

fn check(case: &Case) -> Option<String> {
    let got = run_case(case);
    match (&got, case.expect) {
        (Ok(outcome), Ok(expected)) => {
            let rendered: Vec<String> = outcome.actions.iter().map(render).collect();
            (rendered != expected).then(|| {
                format!(
                    "case {:?}: actions differ\n  expected: {expected:#?}\n  got:      {rendered:#?}",
                    case.name
                )
            })
        }
        (Err(err), Err(wanted)) => (!err.message.contains(wanted)).then(|| {
            format!(
                "case {:?}: error {:?} does not contain {wanted:?}",
                case.name,
                err.to_string()
            )
        }),
        (Ok(outcome), Err(wanted)) => Some(format!(
            "case {:?}: expected an error containing {wanted:?}, got {:?}",
            case.name,
            outcome.actions.iter().map(render).collect::<Vec<_>>()
        )),
        (Err(err), Ok(_)) => Some(format!("case {:?}: unexpected error {}", case.name, err)),
    }
}

#[test]
fn the_table() {
    let cases = cases();
    let failures: Vec<String> = cases.iter().filter_map(check).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "case names must be unique");
}

const KEEP: &[&str] = &["keep"];

fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(core_cases());
    all.extend(header_cases());
    all.extend(extension_cases());
    all
}

// RFC 5228: control, actions, implicit keep, comparators, match types, address parts.
fn core_cases() -> Vec<Case> {
    vec![
        case("empty script keeps", "", Ok(KEEP)),
        case("true keeps", "if true { keep; }", Ok(KEEP)),
        case("stop before anything keeps", "stop; discard;", Ok(KEEP)),
        case("discard cancels the implicit keep", "discard;", Ok(&["discard"])),
        case("keep after discard stores", "discard; keep;", Ok(KEEP)),
        case(
            "fileinto cancels the implicit keep",
            "require \"fileinto\"; fileinto \"Work\";",
            Ok(&["fileinto Work"]),
        ),
        case(
            "fileinto twice into one mailbox is one action",
            "require \"fileinto\"; fileinto \"Work\"; fileinto \"Work\"; fileinto \"work\";",
            Ok(&["fileinto Work", "fileinto work"]),
        ),
        case(
            "fileinto INBOX is keep",
            "require \"fileinto\"; fileinto \"inbox\"; keep;",
            Ok(KEEP),
        ),
        case(
            "fileinto :copy keeps the implicit keep",
            "require [\"fileinto\", \"copy\"]; fileinto :copy \"Work\";",
            Ok(&["fileinto Work", "keep"]),
        ),
        case(
            "redirect",
            "redirect \"carol@example.net\";",
            Ok(&["redirect carol@example.net"]),
        ),
        case(
            "redirect :copy",
            "require \"copy\"; redirect :copy \"carol@example.net\";",
            Ok(&["redirect carol@example.net", "keep"]),
        ),
        case(
            "redirect to one address twice is one action",
            "redirect \"carol@example.net\"; redirect \"carol@EXAMPLE.net\";",
            Ok(&["redirect carol@example.net"]),
        ),
        case(
            "redirect limit",
            "redirect \"a@example.net\"; redirect \"b@example.net\"; redirect \"c@example.net\"; \
             redirect \"d@example.net\"; redirect \"e@example.net\";",
            Err("too many redirect actions"),
        ),
        case(
            "redirect to an invalid address built at run time",
            "require \"variables\"; set \"a\" \"not an address\"; redirect \"${a}\";",
            Err("is not a valid address"),
        ),
        case(
            "if elsif else takes the first true branch",
            "require \"fileinto\";\n\
             if false { fileinto \"A\"; } elsif true { fileinto \"B\"; } elsif true { fileinto \"C\"; } else { fileinto \"D\"; }",
            Ok(&["fileinto B"]),
        ),
        case(
            "else when nothing holds",
            "require \"fileinto\"; if false { fileinto \"A\"; } else { fileinto \"D\"; }",
            Ok(&["fileinto D"]),
        ),
        case(
            "allof anyof not",
            "require \"fileinto\";\n\
             if allof(true, not false, anyof(false, true)) { fileinto \"Yes\"; }\n\
             if anyof(false, allof(true, false)) { fileinto \"No\"; }",
            Ok(&["fileinto Yes"]),
        ),
        case(
            "size over and under",
            "require \"fileinto\";\n\
             if size :over 100 { fileinto \"Over100\"; }\n\
             if size :under 1K { fileinto \"Under1K\"; }\n\
             if size :over 1K { fileinto \"Over1K\"; }",
            Ok(&["fileinto Over100", "fileinto Under1K"]),
        ),
        case(
            "header is contains matches",
            "require \"fileinto\";\n\
             if header :is \"subject\" \"hello world\" { fileinto \"Is\"; }\n\
             if header :contains \"Subject\" \"LO WO\" { fileinto \"Contains\"; }\n\
             if header :matches \"subject\" \"H?llo *\" { fileinto \"Matches\"; }\n\
             if header :is :comparator \"i;octet\" \"subject\" \"hello world\" { fileinto \"Octet\"; }",
            Ok(&["fileinto Is", "fileinto Contains", "fileinto Matches"]),
        ),
        case(
            "header of an absent field is false even against the empty string",
            "require \"fileinto\"; if header :is \"x-absent\" \"\" { fileinto \"Absent\"; }\n\
             if header :contains \"subject\" \"\" { fileinto \"EmptyKey\"; }",
            Ok(&["fileinto EmptyKey"]),
        ),
        case(
            "header with several names and keys",
            "require \"fileinto\"; if header :contains [\"x-nope\", \"to\"] [\"zzz\", \"CAROL\"] { fileinto \"Any\"; }",
            Ok(&["fileinto Any"]),
        ),
        case(
            "exists needs every field",
            "require \"fileinto\";\n\
             if exists [\"from\", \"to\"] { fileinto \"Both\"; }\n\
             if exists [\"from\", \"x-absent\"] { fileinto \"Never\"; }",
            Ok(&["fileinto Both"]),
        ),
        case(
            "address parts",
            "require [\"fileinto\"];\n\
             if address :is :all \"from\" \"alice@example.com\" { fileinto \"All\"; }\n\
             if address :is :localpart \"from\" \"alice\" { fileinto \"Local\"; }\n\
             if address :is :domain \"from\" \"EXAMPLE.COM\" { fileinto \"Domain\"; }\n\
             if address :is \"to\" \"carol@example.net\" { fileinto \"SecondTo\"; }\n\
             if address :is \"cc\" \"dave+sieve@example.org\" { fileinto \"QuotedName\"; }",
            Ok(&[
                "fileinto All",
                "fileinto Local",
                "fileinto Domain",
                "fileinto SecondTo",
                "fileinto QuotedName",
            ]),
        ),
        case(
            "address of a group and of garbage",
            "require \"fileinto\";\n\
             if address :all :is \"to\" \"bad address\" { fileinto \"Bad\"; }\n\
             if address :localpart :is \"to\" \"bad address\" { fileinto \"NeverLocal\"; }\n\
             if address :domain :is \"cc\" \"c.example\" { fileinto \"GroupMember\"; }",
            Ok(&["fileinto Bad", "fileinto GroupMember"]),
        )
        .with_message(
            "From: a@example.com\r\nTo: bad address\r\nCc: team: x@c.example, y@c.example;\r\n\r\nb\r\n",
        ),
        case(
            "envelope from and to",
            "require [\"envelope\", \"fileinto\"];\n\
             if envelope :is \"from\" \"alice@example.com\" { fileinto \"From\"; }\n\
             if envelope :domain :is \"to\" \"example.org\" { fileinto \"ToDomain\"; }\n\
             if envelope :localpart :is \"to\" \"bob\" { fileinto \"ToLocal\"; }",
            Ok(&["fileinto From", "fileinto ToDomain", "fileinto ToLocal"]),
        ),
        case(
            "envelope null sender is the empty string for every part",
            "require [\"envelope\", \"fileinto\"];\n\
             if envelope :is \"from\" \"\" { fileinto \"Null\"; }\n\
             if envelope :domain :is \"from\" \"\" { fileinto \"NullDomain\"; }",
            Ok(&["fileinto Null", "fileinto NullDomain"]),
        )
        .with_envelope("", "bob@example.org"),
        case(
            "comparator ascii-numeric",
            "require [\"fileinto\", \"comparator-i;ascii-numeric\"];\n\
             if header :is :comparator \"i;ascii-numeric\" \"x-priority\" \"003\" { fileinto \"Three\"; }\n\
             if header :is :comparator \"i;ascii-numeric\" \"subject\" \"infinity\" { fileinto \"BothInfinite\"; }",
            Ok(&["fileinto Three", "fileinto BothInfinite"]),
        ),
        case(
            "matches escapes",
            "require \"fileinto\";\n\
             if header :matches \"subject\" \"Hello\\\\*\" { fileinto \"Literal\"; }\n\
             if header :matches \"subject\" \"Hello*\" { fileinto \"Wild\"; }",
            Ok(&["fileinto Wild"]),
        ),
        case(
            "instruction limit",
            "if true { keep; } if true { keep; } if true { keep; }",
            Err("instructions"),
        )
        .with_limits(Limits {
            max_instructions: 4,
            ..Limits::default()
        }),
        case(
            "the implicit keep is not counted against the action limit",
            "require [\"fileinto\", \"copy\"]; fileinto :copy \"Work\";",
            Ok(&["fileinto Work", "keep"]),
        )
        .with_limits(Limits {
            max_actions: 1,
            ..Limits::default()
        }),
        case(
            "action limit",
            "require \"fileinto\"; fileinto \"A\"; fileinto \"B\"; fileinto \"C\";",
            Err("too many actions"),
        )
        .with_limits(Limits {
            max_actions: 2,
            ..Limits::default()
        }),
    ]
}

fn header_cases() -> Vec<Case> {
    vec![
        case(
            "RFC 2047 words are decoded for header but not address",
            "require \"fileinto\";\n\
             if header :is \"subject\" \"Grüße aus Köln\" { fileinto \"Decoded\"; }\n\
             if header :contains \"from\" \"Jörg\" { fileinto \"DecodedFrom\"; }\n\
             if address :is \"from\" \"joerg@example.de\" { fileinto \"Address\"; }",
            Ok(&["fileinto Decoded", "fileinto DecodedFrom", "fileinto Address"]),
        )
        .with_message(ENCODED),
        case(
            "header :index and :last",
            "require [\"fileinto\", \"index\"];\n\
             if header :index 1 :contains \"received\" \"first\" { fileinto \"First\"; }\n\
             if header :index 1 :last :contains \"received\" \"third\" { fileinto \"Last\"; }\n\
             if header :index 2 :last :contains \"received\" \"second\" { fileinto \"SecondLast\"; }\n\
             if header :index 4 :contains \"received\" \"\" { fileinto \"Beyond\"; }",
            Ok(&["fileinto First", "fileinto Last", "fileinto SecondLast"]),
        )
        .with_message("Received: first\r\nReceived: second\r\nReceived: third\r\nFrom: a@b.c\r\n\r\nx\r\n"),
        case(
            "address :index counts fields, not addresses",
            "require [\"fileinto\", \"index\"];\n\
             if address :index 1 :is \"to\" \"carol@example.net\" { fileinto \"SameField\"; }",
            Ok(&["fileinto SameField"]),
        ),
        case(
            "relational value and count",
            "require [\"fileinto\", \"relational\", \"comparator-i;ascii-numeric\"];\n\
             if header :value \"gt\" :comparator \"i;ascii-numeric\" \"x-spam-score\" \"10\" { fileinto \"Gt10\"; }\n\
             if header :value \"lt\" :comparator \"i;ascii-numeric\" \"x-spam-score\" \"10\" { fileinto \"Lt10\"; }\n\
             if address :count \"eq\" :comparator \"i;ascii-numeric\" [\"to\", \"cc\"] \"3\" { fileinto \"Three\"; }\n\
             if header :count \"ge\" :comparator \"i;ascii-numeric\" \"received\" \"1\" { fileinto \"Received\"; }\n\
             if header :count \"eq\" :comparator \"i;ascii-numeric\" \"x-absent\" \"0\" { fileinto \"None\"; }\n\
             if header :value \"le\" \"subject\" \"hello\" { fileinto \"CasemapLe\"; }",
            Ok(&[
                "fileinto Gt10",
                "fileinto Three",
                "fileinto Received",
                "fileinto None",
            ]),
        ),
        case(
            "subaddress user and detail",
            "require [\"fileinto\", \"subaddress\", \"envelope\"];\n\
             if address :user \"cc\" \"dave\" { fileinto \"User\"; }\n\
             if address :detail \"cc\" \"sieve\" { fileinto \"Detail\"; }\n\
             if address :detail \"from\" \"\" { fileinto \"NoDetail\"; }\n\
             if envelope :detail \"to\" \"lists\" { fileinto \"EnvDetail\"; }\n\
             if envelope :user \"to\" \"bob\" { fileinto \"EnvUser\"; }",
            Ok(&[
                "fileinto User",
                "fileinto Detail",
                "fileinto EnvDetail",
                "fileinto EnvUser",
            ]),
        )
        .with_envelope("alice@example.com", "bob+lists@example.org"),
        case(
            "regex with captures and case",
            "require [\"fileinto\", \"regex\", \"variables\"];\n\
             if header :regex \"subject\" \"^hello (w[a-z]+)$\" { fileinto \"R-${1}\"; }\n\
             if header :regex :comparator \"i;octet\" \"subject\" \"^hello\" { fileinto \"Octet\"; }",
            Ok(&["fileinto R-world"]),
        ),
        case(
            "regex built at run time that does not compile",
            "require [\"regex\", \"variables\"];\n\
             set \"p\" \"(unclosed\";\n\
             if header :regex \"subject\" \"${p}\" { keep; }",
            Err("invalid regular expression"),
        ),
    ]
}

fn extension_cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(variables_cases());
    all.extend(flags_cases());
    all.extend(reject_cases());
    all.extend(vacation_cases());
    all.extend(notify_cases());
    all.extend(include_cases());
    all.extend(body_and_mime_cases());
    all.extend(date_cases());
    all.extend(misc_cases());
    all
}

// RFC 5229
fn variables_cases() -> Vec<Case> {
    vec![
        case(
            "set and use a variable",
            "require [\"fileinto\", \"variables\"]; set \"box\" \"Work\"; fileinto \"${box}\";",
            Ok(&["fileinto Work"]),
        ),
        case(
            "unset variables are empty",
            "require [\"fileinto\", \"variables\"]; fileinto \"A${nothing}B\";",
            Ok(&["fileinto AB"]),
        ),
        case(
            "modifiers in precedence order",
            "require [\"fileinto\", \"variables\"];\n\
             set :upperfirst :lower \"a\" \"juMBlEd lETteRS\"; fileinto \"${a}\";\n\
             set :length \"n\" \"${a}\"; fileinto \"len-${n}\";\n\
             set :quotewildcard \"q\" \"a*b\"; if string :matches \"a*b\" \"${q}\" { fileinto \"Quoted\"; }\n\
             if string :matches \"aXb\" \"${q}\" { fileinto \"NotQuoted\"; }",
            Ok(&["fileinto Jumbled letters", "fileinto len-15", "fileinto Quoted"]),
        ),
        case(
            "match variables from matches (RFC 5229 §3.2 example)",
            "require [\"fileinto\", \"variables\"];\n\
             if header :matches \"subject\" \"[*] *\" { fileinto \"list-${1}\"; fileinto \"rest-${2}\"; fileinto \"all-${0}\"; }",
            Ok(&[
                "fileinto list-acme-users",
                "fileinto rest-[fwd] version 1.0 is out",
                "fileinto all-[acme-users] [fwd] version 1.0 is out",
            ]),
        )
        .with_message("From: a@b.c\r\nSubject: [acme-users] [fwd] version 1.0 is out\r\n\r\nx\r\n"),
        case(
            "a failed match keeps the old match variables",
            "require [\"fileinto\", \"variables\"];\n\
             if header :matches \"subject\" \"H*\" { }\n\
             if header :matches \"subject\" \"Z*\" { }\n\
             fileinto \"${1}\";",
            Ok(&["fileinto ello world"]),
        ),
        case(
            "string test and its count of non-empty strings",
            "require [\"fileinto\", \"variables\", \"relational\", \"comparator-i;ascii-numeric\"];\n\
             set \"e\" \"\";\n\
             if string :is \"${e}\" \"\" { fileinto \"Empty\"; }\n\
             if string :count \"eq\" :comparator \"i;ascii-numeric\" [\"a\", \"${e}\", \"b\"] \"2\" { fileinto \"Two\"; }",
            Ok(&["fileinto Empty", "fileinto Two"]),
        ),
        case(
            "variable limit",
            "require \"variables\"; set \"a\" \"1\"; set \"b\" \"2\"; set \"c\" \"3\";",
            Err("too many variables"),
        )
        .with_limits(Limits {
            max_variables: 2,
            ..Limits::default()
        }),
        case(
            "encodeurl modifier",
            "require [\"fileinto\", \"variables\", \"enotify\"]; set :encodeurl \"u\" \"a b&c\"; fileinto \"${u}\";",
            Ok(&["fileinto a%20b%26c"]),
        ),
    ]
}

// RFC 5232
fn flags_cases() -> Vec<Case> {
    vec![
        case(
            "internal flags go to the implicit keep",
            "require \"imap4flags\"; setflag \"\\\\Seen\"; addflag [\"$Work\", \"\\\\flagged\"]; removeflag \"\\\\Seen\";",
            Ok(&["keep [$Work \\Flagged]"]),
        ),
        case(
            "flags are deduplicated and invalid ones dropped",
            "require \"imap4flags\"; addflag \"\\\\seen Foo \\\\SEEN foo \\\\Recent \\\\Bogus\";",
            Ok(&["keep [\\Seen Foo]"]),
        ),
        case(
            ":flags replace the internal flags for that action",
            "require [\"imap4flags\", \"fileinto\"]; addflag \"\\\\Seen\"; fileinto :flags \"\\\\Flagged\" \"Work\"; fileinto \"Lists\";",
            Ok(&["fileinto Work [\\Flagged]", "fileinto Lists [\\Seen]"]),
        ),
        case(
            "flags of one mailbox twice are merged",
            "require [\"imap4flags\", \"fileinto\"]; fileinto :flags \"a\" \"Work\"; fileinto :flags \"b\" \"Work\"; keep :flags \"c\";",
            Ok(&["fileinto Work [a b]", "keep [c]"]),
        ),
        case(
            "flag variables and hasflag",
            "require [\"imap4flags\", \"variables\", \"fileinto\", \"relational\", \"comparator-i;ascii-numeric\"];\n\
             setflag \"mine\" \"A B\"; addflag \"mine\" \"c\"; removeflag \"mine\" \"b\";\n\
             if hasflag :is \"mine\" \"C\" { fileinto \"HasC\"; }\n\
             if hasflag :is \"mine\" \"B\" { fileinto \"HasB\"; }\n\
             if hasflag :count \"eq\" :comparator \"i;ascii-numeric\" \"mine\" \"2\" { fileinto \"Two\"; }\n\
             if string :is \"${mine}\" \"A c\" { fileinto \"Text\"; }\n\
             if hasflag \"anything\" { fileinto \"Internal\"; }",
            Ok(&["fileinto HasC", "fileinto Two", "fileinto Text"]),
        ),
        case(
            // RFC 5232 §4: the keys are a list of flags, "b A" is two (found by the generated
            // differential test: an empty key matched with :contains).
            "hasflag keys split into flags with :is and :contains",
            "require [\"imap4flags\", \"fileinto\"];\n\
             setflag \"A B\";\n\
             if hasflag :is \"b A\" { fileinto \"Split\"; }\n\
             if hasflag :contains \"\" { fileinto \"Empty\"; }\n\
             if hasflag :contains [\"x\", \"junk b\"] { fileinto \"Contains\"; }\n\
             if hasflag :matches \"a *\" { fileinto \"Pattern\"; }",
            Ok(&["fileinto Split [A B]", "fileinto Contains [A B]"]),
        ),
    ]
}

// RFC 5429
fn reject_cases() -> Vec<Case> {
    vec![
        case(
            "reject",
            "require \"reject\"; reject \"go away\";",
            Ok(&["reject: go away"]),
        ),
        case(
            "ereject",
            "require \"ereject\"; ereject \"not here\";",
            Ok(&["ereject: not here"]),
        ),
        case(
            "reject then discard",
            "require \"reject\"; reject \"no\"; discard;",
            Ok(&["reject: no", "discard"]),
        ),
        case(
            "reject conflicts with fileinto",
            "require [\"reject\", \"fileinto\"]; fileinto \"Work\"; reject \"no\";",
            Err("conflicts"),
        ),
        case(
            "keep conflicts with reject",
            "require \"reject\"; reject \"no\"; keep;",
            Err("conflicts"),
        ),
        case(
            "redirect :copy conflicts with reject",
            "require [\"reject\", \"copy\"]; reject \"no\"; redirect :copy \"a@example.net\";",
            Err("conflicts"),
        ),
        case(
            "vacation conflicts with reject",
            "require [\"reject\", \"vacation\"]; vacation \"away\"; reject \"no\";",
            Err("conflicts"),
        ),
        case(
            "a vacation that sends nothing still conflicts with reject",
            "require [\"reject\", \"vacation\"]; vacation \"away\"; reject \"no\";",
            Err("conflicts"),
        )
        .with_message(LIST),
        case(
            "two rejects conflict",
            "require \"reject\"; reject \"a\"; reject \"b\";",
            Err("conflicts"),
        ),
        case(
            "notify goes with reject",
            "require [\"reject\", \"enotify\"]; reject \"no\"; notify \"mailto:ops@example.org\";",
            Ok(&[
                "reject: no",
                "notify mailto:ops@example.org importance=2 message=\"Alice Example <alice@example.com>: Hello world\"",
            ]),
        ),
    ]
}

const VACATION_DEFAULT: &str = "vacation to=alice@example.com from=bob@example.org subject=\"Auto: Hello world\" period=604800 handle=\"away<default-subject><default-from><NO-MIME>\" body=\"away\" in-reply-to=<basic-1@example.com>";

// RFC 5230, RFC 6131
fn vacation_cases() -> Vec<Case> {
    vec![
        case(
            "vacation with defaults, and the implicit keep",
            "require \"vacation\"; vacation \"away\";",
            Ok(&[VACATION_DEFAULT, "keep"]),
        ),
        case(
            "vacation with every argument",
            "require [\"vacation\", \"vacation-seconds\"];\n\
             vacation :seconds 3600 :subject \"Out\" :from \"bob@example.org\" :addresses \"b@example.org\" :mime :handle \"h1\" text:\nContent-Type: text/plain\n\naway\n.\n;",
            Ok(&[
                "vacation to=alice@example.com from=bob@example.org subject=\"Out\" period=3600 handle=\"h1\" mime body=\"Content-Type: text/plain\\n\\naway\\n\" in-reply-to=<basic-1@example.com>",
                "keep",
            ]),
        ),
        case(
            "vacation :days is clamped to the limits",
            "require \"vacation\"; vacation :days 400 :handle \"h\" \"away\";",
            Ok(&[
                "vacation to=alice@example.com from=bob@example.org subject=\"Auto: Hello world\" period=7776000 handle=\"h\" body=\"away\" in-reply-to=<basic-1@example.com>",
                "keep",
            ]),
        ),
        case(
            "vacation :seconds 0 is raised to the minimum",
            "require \"vacation-seconds\"; vacation :seconds 0 :handle \"h\" \"away\";",
            Ok(&[
                "vacation to=alice@example.com from=bob@example.org subject=\"Auto: Hello world\" period=60 handle=\"h\" body=\"away\" in-reply-to=<basic-1@example.com>",
                "keep",
            ]),
        )
        .with_limits(Limits {
            min_vacation_seconds: 60,
            ..Limits::default()
        }),
        case(
            "no vacation to the null sender",
            "require \"vacation\"; vacation \"away\";",
            Ok(KEEP),
        )
        .with_envelope("", "bob@example.org"),
        case(
            "no vacation to a list",
            "require \"vacation\"; vacation \"away\";",
            Ok(KEEP),
        )
        .with_message(LIST),
        case(
            "no vacation to bulk mail",
            "require \"vacation\"; vacation \"away\";",
            Ok(KEEP),
        )
        .with_message("From: a@example.com\r\nTo: bob@example.org\r\nPrecedence: bulk\r\n\r\nx\r\n"),
        case(
            "no vacation to auto-submitted mail",
            "require \"vacation\"; vacation \"away\";",
            Ok(KEEP),
        )
        .with_message(
            "From: a@example.com\r\nTo: bob@example.org\r\nAuto-Submitted: auto-replied\r\n\r\nx\r\n",
        ),
        case(
            "vacation to Auto-Submitted: no",
            "require \"vacation\"; vacation :handle \"h\" \"away\";",
            Ok(&[
                "vacation to=alice@example.com from=bob@example.org subject=\"Automated reply\" period=604800 handle=\"h\" body=\"away\"",
                "keep",
            ]),
        )
        .with_message("From: a@example.com\r\nTo: bob@example.org\r\nAuto-Submitted: no\r\n\r\nx\r\n"),
        case(
            "no vacation to the user's own address",
            "require \"vacation\"; vacation \"away\";",
            Ok(KEEP),
        )
        .with_envelope("robert@example.org", "bob@example.org"),
        case(
            "no vacation to a mailer daemon",
            "require \"vacation\"; vacation \"away\";",
            Ok(KEEP),
        )
        .with_envelope("MAILER-DAEMON@example.com", "bob@example.org"),
        case(
            "no vacation when the user is not a recipient",
            "require \"vacation\"; vacation \"away\";",
            Ok(KEEP),
        )
        .with_message("From: a@example.com\r\nTo: someone@example.net\r\n\r\nx\r\n"),
        case(
            "vacation when :addresses names a recipient",
            "require \"vacation\"; vacation :addresses \"someone@example.net\" :handle \"h\" \"away\";",
            Ok(&[
                "vacation to=alice@example.com from=bob@example.org subject=\"Automated reply\" period=604800 handle=\"h\" body=\"away\"",
                "keep",
            ]),
        )
        .with_message("From: a@example.com\r\nTo: someone@example.net\r\n\r\nx\r\n"),
        case(
            "two vacations exceed the limit",
            "require \"vacation\"; vacation :handle \"a\" \"one\"; vacation :handle \"b\" \"two\";",
            Err("too many vacation actions"),
        ),
        case(
            "vacation :from built at run time must be an address",
            "require [\"vacation\", \"variables\"]; set \"f\" \"nobody\"; vacation :from \"${f}\" \"away\";",
            Err("not a valid address"),
        ),
    ]
}

// RFC 5435, RFC 5436
fn notify_cases() -> Vec<Case> {
    vec![
        case(
            "notify with every argument",
            "require \"enotify\";\n\
             notify :from \"bob@example.org\" :importance \"1\" :options [\"x\"] :message \"You got mail\" \"mailto:bob@example.net?subject=New\";",
            Ok(&[
                "notify mailto:bob@example.net?subject=New importance=1 message=\"You got mail\" from=bob@example.org options=[\"x\"]",
                "keep",
            ]),
        ),
        case(
            "the same notification twice is sent once",
            "require \"enotify\"; notify \"mailto:ops@example.org\"; notify \"mailto:ops@example.org\";",
            Ok(&[
                "notify mailto:ops@example.org importance=2 message=\"Alice Example <alice@example.com>: Hello world\"",
                "keep",
            ]),
        ),
        case(
            "notify to an invalid method built at run time",
            "require [\"enotify\", \"variables\"]; set \"m\" \"xmpp:bob@example.org\"; notify \"${m}\";",
            Err("not a valid mailto"),
        ),
        case(
            "valid_notify_method and notify_method_capability",
            "require [\"enotify\", \"fileinto\"];\n\
             if valid_notify_method \"mailto:a@example.org\" { fileinto \"Valid\"; }\n\
             if valid_notify_method [\"mailto:a@example.org\", \"mailto:\"] { fileinto \"OneInvalid\"; }\n\
             if notify_method_capability \"mailto:a@example.org\" \"Online\" \"maybe\" { fileinto \"Maybe\"; }\n\
             if notify_method_capability \"mailto:a@example.org\" \"online\" \"yes\" { fileinto \"Yes\"; }",
            Ok(&["fileinto Valid", "fileinto Maybe"]),
        ),
        case(
            "notify limit",
            "require \"enotify\"; notify \"mailto:a@example.org\"; notify \"mailto:b@example.org\";",
            Err("too many notify actions"),
        )
        .with_limits(Limits {
            max_notifications: 1,
            ..Limits::default()
        }),
    ]
}

// RFC 6609
fn include_cases() -> Vec<Case> {
    vec![
        case(
            "include with global variable and return",
            "require [\"include\", \"variables\", \"fileinto\"];\n\
             global \"folder\";\n\
             include \"lists\";\n\
             fileinto \"after-${folder}\";",
            Ok(&["fileinto Lists", "fileinto after-Lists"]),
        )
        .with_message(LIST),
        case(
            "include runs to its end",
            "require [\"include\", \"variables\", \"fileinto\"]; include \"lists\";",
            Ok(&["fileinto Not-a-list"]),
        ),
        case(
            "stop in an included script ends everything",
            "require [\"include\", \"fileinto\"]; include :global \"spam\"; fileinto \"Work\";",
            Ok(&["fileinto Spam"]),
        )
        .with_message("From: a@example.com\r\nTo: bob@example.org\r\nSubject: cheap viagra\r\n\r\nx\r\n"),
        case(
            "include :once includes once",
            "require [\"include\", \"imap4flags\", \"variables\"];\n\
             include :once \"flagger\"; removeflag \"\\\\Flagged\"; include :once \"flagger\";",
            Ok(KEEP),
        ),
        case(
            "include without :once runs again, and globals are shared",
            "require [\"include\", \"imap4flags\", \"variables\", \"fileinto\"];\n\
             include \"flagger\"; removeflag \"\\\\Flagged\"; include \"flagger\"; fileinto \"${global.note}\";",
            Ok(&["fileinto flagged by include [\\Flagged]"]),
        ),
        case(
            "a missing include is an error",
            "require \"include\"; include \"nope\";",
            Err("does not exist"),
        ),
        case(
            "a missing :optional include is skipped",
            "require \"include\"; include :optional \"nope\";",
            Ok(KEEP),
        ),
        case(
            "an include loop is an error",
            "require \"include\"; include \"loop\";",
            Err("includes itself"),
        ),
        case(
            "an include deeper than the limit is an error",
            "require \"include\"; include \"lists\";",
            Err("include nesting"),
        )
        .with_limits(Limits {
            max_include_depth: 0,
            ..Limits::default()
        }),
        case(
            "an error in an included script names that script",
            "require \"include\"; include \"broken-at-run\";",
            Err("from the included script"),
        ),
        case(
            "variables are not shared without global",
            "require [\"include\", \"variables\", \"fileinto\"]; set \"note\" \"mine\"; include \"flagger\"; fileinto \"${note}\";",
            Ok(&["fileinto mine [\\Flagged]"]),
        ),
    ]
}

// RFC 5173, RFC 5703
fn body_and_mime_cases() -> Vec<Case> {
    vec![
        case(
            "body :text :raw :content",
            "require [\"body\", \"fileinto\"];\n\
             if body :contains \"plain part\" { fileinto \"Text\"; }\n\
             if body :text :contains \"bold\" { fileinto \"HtmlAsText\"; }\n\
             if body :text :contains \"<b>\" { fileinto \"MarkupInText\"; }\n\
             if body :content \"text/html\" :contains \"<b>bold\" { fileinto \"HtmlRaw\"; }\n\
             if body :content \"multipart\" :contains \"prologue\" { fileinto \"Prologue\"; }\n\
             if body :content \"multipart\" :contains \"epilogue\" { fileinto \"Epilogue\"; }\n\
             if body :content \"application/octet-stream\" :contains \"hello binary\" { fileinto \"Decoded\"; }\n\
             if body :content \"message/rfc822\" :contains \"inner message\" { fileinto \"InnerHeader\"; }\n\
             if body :text :contains \"inner body\" { fileinto \"InnerText\"; }\n\
             if body :raw :contains \"aGVsbG8gYmluYXJ5\" { fileinto \"Raw\"; }\n\
             if body :content \"image\" :contains \"\" { fileinto \"NoImage\"; }",
            Ok(&[
                "fileinto Text",
                "fileinto HtmlAsText",
                "fileinto HtmlRaw",
                "fileinto Prologue",
                "fileinto Epilogue",
                "fileinto Decoded",
                "fileinto InnerHeader",
                "fileinto InnerText",
                "fileinto Raw",
            ]),
        )
        .with_message(MULTIPART),
        case(
            "body of a message without MIME is its text",
            "require [\"body\", \"fileinto\"]; if body :contains \"*slides*\" { fileinto \"Found\"; }",
            Ok(&["fileinto Found"]),
        ),
        case(
            "body scan limit",
            "require [\"body\", \"fileinto\"]; if body :contains \"slides\" { fileinto \"Found\"; }",
            Ok(KEEP),
        )
        .with_limits(Limits {
            max_body_scan: 10,
            ..Limits::default()
        }),
        case(
            "foreverypart visits every part with :mime tests",
            "require [\"foreverypart\", \"mime\", \"variables\", \"fileinto\"];\n\
             set \"n\" \"\";\n\
             foreverypart { set \"n\" \"${n}x\"; if header :mime :contenttype :matches \"content-type\" \"*\" { fileinto \"${n}-${0}\"; } }",
            Ok(&[
                "fileinto x-multipart/mixed",
                "fileinto xx-text/plain",
                "fileinto xxx-multipart/alternative",
                "fileinto xxxx-text/html",
                "fileinto xxxxx-application/octet-stream",
                "fileinto xxxxxx-message/rfc822",
            ]),
        )
        .with_message(MULTIPART),
        case(
            "mime :param :type :subtype and :anychild",
            "require [\"mime\", \"foreverypart\", \"fileinto\"];\n\
             if header :mime :anychild :param \"filename\" \"content-disposition\" \"report.pdf\" { fileinto \"Attachment\"; }\n\
             if header :mime :param \"filename\" \"content-disposition\" \"report.pdf\" { fileinto \"NotTop\"; }\n\
             if header :mime :type \"content-type\" \"multipart\" { fileinto \"Type\"; }\n\
             if header :mime :subtype \"content-type\" \"mixed\" { fileinto \"Subtype\"; }\n\
             if header :mime :param \"boundary\" \"content-type\" \"b1\" { fileinto \"Boundary\"; }\n\
             if exists :mime :anychild \"content-transfer-encoding\" { fileinto \"Exists\"; }\n\
             if address :mime :anychild :is \"from\" \"inner@example.net\" { fileinto \"InnerFrom\"; }",
            Ok(&[
                "fileinto Attachment",
                "fileinto Type",
                "fileinto Subtype",
                "fileinto Boundary",
                "fileinto Exists",
                "fileinto InnerFrom",
            ]),
        )
        .with_message(MULTIPART),
        case(
            "header without :mime reads the message inside foreverypart",
            "require [\"foreverypart\", \"mime\", \"fileinto\", \"variables\"];\n\
             set \"n\" \"\";\n\
             foreverypart { set \"n\" \"${n}x\"; if exists \"content-disposition\" { fileinto \"Top${n}\"; }\n\
             if exists :mime \"content-disposition\" { fileinto \"Part${n}\"; } }",
            Ok(&["fileinto Partxxxxx"]),
        )
        .with_message(MULTIPART),
        case(
            "break ends the loop",
            "require [\"foreverypart\", \"mime\", \"fileinto\"];\n\
             foreverypart { if header :mime :type \"content-type\" \"text\" { fileinto \"FirstText\"; break; } }",
            Ok(&["fileinto FirstText"]),
        )
        .with_message(MULTIPART),
        case(
            "break by name leaves the outer loop",
            "require [\"foreverypart\", \"mime\", \"fileinto\", \"variables\"];\n\
             set \"n\" \"\";\n\
             foreverypart :name \"outer\" { set \"n\" \"${n}o\";\n\
               foreverypart { set \"n\" \"${n}i\"; if header :mime :subtype \"content-type\" \"html\" { break :name \"outer\"; } } }\n\
             fileinto \"${n}\";",
            Ok(&["fileinto oiii"]),
        )
        .with_message(MULTIPART),
        case(
            "extracttext",
            "require [\"foreverypart\", \"mime\", \"extracttext\", \"variables\", \"fileinto\"];\n\
             foreverypart { if header :mime :type \"content-type\" \"text\" { extracttext :first 10 \"t\"; fileinto \"[${t}]\"; } }",
            // The enclosed message has no Content-Type field: `:mime :type` gives it no value.
            Ok(&["fileinto [plain part]", "fileinto [html part ]"]),
        )
        .with_message(MULTIPART),
        case(
            "extracttext of a part that is not text is empty",
            "require [\"foreverypart\", \"mime\", \"extracttext\", \"variables\", \"fileinto\"];\n\
             foreverypart { if header :mime :subtype \"content-type\" \"octet-stream\" { extracttext :upper \"t\"; fileinto \"[${t}]\"; } }",
            Ok(&["fileinto []"]),
        )
        .with_message(MULTIPART),
        case(
            "foreverypart iterations count as instructions",
            "require \"foreverypart\"; foreverypart { }",
            Err("instructions"),
        )
        .with_message(MULTIPART)
        .with_limits(Limits {
            max_instructions: 5,
            ..Limits::default()
        }),
    ]
}

// RFC 5260
fn date_cases() -> Vec<Case> {
    vec![
        case(
            "date parts in a zone",
            "require [\"date\", \"variables\", \"fileinto\"];\n\
             if date :zone \"+0000\" :matches \"date\" \"iso8601\" \"*\" { fileinto \"${0}\"; }\n\
             if date :originalzone :is \"date\" \"zone\" \"+0200\" { fileinto \"Original\"; }\n\
             if date :is \"date\" \"hour\" \"09\" { fileinto \"ServerZone\"; }\n\
             if date :zone \"-0500\" :matches \"date\" \"std11\" \"*\" { fileinto \"${0}\"; }\n\
             if date :is \"date\" \"weekday\" \"2\" { fileinto \"Tuesday\"; }\n\
             if date :is \"date\" \"julian\" \"52821\" { fileinto \"Julian\"; }",
            Ok(&[
                "fileinto 2003-07-01T08:52:37Z",
                "fileinto Original",
                "fileinto ServerZone",
                "fileinto Tue, 01 Jul 2003 03:52:37 -0500",
                "fileinto Tuesday",
                "fileinto Julian",
            ]),
        ),
        case(
            "date relational comparisons",
            "require [\"date\", \"relational\", \"fileinto\"];\n\
             if date :value \"ge\" :originalzone \"date\" \"date\" \"2003-01-01\" { fileinto \"After\"; }\n\
             if date :value \"lt\" :originalzone \"date\" \"date\" \"2003-01-01\" { fileinto \"Before\"; }",
            Ok(&["fileinto After"]),
        ),
        case(
            "date of Received after its semicolon, with :index",
            "require [\"date\", \"index\", \"fileinto\"];\n\
             if date :index 1 :originalzone :is \"received\" \"time\" \"10:52:40\" { fileinto \"Received\"; }",
            Ok(&["fileinto Received"]),
        ),
        case(
            "a field that is not a date gives no value",
            "require [\"date\", \"fileinto\"]; if date :matches \"subject\" \"year\" \"*\" { fileinto \"Never\"; }",
            Ok(KEEP),
        ),
        case(
            "currentdate",
            "require [\"date\", \"variables\", \"fileinto\"];\n\
             if currentdate :zone \"+0000\" :matches \"iso8601\" \"*\" { fileinto \"${0}\"; }\n\
             if currentdate :matches \"zone\" \"*\" { fileinto \"${0}\"; }\n\
             if currentdate :is \"hour\" \"12\" { fileinto \"LocalHour\"; }",
            Ok(&[
                "fileinto 2026-11-29T11:20:54Z",
                "fileinto +0100",
                "fileinto LocalHour",
            ]),
        ),
    ]
}

fn misc_cases() -> Vec<Case> {
    vec![
        // RFC 5293
        case(
            "editheader: later tests see the edits",
            "require [\"editheader\", \"fileinto\"];\n\
             addheader \"X-Sieve\" \"seen\";\n\
             deleteheader \"x-priority\";\n\
             if header :is \"x-sieve\" \"seen\" { fileinto \"Added\"; }\n\
             if exists \"x-priority\" { fileinto \"NotDeleted\"; }",
            Ok(&["fileinto Added"]),
        ),
        case(
            "deleteheader with :index and a value pattern",
            "require [\"editheader\", \"index\", \"fileinto\", \"relational\", \"comparator-i;ascii-numeric\"];\n\
             deleteheader :index 2 \"x-tag\";\n\
             deleteheader :matches \"x-tag\" \"d*\";\n\
             if header :count \"eq\" :comparator \"i;ascii-numeric\" \"x-tag\" \"2\" { fileinto \"Two\"; }\n\
             if header :index 2 :is \"x-tag\" \"c\" { fileinto \"C\"; }",
            Ok(&["fileinto Two", "fileinto C"]),
        )
        .with_message("X-Tag: a\r\nX-Tag: b\r\nX-Tag: c\r\nX-Tag: d1\r\nX-Tag: d2\r\n\r\nx\r\n"),
        case(
            "Received and Auto-Submitted cannot be edited",
            "require [\"editheader\", \"fileinto\"];\n\
             deleteheader \"received\"; addheader \"Auto-Submitted\" \"no\";\n\
             if exists \"received\" { fileinto \"StillThere\"; }\n\
             if exists \"auto-submitted\" { fileinto \"Added\"; }",
            Ok(&["fileinto StillThere"]),
        ),
        case(
            "an invalid field name built at run time",
            "require [\"editheader\", \"variables\"]; set \"n\" \"bad name\"; addheader \"${n}\" \"v\";",
            Err("not a valid header field name"),
        ),
        case(
            "header edit limit",
            "require \"editheader\"; addheader \"X-A\" \"1\"; addheader \"X-B\" \"2\";",
            Err("header edits"),
        )
        .with_limits(Limits {
            max_header_edits: 1,
            ..Limits::default()
        }),
        // RFC 7352
        case(
            "duplicate by Message-ID, new and seen",
            "require [\"duplicate\", \"fileinto\"]; if duplicate { fileinto \"Dup\"; }",
            Ok(KEEP),
        ),
        case(
            "duplicate seen before",
            "require [\"duplicate\", \"fileinto\"]; if duplicate { fileinto \"Dup\"; }",
            Ok(&["fileinto Dup"]),
        )
        .with_message("From: a@example.com\r\nMessage-ID: <seen@example.com>\r\n\r\nx\r\n"),
        case(
            "duplicate :handle :uniqueid and :header",
            "require [\"duplicate\", \"fileinto\"];\n\
             if duplicate :handle \"news\" :uniqueid \"known-id\" { fileinto \"Known\"; }\n\
             if duplicate :header \"x-absent\" { fileinto \"NoHeader\"; }\n\
             if duplicate :header \"subject\" { fileinto \"SubjectSeen\"; }\n\
             if duplicate :header \"subject\" { fileinto \"SecondTimeInRun\"; }",
            Ok(&["fileinto Known", "fileinto SecondTimeInRun"]),
        ),
        // RFC 5183
        case(
            "environment",
            "require [\"environment\", \"fileinto\", \"variables\"];\n\
             if environment :is \"location\" \"MDA\" { fileinto \"MDA\"; }\n\
             if environment :matches \"remote-ip\" \"*\" { fileinto \"${0}\"; }\n\
             if environment :contains \"name\" \"malt\" { fileinto \"Name\"; }\n\
             if environment :contains \"vnd.unknown\" \"\" { fileinto \"Unknown\"; }",
            Ok(&["fileinto MDA", "fileinto 192.0.2.1", "fileinto Name"]),
        ),
        // RFC 5235
        case(
            "spamtest and virustest untested are 0",
            "require [\"spamtest\", \"virustest\", \"relational\", \"comparator-i;ascii-numeric\", \"fileinto\"];\n\
             if spamtest :value \"eq\" :comparator \"i;ascii-numeric\" \"0\" { fileinto \"SpamUntested\"; }\n\
             if virustest :value \"eq\" :comparator \"i;ascii-numeric\" \"0\" { fileinto \"VirusUntested\"; }",
            Ok(&["fileinto SpamUntested", "fileinto VirusUntested"]),
        ),
        case(
            "spamtest scores from the pipeline",
            "require [\"spamtestplus\", \"virustest\", \"relational\", \"comparator-i;ascii-numeric\", \"fileinto\"];\n\
             if spamtest :value \"ge\" :comparator \"i;ascii-numeric\" \"8\" { fileinto \"Spam\"; }\n\
             if spamtest :percent :value \"gt\" :comparator \"i;ascii-numeric\" \"90\" { fileinto \"Percent\"; }\n\
             if virustest :value \"ge\" :comparator \"i;ascii-numeric\" \"4\" { fileinto \"Virus\"; }",
            Ok(&["fileinto Spam", "fileinto Percent"]),
        )
        .with_scores(Scores {
            spam: Some(9),
            spam_percent: Some(95),
            virus: Some(1),
        }),
        // RFC 5490, RFC 8579
        case(
            "fileinto :create, mailboxexists",
            "require [\"fileinto\", \"mailbox\"];\n\
             if mailboxexists [\"Work\", \"INBOX\"] { fileinto :create \"Work/Archive\"; }\n\
             if mailboxexists [\"Work\", \"Nope\"] { fileinto \"Never\"; }",
            Ok(&["fileinto Work/Archive :create"]),
        ),
        case(
            "special-use",
            "require [\"fileinto\", \"special-use\"];\n\
             if specialuse_exists \"\\\\Junk\" { fileinto :specialuse \"\\\\Junk\" \"Junk\"; }\n\
             if specialuse_exists \"Spam\" \"\\\\Junk\" { fileinto \"Exact\"; }\n\
             if specialuse_exists \"Work\" \"\\\\Junk\" { fileinto \"Wrong\"; }\n\
             if specialuse_exists [\"\\\\Junk\", \"\\\\Archive\"] { fileinto \"Never\"; }",
            Ok(&["fileinto Junk :specialuse \\Junk", "fileinto Exact"]),
        ),
        // RFC 5463
        case(
            "ihave and error",
            "require [\"ihave\", \"fileinto\"];\n\
             if ihave \"fileinto\" { fileinto \"Have\"; }\n\
             if ihave \"vnd.unknown.thing\" { vnd_unknown_command; } else { fileinto \"HaveNot\"; }",
            Ok(&["fileinto Have", "fileinto HaveNot"]),
        ),
        case(
            "error ends the run with its message",
            "require [\"ihave\", \"variables\"]; set \"why\" \"bad day\"; error \"giving up: ${why}\";",
            Err("giving up: bad day"),
        ),
    ]
}

impl Case {
    fn with_message(mut self, message: &'static str) -> Case {
        self.message = message;
        self
    }

    fn with_envelope(mut self, from: &'static str, to: &'static str) -> Case {
        self.from = from;
        self.to = to;
        self
    }

    fn with_limits(mut self, limits: Limits) -> Case {
        self.limits = limits;
        self
    }

    fn with_scores(mut self, scores: Scores) -> Case {
        self.scores = scores;
        self
    }
}

// ---------------------------------------------------------------------------------------------
// What the table does not show: the edited header, duplicate marks, error positions.

fn run_script(source: &str, message: &str) -> Result<Outcome, RuntimeError> {
    let mut c = case("adhoc", "", Ok(KEEP)).with_message("");
    c.script = Box::leak(source.to_string().into_boxed_str());
    c.message = Box::leak(message.to_string().into_boxed_str());
    run_case(&c)
}

#[test]
fn edited_header_is_the_new_header_section() {
    let outcome = run_script(
        "require \"editheader\";\n\
         addheader \"X-First\" \"top\";\n\
         addheader :last \"X-Last\" \"Grüße\";\n\
         deleteheader :contains \"subject\" \"hello\";",
        "From: a@example.com\r\nSubject: Hello\r\n world\r\nTo: b@example.org\r\n\r\nbody\r\n",
    )
    .unwrap();
    let header = String::from_utf8(outcome.edited_header.unwrap()).unwrap();
    assert_eq!(
        header,
        "X-First: top\r\nFrom: a@example.com\r\nTo: b@example.org\r\nX-Last: =?UTF-8?B?R3LDvMOfZQ==?=\r\n\r\n"
    );
    let untouched = run_script("keep;", BASIC).unwrap();
    assert_eq!(untouched.edited_header, None);
}

#[test]
fn duplicate_marks_are_recorded_for_new_ids_and_with_last() {
    let outcome = run_script(
        "require \"duplicate\";\n\
         if duplicate :seconds 60 { }\n\
         if duplicate :handle \"news\" :uniqueid \"known-id\" { }\n\
         if duplicate :handle \"news\" :uniqueid \"known-id\" :last { }",
        BASIC,
    )
    .unwrap();
    let marks: Vec<(String, String, u64)> = outcome
        .duplicates
        .iter()
        .map(|m| (m.handle.clone(), m.id.clone(), m.seconds))
        .collect();
    assert_eq!(
        marks,
        [
            (String::new(), "<basic-1@example.com>".to_string(), 60),
            ("news".to_string(), "known-id".to_string(), 604_800),
        ]
    );
}

#[test]
fn errors_name_script_line_and_column() {
    let err = run_script(
        "require [\"reject\", \"fileinto\"];\n\
         fileinto \"Work\";\n\
         if true {\n    reject \"no\";\n}",
        BASIC,
    )
    .unwrap_err();
    assert_eq!((err.script.as_str(), err.line, err.column), ("adhoc", 4, 5));
    assert!(
        err.to_string().starts_with("adhoc:4:5: reject conflicts"),
        "{err}"
    );
}

/// RFC 5228 §9's example script, on three messages.
#[test]
fn rfc5228_example_script() {
    const SCRIPT: &str = r#"
#
# Example Sieve Filter
# Declare any optional features or extension used by the script
#
require ["fileinto"];

#
# Handle messages from known mailing lists
# Move messages from IETF filter discussion list to filter mailbox
#
if header :is "Sender" "owner-ietf-mta-filters@imc.org"
        {
        fileinto "filter";  # move to "filter" mailbox
        }
#
# Keep all messages to or from people in my company
#
elsif address :DOMAIN :is ["From", "To"] "example.com"
        {
        keep;               # keep in "In" mailbox
        }

#
# Try and catch unsolicited email.  If a message is not to me,
# or it contains a subject known to be spam, file it away.
#
elsif anyof (NOT address :all :contains
               ["To", "Cc", "Bcc"] "me@example.com",
             header :matches "subject"
               ["*make*money*fast*", "*university*dipl*mas*"])
        {
        fileinto "spam";   # move to "spam" mailbox
        }
else
        {
        # Move all other (non-company) mail to "personal"
        # mailbox.
        fileinto "personal";
        }
"#;
    let cases = [
        (
            "Sender: owner-ietf-mta-filters@imc.org\r\nTo: me@example.com\r\n\r\nx\r\n",
            "fileinto filter",
        ),
        (
            "From: boss@example.com\r\nTo: me@example.com\r\n\r\nx\r\n",
            "keep",
        ),
        (
            "From: x@example.net\r\nTo: y@example.net\r\nCc: me@example.com\r\nSubject: Make Money Fast\r\n\r\nx\r\n",
            "fileinto spam",
        ),
        (
            "From: x@example.net\r\nTo: someone@example.net\r\n\r\nx\r\n",
            "fileinto spam",
        ),
        (
            "From: x@example.net\r\nCc: me@example.com\r\n\r\nx\r\n",
            "fileinto personal",
        ),
    ];
    for (message, expected) in cases {
        let outcome = run_script(SCRIPT, message).unwrap();
        let rendered: Vec<String> = outcome.actions.iter().map(render).collect();
        assert_eq!(rendered, [expected], "{message:?}");
    }
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    const EVERYTHING: &str = r#"require ["fileinto", "body", "mime", "foreverypart", "extracttext", "variables",
  "date", "index", "relational", "regex", "editheader", "imap4flags", "vacation", "subaddress", "envelope",
  "duplicate", "comparator-i;ascii-numeric"];
foreverypart { extracttext :first 20 "t"; if header :mime :anychild :param "charset" "content-type" "*" { addflag "x"; } }
if body :text :contains "a" { fileinto "A"; }
if body :content "multipart" :contains "" { fileinto "M"; }
if address :detail :matches ["from", "to", "cc"] "*" { set "d" "${1}"; }
if header :regex "subject" "^(.*)$" { addheader "X-S" "${1}"; }
if date :value "ge" :originalzone "date" "date" "2000-01-01" { fileinto "New"; }
if duplicate { fileinto "Dup"; }
deleteheader :index 1 :last "received";
vacation "away";
"#;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn on_arbitrary_messages(message in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let script = compile("everything", EVERYTHING, &Limits::default()).unwrap();
            let envelope = Envelope::default();
            let env = EnvironmentInfo::default();
            let input = RunInput {
                message: &message,
                envelope: &envelope,
                environment: &env,
                scores: Scores::default(),
            };
            let _ = run(&script, &input, &World::default(), &Limits::default());
        }

        #[test]
        fn on_mime_shaped_messages(
            boundary in "[a-z]{1,8}",
            parts in proptest::collection::vec(("[a-z/]{0,20}", "[ -~]{0,80}"), 0..6),
            tail in "[ -~\r\n]{0,100}",
        ) {
            let mut message = format!(
                "From: a+b@example.com\r\nTo: c@d.e, g: h@i.j;\r\nSubject: s\r\nDate: Mon, 1 Jan 2001 00:00:00 +0000\r\nContent-Type: multipart/mixed; boundary={boundary}\r\n\r\n"
            );
            for (kind, body) in &parts {
                message.push_str(&format!("--{boundary}\r\nContent-Type: {kind}\r\n\r\n{body}\r\n"));
            }
            message.push_str(&tail);
            let script = compile("everything", EVERYTHING, &Limits::default()).unwrap();
            let envelope = Envelope { from: "a@b.c".into(), to: "c@d.e".into(), user_addresses: vec![] };
            let env = EnvironmentInfo::default();
            let input = RunInput {
                message: message.as_bytes(),
                envelope: &envelope,
                environment: &env,
                scores: Scores::default(),
            };
            prop_assert!(run(&script, &input, &World::default(), &Limits::default()).is_ok());
        }
    }
}
