//! Differential test against Pigeonhole's `sieve-test` (Debian `dovecot-sieve`), the reference
//! Sieve implementation: for every (script, message, envelope) of the table, both engines run
//! and their action lists must be the same. The deliberate differences recorded in
//! `docs/sieve.md` are checked too: each names what Pigeonhole does and what Malt does.
//!
//! How both are run and their actions compared is in `common/pigeonhole.rs`; the test fails
//! when `sieve-test` is missing (`.ci/run` installs `dovecot-sieve`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "common/pigeonhole.rs"]
mod pigeonhole;

use pigeonhole::{AUTO, ENCODED, LIST, MESSAGES, MULTIPART, Oracle, PLAIN, malt};

// ---------------------------------------------------------------------------------------------
// Scripts: each runs on every message.

const SCRIPTS: &[&str] = &[
    // RFC 5228 core
    "",
    "keep;",
    "discard;",
    "stop; discard;",
    "redirect \"carol@example.net\";",
    "redirect \"carol@example.net\"; redirect \"carol@example.net\";",
    "require \"fileinto\"; fileinto \"Work\"; fileinto \"Work\"; keep;",
    "require \"fileinto\"; fileinto \"INBOX\"; keep;",
    "require [\"fileinto\", \"copy\"]; fileinto :copy \"Work\"; redirect :copy \"carol@example.net\";",
    "require \"fileinto\"; if header :contains \"subject\" \"money\" { fileinto \"Spam\"; } elsif exists \"list-id\" { fileinto \"Lists\"; } else { keep; }",
    "require \"fileinto\"; if header :is \"subject\" \"parts\" { fileinto \"Is\"; } if header :matches \"subject\" \"*e?lo*\" { fileinto \"Matches\"; } if header :is :comparator \"i;octet\" \"subject\" \"PARTS\" { fileinto \"Octet\"; }",
    "require \"fileinto\"; if anyof(header :contains \"from\" \"alice\", size :over 2K) { fileinto \"A\"; } if allof(exists \"to\", not exists \"cc\") { fileinto \"B\"; }",
    "require \"fileinto\"; if size :over 500 { fileinto \"Big\"; } if size :under 300 { fileinto \"Small\"; }",
    "require \"fileinto\"; if address :domain :is [\"to\", \"cc\"] \"example.net\" { fileinto \"Net\"; } if address :localpart :is \"from\" \"alice\" { fileinto \"Alice\"; }",
    "require \"fileinto\"; if address :all :contains \"cc\" \"dave\" { fileinto \"Dave\"; } if address :is \"from\" \"joerg@example.de\" { fileinto \"Joerg\"; }",
    "require [\"envelope\", \"fileinto\"]; if envelope :is \"from\" \"alice@example.com\" { fileinto \"EnvFrom\"; } if envelope :domain :is \"to\" \"example.org\" { fileinto \"EnvTo\"; }",
    "require [\"fileinto\", \"comparator-i;ascii-numeric\"]; if header :is :comparator \"i;ascii-numeric\" \"x-priority\" \"3\" { fileinto \"Prio\"; }",
    "require \"fileinto\"; if header :contains \"subject\" \"Grüße\" { fileinto \"Umlaut\"; } if header :contains \"from\" \"Müller\" { fileinto \"Mueller\"; }",
    // variables
    "require [\"fileinto\", \"variables\"]; if header :matches \"subject\" \"*: *\" { fileinto \"${1}\"; fileinto \"${2}\"; }",
    "require [\"fileinto\", \"variables\"]; if header :matches \"subject\" \"[*] *\" { set :upperfirst \"l\" \"${1}\"; fileinto \"list-${l}\"; }",
    "require [\"fileinto\", \"variables\"]; set :lower :upperfirst \"x\" \"heLLo\"; set :length \"n\" \"${x}\"; fileinto \"${x}-${n}\";",
    "require [\"fileinto\", \"variables\"]; if address :matches \"from\" \"*@*\" { fileinto \"from-${2}\"; }",
    "require [\"fileinto\", \"variables\"]; set \"a\" \"x\"; if string :is \"${a}\" \"x\" { fileinto \"Str\"; } if string :contains [\"abc\", \"\"] \"b\" { fileinto \"Str2\"; }",
    // relational
    "require [\"fileinto\", \"relational\", \"comparator-i;ascii-numeric\"]; if header :value \"gt\" :comparator \"i;ascii-numeric\" \"x-spam-score\" \"10\" { fileinto \"Score\"; } if header :count \"ge\" :comparator \"i;ascii-numeric\" \"received\" \"2\" { fileinto \"TwoHops\"; }",
    "require [\"fileinto\", \"relational\", \"comparator-i;ascii-numeric\"]; if address :count \"eq\" :comparator \"i;ascii-numeric\" [\"to\", \"cc\"] \"4\" { fileinto \"Four\"; } if header :count \"eq\" :comparator \"i;ascii-numeric\" \"x-tag\" \"3\" { fileinto \"Tags\"; }",
    "require [\"fileinto\", \"relational\"]; if header :value \"lt\" \"from\" \"m\" { fileinto \"Early\"; } if header :value \"ge\" \"from\" \"m\" { fileinto \"Late\"; }",
    // subaddress
    "require [\"fileinto\", \"subaddress\"]; if address :user \"cc\" \"dave\" { fileinto \"User\"; } if address :detail \"cc\" \"sieve\" { fileinto \"Detail\"; }",
    // imap4flags
    "require \"imap4flags\"; addflag \"\\\\Seen\"; addflag [\"$Work\", \"\\\\Flagged\"]; removeflag \"\\\\seen\";",
    "require [\"imap4flags\", \"fileinto\"]; setflag \"\\\\Seen\"; fileinto :flags \"\\\\Flagged\" \"Work\"; fileinto \"Other\";",
    "require [\"imap4flags\", \"variables\", \"fileinto\"]; setflag \"v\" \"a b\"; addflag \"v\" \"c\"; if hasflag :is \"v\" \"b\" { fileinto \"HasB\"; } if hasflag :contains \"v\" \"z\" { fileinto \"HasZ\"; }",
    // reject
    "require \"reject\"; reject \"Not wanted\";",
    "require [\"reject\", \"fileinto\"]; fileinto \"Work\"; reject \"no\";",
    "require \"reject\"; reject \"no\"; keep;",
    "require \"reject\"; reject \"no\"; discard;",
    // vacation
    "require \"vacation\"; vacation \"I am away\";",
    "require \"vacation\"; vacation :days 3 :subject \"Away\" \"I am away\";",
    "require [\"vacation\", \"vacation-seconds\"]; vacation :seconds 7200 :from \"bob@example.org\" :mime :handle \"h1\" \"away\";",
    "require \"vacation\"; vacation :addresses [\"dev@lists.example.com\", \"robot@example.com\"] \"away\";",
    // body
    "require [\"body\", \"fileinto\"]; if body :contains \"slides\" { fileinto \"Slides\"; } if body :text :contains \"bold\" { fileinto \"Bold\"; }",
    "require [\"body\", \"fileinto\"]; if body :raw :contains \"aGVsbG8\" { fileinto \"Raw\"; } if body :content \"text/html\" :contains \"<b>\" { fileinto \"Html\"; }",
    "require [\"body\", \"fileinto\"]; if body :content \"multipart\" :contains \"prologue\" { fileinto \"Pro\"; } if body :content \"application\" :contains \"binary\" { fileinto \"Bin\"; }",
    "require [\"body\", \"fileinto\"]; if body :text :contains \"Grüße\" { fileinto \"QP\"; } if body :matches \"*42*\" { fileinto \"Num\"; }",
    // mime, foreverypart
    "require [\"foreverypart\", \"mime\", \"variables\", \"fileinto\"]; set \"n\" \"\"; foreverypart { set \"n\" \"${n}x\"; if header :mime :contenttype :matches \"content-type\" \"*\" { fileinto \"${n}-${0}\"; } }",
    "require [\"mime\", \"fileinto\"]; if header :mime :anychild :param \"filename\" \"content-disposition\" \"report.pdf\" { fileinto \"Attach\"; } if header :mime :type \"content-type\" \"multipart\" { fileinto \"Multi\"; }",
    "require [\"foreverypart\", \"mime\", \"fileinto\"]; foreverypart { if header :mime :type \"content-type\" \"text\" { fileinto \"FirstText\"; break; } }",
    "require [\"foreverypart\", \"mime\", \"extracttext\", \"variables\", \"fileinto\"]; foreverypart { if header :mime :type \"content-type\" \"text\" { extracttext :first 3 \"t\"; fileinto \"[${t}]\"; } }",
    "require [\"foreverypart\", \"mime\", \"variables\", \"fileinto\"]; set \"n\" \"\"; foreverypart :name \"outer\" { set \"n\" \"${n}o\"; foreverypart { set \"n\" \"${n}i\"; if header :mime :subtype \"content-type\" \"html\" { break :name \"outer\"; } } } fileinto \"n-${n}\";",
    "require [\"mime\", \"fileinto\"]; if exists :mime :anychild \"content-transfer-encoding\" { fileinto \"Cte\"; } if header :mime :param \"charset\" \"content-type\" \"utf-8\" { fileinto \"Utf8\"; }",
    // date, index
    "require [\"date\", \"variables\", \"fileinto\"]; if date :zone \"+0000\" :matches \"date\" \"iso8601\" \"*\" { fileinto \"${0}\"; } if date :originalzone :matches \"date\" \"std11\" \"*\" { fileinto \"${0}\"; }",
    "require [\"date\", \"variables\", \"fileinto\"]; if date :zone \"-0330\" :matches \"date\" \"date\" \"*\" { fileinto \"d-${0}\"; } if date :zone \"+0100\" :matches \"date\" \"time\" \"*\" { fileinto \"t-${0}\"; }",
    "require [\"date\", \"variables\", \"fileinto\"]; if date :zone \"+0000\" :matches \"date\" \"julian\" \"*\" { fileinto \"j-${0}\"; } if date :zone \"+0000\" :matches \"date\" \"weekday\" \"*\" { fileinto \"w-${0}\"; } if date :zone \"+0000\" :matches \"date\" \"zone\" \"*\" { fileinto \"z-${0}\"; }",
    "require [\"date\", \"index\", \"variables\", \"fileinto\", \"relational\"]; if date :index 1 :originalzone :matches \"received\" \"time\" \"*\" { fileinto \"r-${0}\"; } if date :value \"ge\" :originalzone \"date\" \"date\" \"2010-01-01\" { fileinto \"Recent\"; }",
    "require [\"index\", \"fileinto\"]; if header :index 2 :is \"x-tag\" \"b\" { fileinto \"Second\"; } if header :index 1 :last :is \"x-tag\" \"c\" { fileinto \"Last\"; } if address :index 1 :is \"to\" \"carol@example.net\" { fileinto \"Field\"; }",
    // regex
    "require [\"regex\", \"variables\", \"fileinto\"]; if header :regex \"subject\" \"^(hello|parts)\" { fileinto \"R-${1}\"; }",
    "require [\"regex\", \"fileinto\"]; if address :regex :domain \"from\" \"example\\\\.(com|de)$\" { fileinto \"Dom\"; }",
    // editheader
    "require [\"editheader\", \"fileinto\"]; addheader \"X-Filtered\" \"yes\"; if header :is \"x-filtered\" \"yes\" { fileinto \"Added\"; }",
    "require [\"editheader\", \"fileinto\", \"relational\", \"comparator-i;ascii-numeric\"]; deleteheader :index 1 \"x-tag\"; if header :count \"eq\" :comparator \"i;ascii-numeric\" \"x-tag\" \"2\" { fileinto \"Two\"; }",
    "require [\"editheader\", \"fileinto\"]; deleteheader :contains \"x-tag\" \"b\"; if header :is \"x-tag\" \"b\" { fileinto \"StillB\"; } if header :is \"x-tag\" \"c\" { fileinto \"HasC\"; }",
    "require [\"editheader\", \"fileinto\"]; deleteheader \"received\"; if exists \"received\" { fileinto \"Protected\"; }",
    // enotify
    "require \"enotify\"; notify :importance \"1\" :message \"New mail\" \"mailto:ops@example.org\";",
    "require [\"enotify\", \"fileinto\"]; if valid_notify_method \"mailto:a@example.org\" { fileinto \"Valid\"; } if notify_method_capability \"mailto:a@example.org\" \"online\" \"maybe\" { fileinto \"Maybe\"; }",
    // duplicate, environment, spamtest, ihave, include-free errors
    "require [\"environment\", \"fileinto\"]; if environment :is \"location\" \"MDA\" { fileinto \"MDA\"; } if environment :is \"phase\" \"during\" { fileinto \"During\"; }",
    "require [\"spamtest\", \"virustest\", \"relational\", \"comparator-i;ascii-numeric\", \"fileinto\"]; if spamtest :value \"eq\" :comparator \"i;ascii-numeric\" \"0\" { fileinto \"NoSpamScore\"; } if virustest :value \"eq\" :comparator \"i;ascii-numeric\" \"0\" { fileinto \"NoVirusScore\"; }",
    "require [\"ihave\", \"fileinto\"]; if ihave \"fileinto\" { fileinto \"Have\"; } if ihave \"x-nonexistent\" { fileinto \"HaveNot\"; }",
    "require \"ihave\"; error \"stop here\";",
    // limits and conflicts Pigeonhole shares by default (4 redirects, reject vs vacation)
    "redirect \"a@example.net\"; redirect \"b@example.net\"; redirect \"c@example.net\"; redirect \"d@example.net\"; redirect \"e@example.net\";",
    "require [\"vacation\", \"reject\"]; vacation \"away\"; reject \"no\";",
    "discard; keep;",
    "require \"imap4flags\"; addflag \"\\\\Recent foo \\\\Answered\";",
    "require [\"imap4flags\", \"variables\", \"fileinto\"]; set \"f\" \"\\\\Answered x\"; fileinto :flags \"${f}\" \"A\"; keep :flags \"\";",
    "require [\"fileinto\", \"copy\"]; redirect :copy \"carol@example.net\"; fileinto \"Work\";",
    // :matches with i;octet/i;ascii-casemap: ? is one octet (RFC 5228 §2.7.1), found by
    // differential_generated.rs
    "require [\"fileinto\", \"variables\"]; if header :matches \"subject\" \"*Gr?\u{df}e*\" { fileinto \"OneChar\"; } if header :matches \"subject\" \"*Gr??\u{df}e*K??ln\" { fileinto \"Octets\"; } if header :matches \"subject\" \"*K??ln\" { fileinto \"k-${1}\"; }",
    // hasflag keys are flag lists (RFC 5232 §4), found by differential_generated.rs
    "require [\"imap4flags\", \"fileinto\"]; setflag \"A B\"; if hasflag :is \"b A\" { fileinto \"Split\"; } if hasflag :contains \"\" { fileinto \"Empty\"; } if hasflag :contains [\"x\", \"junk b\"] { fileinto \"Contains\"; }",
];

