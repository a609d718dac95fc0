//! Table-driven tests of `compile`: valid scripts of every command, test and extension compile
//! (to the expected IR for a representative subset), and invalid scripts fail with the expected
//! message at the expected line and column.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

use malt_sieve::ir::{
    AddressPart, BodyTransform, Command, CommandKind, Comparator, DuplicateSource, Extension, FlagOp, Index,
    MatchSpec, MatchType, MimeOption, MimeOpts, Modifier, Notify, Position, RelOp, ScriptLocation, Str,
    StrPart, Test, Vacation, Zone,
};
use malt_sieve::limits::Limits;
use malt_sieve::{CompileErrors, capabilities, compile};

fn compiled(source: &str) -> Vec<Command> {
    match compile("test", source, &Limits::default()) {
        Ok(script) => script.commands,
        Err(errors) => panic!("does not compile:\n{source}\n{errors}"),
    }
}

fn errors(source: &str) -> CompileErrors {
    match compile("test", source, &Limits::default()) {
        Ok(script) => panic!("compiles but should not:\n{source}\n{:?}", script.commands),
        Err(errors) => errors,
    }
}

/// The kind of the only command of a script after its `require`.
fn command(source: &str) -> CommandKind {
    let mut commands = compiled(source);
    assert_eq!(commands.len(), 1, "{source}");
    commands.remove(0).kind
}

/// The test of a script of the form `require ...; if TEST {}`.
fn test(source: &str) -> Test {
    match command(source) {
        CommandKind::If { mut branches, .. } => branches.remove(0).0,
        other => panic!("if expected, got {other:?}"),
    }
}

fn lit(s: &str) -> Str {
    Str::Literal(s.to_owned())
}

fn lits(items: &[&str]) -> Vec<Str> {
    items.iter().map(|s| lit(s)).collect()
}

fn spec(comparator: Comparator, match_type: MatchType) -> MatchSpec {
    MatchSpec {
        comparator,
        match_type,
    }
}

/// One script per command, test, tag and extension.
const VALID: &[&str] = &[
    // RFC 5228 core.
    "keep;",
    "discard;",
    "stop;",
    "redirect \"alice@example.org\";",
    "redirect \"Alice <alice@example.org>\";",
    "if true { keep; } elsif false { discard; } else { stop; }",
    "if allof (true, not false) {} if anyof (false, true) {}",
    "if address :all :is \"from\" \"a@example.org\" {}",
    "if address :localpart :contains [\"to\", \"cc\"] \"a\" {}",
    "if address :domain :matches \"X-Original-To\" \"*.org\" {}",
    "if header :comparator \"i;octet\" :is \"subject\" \"\" {}",
    "if header :comparator \"i;ascii-casemap\" :matches [\"subject\", \"x\"] [\"?\", \"*\"] {}",
    "if exists [\"from\", \"date\"] {}",
    "if size :over 1M {} if size :under 0 {}",
    "require [\"comparator-i;octet\", \"comparator-i;ascii-casemap\"]; if header :comparator \"i;octet\" \"a\" \"b\" {}",
    "IF TRUE { KEEP; }",
    "# comment\r\n/* bracket\r\n comment */ keep; # end",
    // RFC 5228 §2.4.2.4
    "require \"encoded-character\"; redirect \"${hex:61}@example.org\";",
    // fileinto, copy, mailbox, imap4flags, special-use
    "require \"fileinto\"; fileinto \"INBOX.x\";",
    "require [\"fileinto\", \"copy\", \"mailbox\", \"imap4flags\", \"special-use\"]; fileinto :copy :create :flags [\"\\\\Seen\"] :specialuse \"\\\\Archive\" \"Archive\";",
    "require \"copy\"; redirect :copy \"a@example.org\";",
    "require \"mailbox\"; if mailboxexists [\"a\", \"b\"] {}",
    "require \"special-use\"; if specialuse_exists \"\\\\Junk\" {} if specialuse_exists \"Spam\" \"\\\\Junk\" {}",
    // reject, ereject
    "require \"reject\"; reject \"no\";",
    "require \"ereject\"; ereject \"no\";",
    // envelope, subaddress
    "require \"envelope\"; if envelope :all :is \"FROM\" \"a@example.org\" {}",
    "require [\"envelope\", \"subaddress\"]; if envelope :detail \"to\" \"lists\" {} if address :user \"to\" \"bob\" {}",
    // imap4flags
    "require \"imap4flags\"; setflag \"\\\\Seen\"; addflag [\"a\", \"b\"]; removeflag \"a\"; keep :flags \"x\";",
    "require [\"imap4flags\", \"variables\"]; setflag \"v\" \"a\"; addflag \"v\" \"b\"; removeflag \"v\" \"a\"; if hasflag [\"v\"] \"a\" {}",
    "require \"imap4flags\"; if hasflag :contains \"junk\" {}",
    // variables
    "require \"variables\"; set :upper \"a\" \"${b}\"; if string :is \"${a}\" \"B\" {}",
    // relational, comparator-i;ascii-numeric
    "require [\"relational\", \"comparator-i;ascii-numeric\"]; if header :value \"ge\" :comparator \"i;ascii-numeric\" \"x-priority\" \"3\" {} if address :count \"ne\" \"to\" \"1\" {}",
    // body
    "require \"body\"; if body :raw :contains \"x\" {} if body :content [\"text\", \"image/png\"] :is \"\" {} if body :text \"x\" {}",
    // vacation, vacation-seconds
    "require \"vacation\"; vacation :days 3 :subject \"away\" :from \"me@example.org\" :addresses [\"me@example.net\"] :mime :handle \"h\" \"reason\";",
    "require \"vacation-seconds\"; vacation :seconds 60 \"reason\";",
    // include
    "require \"include\"; include :global :once :optional \"spam\"; return;",
    "require [\"include\", \"variables\"]; global [\"a\", \"b\"]; set \"global.c\" \"1\";",
    // date, index
    "require \"date\"; if date :zone \"+0200\" :is \"date\" \"weekday\" \"1\" {} if currentdate :zone \"-0100\" \"year\" \"2024\" {}",
    "require [\"date\", \"index\"]; if date :index 2 :last :originalzone \"received\" \"hour\" \"09\" {} if header :index 1 \"received\" \"x\" {}",
    // regex
    "require \"regex\"; if header :regex \"subject\" \"^(re|fwd): [0-9]+$\" {}",
    "require [\"regex\", \"variables\"]; set :quoteregex \"a\" \"b.c\"; if string :regex \"${a}\" \"${a}\" {}",
    // editheader
    "require \"editheader\"; addheader \"X-A\" \"1\"; addheader :last \"X-B\" \"2\"; deleteheader \"X-A\"; deleteheader :index 1 :last :contains \"X-B\" [\"2\", \"3\"];",
    // duplicate
    "require \"duplicate\"; if duplicate :handle \"h\" :header \"X-Id\" :seconds 10 :last {} if duplicate :uniqueid \"u\" {} if duplicate {}",
    // mime, foreverypart, extracttext
    "require \"mime\"; if header :mime :anychild :contenttype \"content-type\" \"text/plain\" {} if exists :mime \"content-type\" {} if address :mime \"from\" \"a@b\" {}",
    "require \"mime\"; if header :mime :type \"content-type\" \"text\" {} if header :mime :subtype \"content-type\" \"plain\" {} if header :mime :param [\"charset\"] \"content-type\" \"utf-8\" {}",
    "require [\"foreverypart\", \"extracttext\", \"variables\"]; foreverypart :name \"outer\" { foreverypart { extracttext :lower :first 10 \"t\"; break :name \"outer\"; } break; }",
    // environment
    "require \"environment\"; if environment :is \"domain\" \"example.org\" {}",
    // enotify
    "require \"enotify\"; notify :from \"a@example.org\" :importance \"2\" :options [\"k=v\"] :message \"m\" \"mailto:b@example.org\";",
    "require [\"enotify\", \"variables\"]; set :encodeurl \"a\" \"b c\"; if valid_notify_method \"mailto:a@example.org\" {} if notify_method_capability \"mailto:a@example.org\" \"online\" \"yes\" {}",
    // spamtest, spamtestplus, virustest
    "require [\"spamtest\", \"relational\"]; if spamtest :value \"ge\" \"5\" {}",
    "require \"spamtestplus\"; if spamtest :percent \"50\" {}",
    "require \"virustest\"; if virustest \"1\" {}",
    // ihave
    "require \"ihave\"; if ihave [\"fileinto\", \"x-unknown\"] { x_unknown; } else { error \"no\"; }",
];