// ---------------------------------------------------------------------------------------------
// The deliberate differences (docs/sieve.md): (script, message, Pigeonhole's actions, Malt's).

struct Difference {
    what: &'static str,
    script: &'static str,
    message: &'static str,
    pigeonhole: &'static [&'static str],
    malt: &'static [&'static str],
}

const DIFFERENCES: &[Difference] = &[
    Difference {
        what: "a key starting ?<text>* matches whatever the text in Pigeonhole (RFC 5228 §2.7.1: ? is one character)",
        script: "require \"fileinto\"; if header :matches \"subject\" \"?ZZ*\" { fileinto \"Wrong\"; } if header :matches \"subject\" \"?ello*\" { fileinto \"Right\"; }",
        message: PLAIN,
        pigeonhole: &["store Right", "store Wrong"],
        malt: &["store Right"],
    },
    Difference {
        what: "*?* does not match a one-character value in Pigeonhole (RFC 5228 §2.7.1: * may match nothing)",
        script: "require \"fileinto\"; if header :matches \"x-tag\" \"*?*\" { fileinto \"One\"; } if header :matches \"subject\" \"*?*\" { fileinto \"Long\"; }",
        message: PLAIN,
        pigeonhole: &["store Long"],
        malt: &["store Long", "store One"],
    },
    Difference {
        what: "i;ascii-numeric :is: an empty value equals a key without digits (RFC 4790 §9.1, both infinity); not in Pigeonhole",
        script: "require [\"fileinto\", \"variables\", \"comparator-i;ascii-numeric\", \"relational\"]; if string :is :comparator \"i;ascii-numeric\" \"\" \"b\" { fileinto \"Is\"; } if string :value \"eq\" :comparator \"i;ascii-numeric\" \"\" \"b\" { fileinto \"Value\"; }",
        message: PLAIN,
        pigeonhole: &["store Value"],
        malt: &["store Is", "store Value"],
    },
    Difference {
        what: "the string test's default comparator is i;ascii-casemap (RFC 5228 §2.7.3); Pigeonhole's is i;octet",
        script: "require [\"fileinto\", \"variables\"]; if string :contains \"bob\" \"boB\" { fileinto \"Found\"; }",
        message: PLAIN,
        pigeonhole: &["store INBOX"],
        malt: &["store Found"],
    },
    Difference {
        what: ":count with :index counts the field picked (RFC 5260 §6); Pigeonhole counts 0 when it is the last",
        script: "require [\"fileinto\", \"index\", \"relational\", \"comparator-i;ascii-numeric\"]; if header :count \"eq\" :index 1 :comparator \"i;ascii-numeric\" \"x-priority\" \"1\" { fileinto \"One\"; } if header :count \"eq\" :index 3 :comparator \"i;ascii-numeric\" \"x-tag\" \"1\" { fileinto \"Third\"; }",
        message: PLAIN,
        pigeonhole: &["store INBOX"],
        malt: &["store One", "store Third"],
    },
    Difference {
        what: "allof/anyof evaluate their tests in order (RFC 5228 §5.2-5.3): a :matches before a constant false still sets ${1}; Pigeonhole skips it",
        script: "require [\"fileinto\", \"variables\"]; if allof(header :matches \"from\" \"*\", false) { discard; } fileinto \"a-${1}\";",
        message: AUTO,
        pigeonhole: &["store a-"],
        malt: &["store a-robot@example.com"],
    },
    Difference {
        what: "the case modifiers of set convert every letter (RFC 5229 §4.1); Pigeonhole only ASCII ones",
        script: "require [\"fileinto\", \"variables\"]; set :upper \"v\" \"M\u{fc}ller\"; fileinto \"${v}\";",
        message: PLAIN,
        pigeonhole: &["store M\u{fc}LLER"],
        malt: &["store M\u{dc}LLER"],
    },
    Difference {
        what: "an action without :copy after the same one with :copy cancels the implicit keep (RFC 5228 §2.10.2, RFC 3894 §3)",
        script: "require [\"fileinto\", \"copy\"]; fileinto :copy \"Work\"; fileinto \"Work\"; redirect :copy \"carol@example.net\"; redirect \"carol@example.net\";",
        message: PLAIN,
        pigeonhole: &["redirect carol@example.net", "store INBOX", "store Work"],
        malt: &["redirect carol@example.net", "store Work"],
    },
    Difference {
        what: "fileinto of an empty mailbox name is a run-time error in Malt; Pigeonhole reports a store into \"\"",
        script: "require [\"fileinto\", \"variables\"]; set \"box\" \"\"; redirect \"carol@example.net\"; fileinto \"${box}\";",
        message: PLAIN,
        pigeonhole: &["redirect carol@example.net", "store "],
        malt: &["ERROR"],
    },
    Difference {
        what: ":index with several header names: Pigeonhole counts their fields together, Malt each name's own",
        script: "require [\"index\", \"fileinto\"]; if header :index 2 :contains [\"sender\", \"from\"] \"Dev List\" { fileinto \"Second\"; }",
        message: LIST,
        pigeonhole: &["store Second"],
        malt: &["store INBOX"],
    },
    Difference {
        what: "address :count with :detail: Pigeonhole counts the addresses without a detail, Malt does not",
        script: "require [\"fileinto\", \"relational\", \"subaddress\", \"comparator-i;ascii-numeric\"]; if address :count \"eq\" :detail :comparator \"i;ascii-numeric\" [\"from\", \"to\"] \"0\" { fileinto \"None\"; }",
        message: PLAIN,
        pigeonhole: &["store INBOX"],
        malt: &["store None"],
    },
    Difference {
        what: "i;ascii-casemap orders after mapping to upper case (RFC 4790 §9.2); Pigeonhole maps to lower case",
        script: "require [\"fileinto\", \"relational\"]; if header :value \"lt\" \"subject\" \"m\" { fileinto \"Before\"; }",
        message: LIST,
        pigeonhole: &["store Before"],
        malt: &["store INBOX"],
    },
    Difference {
        what: "extracttext :first counts characters (RFC 5703 §7); Pigeonhole counts octets",
        script: "require [\"foreverypart\", \"mime\", \"extracttext\", \"variables\", \"fileinto\"]; foreverypart { if header :mime :type \"content-type\" \"text\" { extracttext :first 5 \"t\"; fileinto \"[${t}]\"; } }",
        message: ENCODED,
        pigeonhole: &["store [Sch\u{f6}]"],
        malt: &["store [Sch\u{f6}n]"],
    },
    Difference {
        what: "date reads every occurrence and honours :index (RFC 5260 §6); Pigeonhole reads the first only",
        script: "require [\"date\", \"index\", \"fileinto\"]; if date :originalzone :is \"received\" \"time\" \"10:52:38\" { fileinto \"Second\"; } if date :index 2 :originalzone :is \"received\" \"time\" \"10:52:38\" { fileinto \"Index\"; }",
        message: PLAIN,
        pigeonhole: &["store INBOX"],
        malt: &["store Index", "store Second"],
    },
    Difference {
        what: "fileinto of one mailbox twice: Malt stores the union of the flags, Pigeonhole the last",
        script: "require [\"imap4flags\", \"fileinto\"]; fileinto :flags \"a\" \"Work\"; fileinto :flags \"b\" \"Work\";",
        message: PLAIN,
        pigeonhole: &["store Work [b]"],
        malt: &["store Work [a b]"],
    },
    Difference {
        what: "an empty group holds no address (RFC 5322 §3.4); Pigeonhole sees the whole value",
        script: "require [\"fileinto\", \"relational\", \"comparator-i;ascii-numeric\"]; if address :count \"eq\" :comparator \"i;ascii-numeric\" \"to\" \"0\" { fileinto \"None\"; }",
        message: "From: a@example.com\r\nTo: undisclosed-recipients:;\r\n\r\nx\r\n",
        pigeonhole: &["store INBOX"],
        malt: &["store None"],
    },
    Difference {
        what: "an entry that is not an address is one more value for :all; Pigeonhole drops it",
        script: "require [\"fileinto\", \"relational\", \"comparator-i;ascii-numeric\"]; if address :count \"eq\" :comparator \"i;ascii-numeric\" \"to\" \"3\" { fileinto \"Three\"; } if address :all :is \"to\" \"not an address\" { fileinto \"Raw\"; }",
        message: "From: a@example.com\r\nTo: b@example.net, not an address, c@example.net\r\n\r\nx\r\n",
        pigeonhole: &["store INBOX"],
        malt: &["store Raw", "store Three"],
    },
    Difference {
        what: "extracttext of a part that is not text is empty; Pigeonhole gives its decoded bytes",
        script: "require [\"foreverypart\", \"mime\", \"extracttext\", \"variables\", \"fileinto\"]; foreverypart { if header :mime :type \"content-type\" \"application\" { extracttext \"t\"; fileinto \"[${t}]\"; } }",
        message: MULTIPART,
        pigeonhole: &["store [hello binary]"],
        malt: &["store []"],
    },
];

#[test]
fn malt_and_pigeonhole_take_the_same_actions() {
    let oracle = Oracle::new();
    let mut failures = Vec::new();
    let mut runs = 0;
    for (i, script) in SCRIPTS.iter().enumerate() {
        for (j, (name, message)) in MESSAGES.iter().enumerate() {
            let pigeonhole = oracle
                .run(i * MESSAGES.len() + j, script, message)
                .unwrap_or_else(|e| panic!("Pigeonhole does not compile the script:\n{script}\n{e}"));
            let ours = malt(script, message)
                .unwrap_or_else(|e| panic!("Malt does not compile the script:\n{script}\n{e}"));
            runs += 1;
            if pigeonhole != ours {
                failures.push(format!(
                    "script #{i} on {name}:\n  {script}\n  pigeonhole: {pigeonhole:?}\n  malt:       {ours:?}"
                ));
            }
        }
    }
    assert!(runs >= 365, "the table shrank: {runs} runs");
    assert!(
        failures.is_empty(),
        "{} of {runs} runs differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_recorded_differences_hold() {
    let oracle = Oracle::new();
    for (i, difference) in DIFFERENCES.iter().enumerate() {
        let pigeonhole = oracle
            .run(10_000 + i, difference.script, difference.message)
            .unwrap();
        let ours = malt(difference.script, difference.message).unwrap();
        assert_eq!(
            pigeonhole, difference.pigeonhole,
            "Pigeonhole, {}",
            difference.what
        );
        assert_eq!(ours, difference.malt, "Malt, {}", difference.what);
    }
}