#[test]
fn every_valid_script_compiles() {
    for source in VALID {
        compiled(source);
    }
}

/// Every command and test variant of the IR, by name.
fn walk_commands(commands: &[Command], seen: &mut BTreeSet<String>) {
    for command in commands {
        let name = format!("{:?}", command.kind);
        seen.insert(name.split([' ', '(', '{']).next().unwrap().to_owned());
        match &command.kind {
            CommandKind::If { branches, otherwise } => {
                for (test, body) in branches {
                    walk_test(test, seen);
                    walk_commands(body, seen);
                }
                if let Some(body) = otherwise {
                    walk_commands(body, seen);
                }
            }
            CommandKind::ForEveryPart { body, .. } => walk_commands(body, seen),
            _ => {}
        }
    }
}

fn walk_test(test: &Test, seen: &mut BTreeSet<String>) {
    let name = format!("{test:?}");
    seen.insert(format!("test {}", name.split([' ', '(', '{']).next().unwrap()));
    match test {
        Test::AllOf(tests) | Test::AnyOf(tests) => tests.iter().for_each(|t| walk_test(t, seen)),
        Test::Not(inner) => walk_test(inner, seen),
        _ => {}
    }
}

#[test]
fn valid_scripts_cover_every_extension_command_and_test() {
    let mut required = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for source in VALID {
        let script = compile("test", source, &Limits::default()).unwrap();
        required.extend(script.extensions.iter().copied());
        walk_commands(&script.commands, &mut seen);
    }
    let all: BTreeSet<Extension> = Extension::ALL.iter().map(|(e, _)| *e).collect();
    assert_eq!(
        all.difference(&required).collect::<Vec<_>>(),
        Vec::<&Extension>::new()
    );
    let commands = [
        "If",
        "Stop",
        "Keep",
        "Discard",
        "FileInto",
        "Redirect",
        "Reject",
        "Vacation",
        "Notify",
        "Flags",
        "Set",
        "Include",
        "Return",
        "Global",
        "AddHeader",
        "DeleteHeader",
        "ForEveryPart",
        "Break",
        "ExtractText",
        "Error",
    ];
    let tests = [
        "Address",
        "Envelope",
        "Header",
        "Exists",
        "Size",
        "AllOf",
        "AnyOf",
        "Not",
        "True",
        "False",
        "Body",
        "Date",
        "CurrentDate",
        "String",
        "HasFlag",
        "Environment",
        "Duplicate",
        "SpamTest",
        "VirusTest",
        "MailboxExists",
        "SpecialUseExists",
        "ValidNotifyMethod",
        "NotifyMethodCapability",
        "Ihave",
    ];
    let expected: BTreeSet<String> = commands
        .iter()
        .map(|c| (*c).to_owned())
        .chain(tests.iter().map(|t| format!("test {t}")))
        .collect();
    assert_eq!(
        expected.difference(&seen).collect::<Vec<_>>(),
        Vec::<&String>::new()
    );
}

/// Invalid scripts: the first error's line, column and message.
const INVALID: &[(&str, u32, u32, &str)] = &[
    // Syntax (RFC 5228 §8).
    (
        "keep",
        1,
        5,
        "expected ';' or a block after the keep command, but found end of script",
    ),
    ("if true { keep;", 1, 16, "expected '}', but found end of script"),
    ("keep; \"x\"", 1, 7, "expected a command, but found string"),
    ("keep; @", 1, 7, "unexpected character '@'"),
    ("/* unterminated", 1, 1, "unterminated bracket comment"),
    ("keep;\nredirect \"a@b.c", 2, 10, "unterminated quoted string"),
    ("reject text:\nabc\n", 1, 8, "unterminated multi-line string"),
    (
        "reject text: junk\n.\n;",
        1,
        14,
        "expected the end of the line after 'text:'",
    ),
    (
        "if header :is \"a\" [\"b\", 5] {}",
        1,
        25,
        "expected a string in the string list, but found number 5",
    ),
    (
        "if size :over 99999999999999999999 {}",
        1,
        15,
        "number is too large",
    ),
    ("keep :;", 1, 6, "expected a tag name after ':'"),
    // Commands and tests, and their extensions (RFC 5228 §3.2).
    (
        "require \"fileinto\";\nif true {\n  fileinfo \"x\";\n}",
        3,
        3,
        "unknown command 'fileinfo'",
    ),
    ("if foo {}", 1, 4, "unknown test 'foo'"),
    (
        "fileinto \"x\";",
        1,
        1,
        "the fileinto command requires the \"fileinto\" extension (add it to require)",
    ),
    (
        "if envelope \"from\" \"x\" {}",
        1,
        4,
        "the envelope test requires the \"envelope\" extension (add it to require)",
    ),
    (
        "error \"x\";",
        1,
        1,
        "the error command requires the \"ihave\" extension (add it to require)",
    ),
    (
        "require \"foo\";",
        1,
        9,
        "require command: unknown Sieve capability 'foo'",
    ),
    (
        "keep;\nrequire \"fileinto\";",
        2,
        1,
        "require commands can only be placed at top level at the beginning of the script",
    ),
    (
        "if true { require \"fileinto\"; }",
        1,
        11,
        "require commands can only be placed at top level at the beginning of the script",
    ),
    (
        "require [\"extracttext\", \"foreverypart\"];",
        1,
        1,
        "the \"extracttext\" extension cannot be used without the \"variables\" extension",
    ),
    // Tags (RFC 5228 §2.6.2).
    (
        "keep :foo;",
        1,
        6,
        "unknown tagged argument ':foo' for the keep command",
    ),
    (
        "if header \"subject\" :contains \"x\" {}",
        1,
        21,
        "the tagged argument ':contains' must come before the positional arguments of the header test",
    ),
    (
        "require \"copy\"; redirect :copy :copy \"a@b.c\";",
        1,
        32,
        "duplicate tagged argument ':copy' for the redirect command",
    ),
    (
        "if header :is :contains \"a\" \"b\" {}",
        1,
        15,
        "':contains' conflicts with ':is' for the header test (only one match type may be given)",
    ),
    (
        "if address :localpart :domain \"from\" \"b\" {}",
        1,
        23,
        "':domain' conflicts with ':localpart' for the address test (only one address part may be given)",
    ),
    (
        "redirect :copy \"a@b.c\";",
        1,
        10,
        "the :copy tag of the redirect command requires the \"copy\" extension",
    ),
    (
        "require \"fileinto\"; fileinto :create \"x\";",
        1,
        30,
        "the :create tag of the fileinto command requires the \"mailbox\" extension",
    ),
    (
        "require \"fileinto\"; fileinto :flags \"x\" \"y\";",
        1,
        30,
        "the :flags tag of the fileinto command requires the \"imap4flags\" extension",
    ),
    (
        "require \"fileinto\"; fileinto :specialuse \"\\\\Junk\" \"y\";",
        1,
        30,
        "the :specialuse tag of the fileinto command requires the \"special-use\" extension",
    ),
    (
        "if header :comparator [\"a\"] \"a\" \"b\" {}",
        1,
        23,
        "the :comparator tag of the header test expects a string, but a string list was found",
    ),
    (
        "if header :comparator {}",
        1,
        11,
        "the :comparator tag of the header test expects a string, but nothing was found",
    ),
    // Positional arguments (RFC 5228 §2.6.1).
    (
        "keep \"x\";",
        1,
        6,
        "the keep command takes no positional arguments, but more were found",
    ),
    (
        "redirect;",
        1,
        1,
        "the redirect command expects a string as first positional argument (address), but none was found",
    ),
    (
        "redirect [\"a@b.c\", \"d@e.f\"];",
        1,
        10,
        "the redirect command expects a string as first positional argument (address), but a string list was found",
    ),
    (
        "if header :is \"a\" {}",
        1,
        4,
        "the header test expects a string list as second positional argument (key list), but none was found",
    ),
    (
        "if header [\"a\"] [\"b\"] [\"c\"] {}",
        1,
        23,
        "the header test takes 2 positional arguments, but more were found",
    ),
    (
        "if header 1 \"a\" {}",
        1,
        11,
        "the header test expects a string list as first positional argument (header names), but number 1 was found",
    ),
    (
        "if size :over \"1\" {}",
        1,
        15,
        "the size test expects a number as first positional argument (limit), but a string was found",
    ),
    (
        "if size :over 1 2 {}",
        1,
        17,
        "the size test takes 1 positional argument, but more were found",
    ),
    // Control structure (RFC 5228 §3.1).
    (
        "elsif true {}",
        1,
        1,
        "the elsif command must follow an if or elsif command",
    ),
    (
        "else {}",
        1,
        1,
        "the else command must follow an if or elsif command",
    ),
    (
        "if true {} else {} else {}",
        1,
        20,
        "the else command must follow an if or elsif command",
    ),
    (
        "if true {} keep; else {}",
        1,
        18,
        "the else command must follow an if or elsif command",
    ),
    ("if;", 1, 1, "the if command requires a test"),
    ("if true;", 1, 1, "the if command requires a block"),
    (
        "if (true) {}",
        1,
        4,
        "the if command requires one test, but a list of tests was given",
    ),
    (
        "if :is true {}",
        1,
        4,
        "the if command takes no arguments before its test",
    ),
    (
        "if true {} else true {}",
        1,
        12,
        "the else command does not take a test",
    ),
    ("if true {} elsif {}", 1, 12, "the elsif command requires a test"),
    ("keep {stop;}", 1, 6, "the keep command does not take a block"),
    ("stop true;", 1, 6, "the stop command does not take a test"),
    ("if true true {}", 1, 9, "the true test does not take sub-tests"),
    (
        "if not (true) {}",
        1,
        8,
        "the not test requires one test, but a list of tests was given",
    ),
    ("if not {}", 1, 4, "the not test requires a test"),
    (
        "if allof true {}",
        1,
        10,
        "the allof test requires a list of tests in parentheses, but a single test was given",
    ),
    ("if anyof {}", 1, 4, "the anyof test requires a list of tests"),
    // Comparators and match types (RFC 5228 §2.7, RFC 5231, regex draft).
    (
        "if header :comparator \"i;foo\" \"a\" \"b\" {}",
        1,
        23,
        "unknown comparator 'i;foo'",
    ),
    (
        "if header :comparator \"i;ascii-numeric\" \"a\" \"b\" {}",
        1,
        23,
        "the comparator 'i;ascii-numeric' requires the \"comparator-i;ascii-numeric\" extension",
    ),
    (
        "require \"comparator-i;ascii-numeric\"; if header :comparator \"i;ascii-numeric\" :contains \"a\" \"b\" {}",
        1,
        79,
        "the i;ascii-numeric comparator does not support the substring matching of :contains",
    ),
    (
        "if header :count \"eq\" \"a\" \"b\" {}",
        1,
        11,
        "the :count tag of the header test requires the \"relational\" extension",
    ),
    (
        "require \"relational\"; if header :value \"xx\" \"a\" \"1\" {}",
        1,
        40,
        "the :value match type takes one of \"gt\", \"ge\", \"lt\", \"le\", \"eq\" or \"ne\", but \"xx\" was found",
    ),
    (
        "if header :regex \"a\" \"b\" {}",
        1,
        11,
        "the :regex tag of the header test requires the \"regex\" extension",
    ),
    (
        "require \"regex\"; if header :regex \"a\" \"(\" {}",
        1,
        39,
        "invalid regular expression '(': unclosed group",
    ),
    (
        "require \"regex\"; if header :regex \"a\" [\"ok\", \"a{99999999}\"] {}",
        1,
        46,
        "invalid regular expression 'a{99999999}': it is too complex",
    ),
    (
        "if address :user \"from\" \"b\" {}",
        1,
        12,
        "the :user tag of the address test requires the \"subaddress\" extension",
    ),
    // Argument syntax (addresses, header names).
    (
        "redirect \"foo\";",
        1,
        10,
        "invalid redirect address 'foo' (expected one address, such as \"alice@example.org\")",
    ),
    (
        "redirect \"a b@c\";",
        1,
        10,
        "invalid redirect address 'a b@c' (expected one address, such as \"alice@example.org\")",
    ),
    (
        "redirect \"a@example.org, b@example.org\";",
        1,
        10,
        "invalid redirect address 'a@example.org, b@example.org' (expected one address, such as \"alice@example.org\")",
    ),
    (
        "if address \"subject\" \"x\" {}",
        1,
        12,
        "the address test does not accept header 'subject', which holds no addresses",
    ),
    (
        "if exists \"a b\" {}",
        1,
        11,
        "invalid header field name 'a b' for the exists test",
    ),
    (
        "if header \"a:b\" \"\" {}",
        1,
        11,
        "invalid header field name 'a:b' for the header test",
    ),
    // fileinto, reject, vacation, notify.
    (
        "require \"fileinto\"; fileinto \"\";",
        1,
        30,
        "the mailbox name of the fileinto command is empty",
    ),
    (
        "require [\"fileinto\", \"special-use\"]; fileinto :specialuse \"Junk\" \"y\";",
        1,
        59,
        "invalid special-use flag 'Junk' (expected a backslash and a name, such as \"\\\\Junk\")",
    ),
    (
        "require \"reject\"; reject 5;",
        1,
        26,
        "the reject command expects a string as first positional argument (reason), but number 5 was found",
    ),
    (
        "require \"vacation\"; vacation :days \"5\" \"x\";",
        1,
        36,
        "the :days tag of the vacation command expects a number, but a string was found",
    ),
    (
        "require \"vacation\"; vacation :days 99999999999999999 \"x\";",
        1,
        30,
        "the :days value 99999999999999999 is too large",
    ),
    (
        "require \"vacation\"; vacation :seconds 3 \"x\";",
        1,
        30,
        "the :seconds tag of the vacation command requires the \"vacation-seconds\" extension",
    ),
    (
        "require \"vacation-seconds\"; vacation :days 5 :seconds 3 \"x\";",
        1,
        46,
        "':seconds' conflicts with ':days' for the vacation command (only one of :days and :seconds may be given)",
    ),
    (
        "require \"vacation\"; vacation :from \"foo\" \"x\";",
        1,
        36,
        "invalid vacation :from address 'foo' (expected one address, such as \"alice@example.org\")",
    ),
    (
        "require \"enotify\"; notify :importance \"4\" \"mailto:x@y\";",
        1,
        39,
        "invalid :importance '4' for the notify command (expected \"1\", \"2\" or \"3\")",
    ),
    (
        "require \"enotify\"; notify :message [\"a\",\"b\"] \"mailto:x@y\";",
        1,
        36,
        "the :message tag of the notify command expects a string, but a string list was found",
    ),
    // imap4flags, variables (RFC 5232, RFC 5229).
    (
        "require \"imap4flags\"; setflag \"var\" \"x\";",
        1,
        23,
        "the setflag command takes variable names only with the \"variables\" extension",
    ),
    (
        "require \"imap4flags\"; if hasflag \"a\" \"b\" {}",
        1,
        26,
        "the hasflag test takes variable names only with the \"variables\" extension",
    ),
    (
        "require [\"imap4flags\", \"variables\"]; addflag \"1\" \"x\";",
        1,
        46,
        "cannot assign to match variable",
    ),
    (
        "require \"variables\"; set \"a b\" \"c\";",
        1,
        26,
        "invalid variable name 'a b'",
    ),
    (
        "require \"variables\"; set :lower :upper \"a\" \"b\";",
        1,
        33,
        "':upper' conflicts with ':lower' for the set command (only one of :lower and :upper may be given)",
    ),
    (
        "require \"variables\"; set :quoteregex \"a\" \"c\";",
        1,
        26,
        "the :quoteregex tag of the set command requires the \"regex\" extension",
    ),
    (
        "require \"variables\"; set :encodeurl \"a\" \"c\";",
        1,
        26,
        "the :encodeurl tag of the set command requires the \"enotify\" extension",
    ),
    (
        "require \"variables\"; set \"a\" \"${10}\";",
        1,
        30,
        "match variable ${10} does not exist (the highest is ${9})",
    ),
    (
        "require \"variables\"; if string \"${a.b}\" \"\" {}",
        1,
        32,
        "referring to variable in unknown namespace 'a'",
    ),
    (
        "require \"variables\"; set \"global.x\" \"c\";",
        1,
        26,
        "referring to variable in unknown namespace 'global'",
    ),
    (
        "if string \"a\" \"b\" {}",
        1,
        4,
        "the string test requires the \"variables\" extension (add it to require)",
    ),
    // encoded-character (RFC 5228 §2.4.2.4).
    (
        "require [\"encoded-character\", \"imap4flags\"]; keep :flags \"${unicode:110000}\";",
        1,
        58,
        "invalid Unicode code point '110000' in an encoded character",
    ),
    (
        "require [\"encoded-character\", \"imap4flags\"]; keep :flags \"${hex:ff}\";",
        1,
        58,
        "encoded characters do not form valid UTF-8",
    ),
    // include (RFC 6609).
    (
        "require \"include\"; include :personal :global \"x\";",
        1,
        38,
        "':global' conflicts with ':personal' for the include command (only one of :personal and :global may be given)",
    ),
    (
        "require [\"include\", \"variables\"]; include \"${x}\";",
        1,
        43,
        "the script name of the include command must be a constant string, without variable references",
    ),
    (
        "require \"include\"; include \"a/b\";",
        1,
        28,
        "invalid script name 'a/b' for the include command",
    ),
    (
        "require \"include\"; global \"x\";",
        1,
        20,
        "the global command requires the \"variables\" extension",
    ),
    (
        "require [\"include\", \"variables\"]; global \"a.b\";",
        1,
        42,
        "referring to variable in unknown namespace 'a'",
    ),
    // editheader (RFC 5293).
    (
        "require \"editheader\"; addheader \"a b\" \"c\";",
        1,
        33,
        "invalid header field name 'a b' for the addheader command",
    ),
    (
        "require \"editheader\"; deleteheader :index 0 \"x\";",
        1,
        36,
        "the :index tag counts from 1, so 0 is not valid",
    ),
    (
        "require \"editheader\"; deleteheader :last \"x\";",
        1,
        36,
        "the :last tag of the deleteheader command requires the :index tag",
    ),
    // mime, foreverypart, extracttext (RFC 5703).
    (
        "require \"mime\"; if header :type \"a\" \"b\" {}",
        1,
        27,
        "the :type tag of the header test requires the :mime tag",
    ),
    (
        "require \"mime\"; if address :mime :type \"to\" \"x\" {}",
        1,
        34,
        "unknown tagged argument ':type' for the address test",
    ),
    (
        "require \"mime\"; if header :mime :type :subtype \"a\" \"b\" {}",
        1,
        39,
        "':subtype' conflicts with ':type' for the header test (only one of :type, :subtype, :contenttype and :param may be given)",
    ),
    (
        "require \"foreverypart\"; break;",
        1,
        25,
        "the break command is not inside a foreverypart loop",
    ),
    (
        "require \"foreverypart\"; foreverypart :name \"a\" { break :name \"b\"; }",
        1,
        50,
        "the break command is not inside a foreverypart loop named 'b'",
    ),
    (
        "require \"foreverypart\"; foreverypart;",
        1,
        25,
        "the foreverypart command requires a block",
    ),
    (
        "require [\"extracttext\", \"variables\", \"foreverypart\"]; extracttext \"x\";",
        1,
        55,
        "the extracttext command is not inside a foreverypart loop",
    ),
    // envelope, date, duplicate, spamtest, special-use, ihave.
    (
        "require \"envelope\"; if envelope \"auth\" \"x\" {}",
        1,
        33,
        "the envelope test does not support the envelope part 'auth' (only \"from\" and \"to\")",
    ),
    (
        "require \"date\"; if date :zone \"+2500\" \"date\" \"year\" \"x\" {}",
        1,
        31,
        "invalid :zone argument '+2500' (expected \"+hhmm\" or \"-hhmm\")",
    ),
    (
        "require \"date\"; if date \"date\" \"yearx\" \"x\" {}",
        1,
        32,
        "unknown date part 'yearx'",
    ),
    (
        "require \"date\"; if currentdate :originalzone \"year\" \"1\" {}",
        1,
        32,
        "unknown tagged argument ':originalzone' for the currentdate test",
    ),
    (
        "require \"date\"; if date :index 1 \"date\" \"year\" \"1\" {}",
        1,
        25,
        "the :index tag of the date test requires the \"index\" extension",
    ),
    (
        "require \"duplicate\"; if duplicate :header \"a\" :uniqueid \"b\" {}",
        1,
        47,
        "':uniqueid' conflicts with ':header' for the duplicate test (only one of :header and :uniqueid may be given)",
    ),
    (
        "require \"spamtest\"; if spamtest :percent \"5\" {}",
        1,
        33,
        "the :percent tag of the spamtest test requires the \"spamtestplus\" extension",
    ),
    (
        "require \"special-use\"; if specialuse_exists \"Junk\" {}",
        1,
        45,
        "invalid special-use flag 'Junk' (expected a backslash and a name, such as \"\\\\Junk\")",
    ),
    (
        "require [\"ihave\", \"variables\"]; if ihave \"${x}\" {}",
        1,
        42,
        "the capability of the ihave test must be a constant string, without variable references",
    ),
    (
        "require [\"ihave\", \"fileinto\"]; if not ihave \"foo\" { foo; }",
        1,
        53,
        "unknown command 'foo'",
    ),
];

#[test]
fn invalid_scripts_report_what_and_where() {
    let mut failures = Vec::new();
    for (source, line, column, message) in INVALID {
        let errors = errors(source);
        let first = &errors.errors[0];
        if (first.line, first.column, first.message.as_str()) != (*line, *column, *message) {
            failures.push(format!(
                "{source}\n  expected {line}:{column} {message}\n  got      {}:{} {}",
                first.line, first.column, first.message
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn errors_display_like_sievec_with_columns() {
    let errors = compile(
        "rules",
        "require \"fileinto\";\nif true {\n  fileinfo \"x\";\n}\nkeep :foo;\n",
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(
        errors.to_string(),
        "rules: line 3, column 3: error: unknown command 'fileinfo'.\n\
         rules: line 5, column 6: error: unknown tagged argument ':foo' for the keep command."
    );
    let too_large = compile(
        "big",
        "keep;",
        &Limits {
            max_script_size: 4,
            ..Limits::default()
        },
    )
    .unwrap_err();
    assert_eq!(
        too_large.to_string(),
        "big: error: script is too large (5 bytes, at most 4 allowed)."
    );
}

#[test]
fn errors_are_capped_and_unknown_names_reported_once() {
    let source = "keep :a; keep :b; keep :c; keep :d; keep :e; keep :f; keep :g; keep :h; keep :i; keep :j; keep :k; keep :l;\nfoo; foo; foo;";
    let errors = errors(source);
    assert_eq!(errors.errors.len(), 10);
    assert!(errors.truncated);
    assert!(
        errors
            .to_string()
            .ends_with("test: error: too many errors, only the first 10 are shown.")
    );
    let errors = self::errors("foo; foo; bar;");
    let messages: Vec<&str> = errors.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages, vec!["unknown command 'foo'", "unknown command 'bar'"]);
}

#[test]
fn capabilities_list_every_extension() {
    let caps = capabilities();
    let listed: Vec<&str> = caps.split(' ').collect();
    assert_eq!(listed.len(), Extension::ALL.len());
    for (extension, name) in Extension::ALL {
        assert!(listed.contains(name));
        assert_eq!(Extension::from_capability(name), Some(*extension));
    }
    // Every capability the server announces is one a script can require.
    let all = listed.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>();
    let script = compile(
        "all",
        &format!("require [{}];", all.join(", ")),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(script.extensions.len(), Extension::ALL.len());
}

#[test]
fn script_keeps_its_name_positions_and_requires() {
    let script = compile(
        "main",
        "require [\"fileinto\", \"fileinto\", \"envelope\"];\n\n  keep;\n",
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(script.name, "main");
    assert_eq!(script.extensions, vec![Extension::FileInto, Extension::Envelope]);
    assert_eq!(script.commands[0].pos, Position { line: 3, column: 3 });
}

#[test]
fn actions_compile_to_their_ir() {
    let flags = Some(lits(&["\\Seen"]));
    assert_eq!(
        command("require \"imap4flags\"; keep :flags \"\\\\Seen\";"),
        CommandKind::Keep { flags: flags.clone() }
    );
    assert_eq!(
        command(
            "require [\"fileinto\", \"copy\", \"mailbox\", \"imap4flags\", \"special-use\"]; fileinto :copy :create :flags \"\\\\Seen\" :specialuse \"\\\\Archive\" \"Old\";"
        ),
        CommandKind::FileInto {
            mailbox: lit("Old"),
            flags,
            copy: true,
            create: true,
            special_use: Some(lit("\\Archive")),
        }
    );
    assert_eq!(
        command("require \"copy\"; redirect :copy \"a@example.org\";"),
        CommandKind::Redirect {
            address: lit("a@example.org"),
            copy: true
        }
    );
    assert_eq!(
        command("require \"ereject\"; ereject \"no\";"),
        CommandKind::Reject {
            reason: lit("no"),
            extended: true
        }
    );
    assert_eq!(
        command(
            "require \"vacation\"; vacation :days 2 :subject \"s\" :from \"f@example.org\" :addresses [\"a@example.org\"] :mime :handle \"h\" \"r\";"
        ),
        CommandKind::Vacation(Box::new(Vacation {
            period_seconds: Some(172_800),
            subject: Some(lit("s")),
            from: Some(lit("f@example.org")),
            addresses: lits(&["a@example.org"]),
            mime: true,
            handle: Some(lit("h")),
            reason: lit("r"),
        }))
    );
    assert_eq!(
        command(
            "require \"enotify\"; notify :from \"f@example.org\" :importance \"1\" :options [\"a=b\"] :message \"m\" \"mailto:x@example.org\";"
        ),
        CommandKind::Notify(Box::new(Notify {
            from: Some(lit("f@example.org")),
            importance: Some(lit("1")),
            options: lits(&["a=b"]),
            message: Some(lit("m")),
            method: lit("mailto:x@example.org"),
        }))
    );
    assert_eq!(
        command("require [\"imap4flags\", \"variables\"]; removeflag \"MyVar\" [\"a\", \"b\"];"),
        CommandKind::Flags {
            op: FlagOp::Remove,
            variable: Some("myvar".to_owned()),
            flags: lits(&["a", "b"]),
        }
    );
    assert_eq!(
        command(
            "require [\"variables\", \"enotify\"]; set :length :encodeurl :upperfirst :lower \"X\" \"${a}-${1}\";"
        ),
        CommandKind::Set {
            name: "x".to_owned(),
            value: Str::Template(vec![
                StrPart::Variable("a".to_owned()),
                StrPart::Text("-".to_owned()),
                StrPart::Match(1),
            ]),
            modifiers: vec![
                Modifier::Lower,
                Modifier::UpperFirst,
                Modifier::EncodeUrl,
                Modifier::Length
            ],
        }
    );
    assert_eq!(
        command("require \"include\"; include :global :once :optional \"spam\";"),
        CommandKind::Include {
            location: ScriptLocation::Global,
            once: true,
            optional: true,
            name: lit("spam"),
        }
    );
    assert_eq!(
        command("require \"include\"; include \"mine\";"),
        CommandKind::Include {
            location: ScriptLocation::Personal,
            once: false,
            optional: false,
            name: lit("mine"),
        }
    );
    assert_eq!(
        command("require [\"include\", \"variables\"]; global [\"A\", \"b\"];"),
        CommandKind::Global {
            names: vec!["a".to_owned(), "b".to_owned()]
        }
    );
    assert_eq!(
        command("require \"editheader\"; addheader :last \"X-A\" \"v\";"),
        CommandKind::AddHeader {
            last: true,
            name: lit("X-A"),
            value: lit("v")
        }
    );
    assert_eq!(
        command(
            "require \"editheader\"; deleteheader :index 2 :last :comparator \"i;octet\" :matches \"X-A\" \"v*\";"
        ),
        CommandKind::DeleteHeader {
            index: Some(Index { n: 2, last: true }),
            spec: spec(Comparator::Octet, MatchType::Matches),
            name: lit("X-A"),
            values: Some(lits(&["v*"])),
        }
    );
    assert_eq!(
        command("require \"editheader\"; deleteheader \"X-A\";"),
        CommandKind::DeleteHeader {
            index: None,
            spec: MatchSpec::default(),
            name: lit("X-A"),
            values: None,
        }
    );
    assert_eq!(
        command("require \"foreverypart\"; foreverypart :name \"p\" { break :name \"p\"; }"),
        CommandKind::ForEveryPart {
            name: Some("p".to_owned()),
            body: vec![Command {
                kind: CommandKind::Break {
                    name: Some("p".to_owned())
                },
                pos: Position { line: 1, column: 50 },
            }],
        }
    );
    assert_eq!(
        command("require \"ihave\"; error \"unsupported\";"),
        CommandKind::Error {
            message: lit("unsupported")
        }
    );
}

#[test]
fn tests_compile_to_their_ir() {
    assert_eq!(
        test("require \"envelope\"; if envelope :localpart :contains [\"FROM\", \"To\"] \"x\" {}"),
        Test::Envelope {
            spec: spec(Comparator::AsciiCasemap, MatchType::Contains),
            part: AddressPart::LocalPart,
            parts: lits(&["from", "to"]),
            keys: lits(&["x"]),
        }
    );
    assert_eq!(
        test(
            "require [\"mime\", \"index\"]; if header :index 3 :mime :anychild :subtype \"content-type\" \"plain\" {}"
        ),
        Test::Header {
            spec: MatchSpec::default(),
            index: Some(Index { n: 3, last: false }),
            mime: Some(MimeOpts {
                any_child: true,
                option: MimeOption::Subtype
            }),
            names: lits(&["content-type"]),
            keys: lits(&["plain"]),
        }
    );
    assert_eq!(
        test("require \"mime\"; if exists :mime \"content-type\" {}"),
        Test::Exists {
            mime: Some(MimeOpts {
                any_child: false,
                option: MimeOption::Value
            }),
            names: lits(&["content-type"]),
        }
    );
    assert_eq!(
        test("if size :under 10K {}"),
        Test::Size {
            over: false,
            limit: 10_240
        }
    );
    assert_eq!(
        test("require \"body\"; if body :content \"text\" :matches \"*x*\" {}"),
        Test::Body {
            spec: spec(Comparator::AsciiCasemap, MatchType::Matches),
            transform: BodyTransform::Content(lits(&["text"])),
            keys: lits(&["*x*"]),
        }
    );
    assert!(matches!(
        test("require \"body\"; if body \"x\" {}"),
        Test::Body {
            transform: BodyTransform::Text,
            ..
        }
    ));
    assert_eq!(
        test("require \"date\"; if currentdate :zone \"+0530\" \"YEAR\" \"2024\" {}"),
        Test::CurrentDate {
            spec: MatchSpec::default(),
            zone: Zone::Offset(330),
            part: lit("year"),
            keys: lits(&["2024"]),
        }
    );
    assert!(matches!(
        test("require \"date\"; if date \"date\" \"year\" \"2024\" {}"),
        Test::Date {
            zone: Zone::Local,
            ..
        }
    ));
    assert_eq!(
        test("require \"variables\"; if string :contains [\"${a}\", \"b\"] \"c\" {}"),
        Test::String {
            spec: spec(Comparator::AsciiCasemap, MatchType::Contains),
            sources: vec![Str::Template(vec![StrPart::Variable("a".to_owned())]), lit("b")],
            keys: lits(&["c"]),
        }
    );
    assert_eq!(
        test("require [\"imap4flags\", \"variables\"]; if hasflag :is [\"V\", \"w\"] \"\\\\Seen\" {}"),
        Test::HasFlag {
            spec: MatchSpec::default(),
            variables: vec!["v".to_owned(), "w".to_owned()],
            keys: lits(&["\\Seen"]),
        }
    );
    assert_eq!(
        test("require \"environment\"; if environment \"phase\" \"during\" {}"),
        Test::Environment {
            spec: MatchSpec::default(),
            name: lit("phase"),
            keys: lits(&["during"]),
        }
    );
    assert_eq!(
        test("require \"duplicate\"; if duplicate :handle \"h\" :uniqueid \"u\" :seconds 5 :last {}"),
        Test::Duplicate {
            handle: Some(lit("h")),
            source: DuplicateSource::UniqueId(lit("u")),
            seconds: Some(5),
            last: true,
        }
    );
    assert_eq!(
        test("require \"duplicate\"; if duplicate {}"),
        Test::Duplicate {
            handle: None,
            source: DuplicateSource::MessageId,
            seconds: None,
            last: false,
        }
    );
    assert_eq!(
        test(
            "require [\"spamtestplus\", \"relational\", \"comparator-i;ascii-numeric\"]; if spamtest :percent :value \"gt\" :comparator \"i;ascii-numeric\" \"50\" {}"
        ),
        Test::SpamTest {
            spec: spec(Comparator::AsciiNumeric, MatchType::Value(RelOp::Gt)),
            percent: true,
            value: lit("50"),
        }
    );
    assert_eq!(
        test("require [\"virustest\", \"relational\"]; if virustest :count \"lt\" \"3\" {}"),
        Test::VirusTest {
            spec: spec(Comparator::AsciiCasemap, MatchType::Count(RelOp::Lt)),
            value: lit("3"),
        }
    );
    assert_eq!(
        test("require \"mailbox\"; if mailboxexists \"a\" {}"),
        Test::MailboxExists { names: lits(&["a"]) }
    );
    assert_eq!(
        test("require \"special-use\"; if specialuse_exists \"Spam\" [\"\\\\Junk\"] {}"),
        Test::SpecialUseExists {
            mailbox: Some(lit("Spam")),
            uses: lits(&["\\Junk"]),
        }
    );
    assert_eq!(
        test("require \"enotify\"; if valid_notify_method [\"mailto:a@b.c\"] {}"),
        Test::ValidNotifyMethod {
            uris: lits(&["mailto:a@b.c"])
        }
    );
    assert_eq!(
        test(
            "require \"enotify\"; if notify_method_capability :is \"mailto:a@b.c\" \"Online\" [\"yes\", \"maybe\"] {}"
        ),
        Test::NotifyMethodCapability {
            spec: MatchSpec::default(),
            uri: lit("mailto:a@b.c"),
            capability: lit("Online"),
            keys: lits(&["yes", "maybe"]),
        }
    );
    assert_eq!(
        test("require \"regex\"; if address :regex :domain \"from\" \"^example\\\\.(org|net)$\" {}"),
        Test::Address {
            spec: spec(Comparator::AsciiCasemap, MatchType::Regex),
            part: AddressPart::Domain,
            index: None,
            mime: None,
            headers: lits(&["from"]),
            keys: lits(&["^example\\.(org|net)$"]),
        }
    );
}

#[test]
fn strings_depend_on_what_is_required() {
    // Without "variables", "${a}" is text; without "encoded-character", "${hex:41}" is too.
    let plain = command("require \"reject\"; reject \"${a}${hex:41}\";");
    assert_eq!(
        plain,
        CommandKind::Reject {
            reason: lit("${a}${hex:41}"),
            extended: false
        }
    );
    let decoded = command("require [\"reject\", \"encoded-character\"]; reject \"${a}${hex:41}\";");
    assert_eq!(
        decoded,
        CommandKind::Reject {
            reason: lit("${a}A"),
            extended: false
        }
    );
    let both = command(
        "require [\"reject\", \"encoded-character\", \"variables\"]; reject \"${hex:24}{a}${hex:41}\";",
    );
    assert_eq!(
        both,
        CommandKind::Reject {
            reason: Str::Template(vec![
                StrPart::Variable("a".to_owned()),
                StrPart::Text("A".to_owned())
            ]),
            extended: false
        }
    );
    // Variables in checked arguments are checked at run time, not at compile time.
    compiled("require \"variables\"; set \"to\" \"x\"; redirect \"${to}\";");
    compiled("require [\"variables\", \"date\"]; if date \"${h}\" \"${part}\" \"x\" {}");
}

#[test]
fn ihave_guards_let_blocks_use_the_extensions_they_name() {
    // "fileinto" is not required, but the block guarded by `ihave "fileinto"` may use it.
    let commands = compiled("require \"ihave\"; if ihave \"fileinto\" { fileinto \"x\"; }");
    let CommandKind::If { branches, .. } = &commands[0].kind else {
        panic!("if expected")
    };
    assert!(matches!(branches[0].1[0].kind, CommandKind::FileInto { .. }));
    // Also through allof; but not after the block.
    compiled("require \"ihave\"; if allof (ihave \"fileinto\", true) { fileinto \"x\"; }");
    let errors = errors("require \"ihave\"; if ihave \"fileinto\" { } fileinto \"x\";");
    assert_eq!(
        errors.errors[0].message,
        "the fileinto command requires the \"fileinto\" extension (add it to require)"
    );
    // A guard with any unknown capability drops the block, even if its syntax is odd.
    let commands =
        compiled("require \"ihave\"; if ihave [\"fileinto\", \"nope\"] { fileinto :bad; nope 1 2 3; }");
    let CommandKind::If { branches, .. } = &commands[0].kind else {
        panic!("if expected")
    };
    assert_eq!(branches[0].1, vec![]);
}

#[test]
fn limits_apply_through_compile() {
    let limits = Limits {
        max_string_len: 8,
        max_list_len: 2,
        max_nesting: 3,
        ..Limits::default()
    };
    let error = |source: &str| {
        compile("t", source, &limits).unwrap_err().errors[0]
            .message
            .clone()
    };
    assert_eq!(
        error("redirect \"123456789\";"),
        "string is too long (more than 8 bytes)"
    );
    assert_eq!(
        error("if header \"a\" [\"1\", \"2\", \"3\"] {}"),
        "string list is too long (more than 2 strings)"
    );
    assert_eq!(
        error("if true { if true { if true { if true {} } } }"),
        "blocks and tests are nested too deeply (at most 3 levels)"
    );
    assert!(compile("t", "if true { if true { if true {} } }", &limits).is_ok());
}

#[test]
fn regex_keys_have_a_cost_budget_per_script() {
    // Each `\w{40}` is affordable alone; a script may not pile up many of them.
    let script = |n: usize| {
        let keys = vec!["\"\\\\w{40}\""; n].join(", ");
        format!("require \"regex\"; if header :regex \"subject\" [{keys}] {{}}")
    };
    compiled(&script(12));
    let errors = errors(&script(13));
    assert_eq!(
        errors.errors[0].message,
        "the regular expressions of this script are too complex all together"
    );
}
