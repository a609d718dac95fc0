//! The example scripts of the Sieve RFCs compile (RFC 5228 §9 and the extensions' examples),
//! and a few of them compile to the IR their text describes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use malt_sieve::compile;
use malt_sieve::ir::{
    AddressPart, Command, CommandKind, Comparator, MatchSpec, MatchType, MimeOption, MimeOpts, Modifier,
    RelOp, Script, Str, StrPart, Test, Zone,
};
use malt_sieve::limits::Limits;

fn compiled(name: &str, source: &str) -> Script {
    match compile(name, source, &Limits::default()) {
        Ok(script) => script,
        Err(errors) => panic!("{name} does not compile:\n{errors}"),
    }
}

fn lit(s: &str) -> Str {
    Str::Literal(s.to_owned())
}

/// The examples, by RFC and section.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "RFC 5228 §9",
        r#"#
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
"#,
    ),
    (
        "RFC 5228 §3.1",
        r#"if header :contains ["From"] ["coyote"] {
    redirect "acm@example.com";
} elsif header :contains "Subject" "$$$" {
    redirect "postmaster@example.com";
} else {
    redirect "field@example.com";
}
"#,
    ),
    (
        "RFC 5228 §3.2",
        r#"require ["fileinto", "reject"];
require "envelope";
if envelope :all :is "from" "tim@example.com" {
    discard;
}
"#,
    ),
    (
        "RFC 5228 §5.3, §5.5, §5.9",
        r#"if anyof (exists "X-Spam", size :over 1M, allof (true, not false)) {
    discard;
    stop;
}
if exists ["From","Date"] { keep; }
if size :under 1k { keep; }
"#,
    ),
    (
        "RFC 5228 §2.4.2 multi-line strings",
        "require \"reject\";\r\nif size :over 100K {\r\n    reject text:\r\nYour message is too big.  If you want to send me a big attachment,\r\nput it on a public web site and send me a URL.\r\n..\r\n.\r\n;\r\n}\r\n",
    ),
    (
        "RFC 5228 §2.4.2.4",
        r#"require "encoded-character";
if header :contains "subject" "$${hex:24 24}" { discard; }
if header :contains "subject" "${unicode:40}${UNICODE:40}${UnICoDE:0000040}" { keep; }
"#,
    ),
    (
        "RFC 5229 §3",
        r#"require ["variables"];
set "honorific" "Mr";
set "first_name" "Wile";
set "last_name" "Coyote";
set "vacation" text:
Dear ${HONORIFIC} ${last_name},
I'm out, please leave a message after the meep.
.
;
"#,
    ),
    (
        "RFC 5229 §4.1",
        r#"require "variables";
set "a" "juMBlEd lETteRS";
set :length "b" "${a}";
set :lower "b" "${a}";
set :upperfirst "b" "${a}";
set :upperfirst :lower "b" "${a}";
set :quotewildcard "b" "Rock*";
"#,
    ),
    (
        "RFC 5229 §5",
        r#"require "variables";
set "state" "${state} pending";
if string :matches " ${state} " "* pending *" {
    # the above test always succeeds
}
"#,
    ),
    (
        "RFC 5229 §6",
        r#"require ["fileinto", "variables"];

if header :matches "List-ID" "*<*@*" {
    fileinto "INBOX.lists.${2}"; stop;
}

# Imagine the header
# Subject: [acme-users] [fwd] version 1.0 is out
if header :matches "Subject" "[*] *" {
    # ${1} will hold "acme-users",
    # ${2} will hold "[fwd] version 1.0 is out"
    fileinto "INBOX.lists.${1}"; stop;
}

# Imagine the header
# To: coyote@ACME.Example.COM
if address :matches ["To", "Cc"] ["coyote@**.com",
        "wile@**.com"] {
    # ${0} is the matching address
    # ${1} is always the empty string
    # ${2} is part of the domain name ("ACME.Example")
    fileinto "INBOX.business.${2}"; stop;
} else {
    # Control wouldn't reach this block if any match was
    # successful, so no match variables are set at this
    # point.
}

if anyof (true, address :domain :matches "To" "*.com") {
    # The second test is never evaluated, so there are
    # still no match variables set.
    stop;
}
"#,
    ),
    (
        "RFC 5230 §4.2",
        r#"require "vacation";
if header :contains "subject" "cyrus" {
    vacation "I'm out -- send mail to cyrus-bugs";
} else {
    vacation "I'm out -- call me at +1 304 555 0123";
}
"#,
    ),
    (
        "RFC 5230 §4.5",
        r#"require "vacation";
vacation :days 23 :addresses ["tjs@example.edu",
                              "ts4z@landru.example.edu"]
   "I'm away until October 19.
   If it's an emergency, call 911, I guess." ;
"#,
    ),
    (
        "RFC 5230 §4.7",
        r#"require "vacation";
if header :contains "from" "boss@example.edu" {
    redirect "pleeb@isp.example.org";
} else {
    vacation "Sorry, I'm away, I'll read your
message when I get around to it.";
}
"#,
    ),
    (
        "RFC 5230 §4.8",
        "require \"vacation\";\nvacation :mime text:\nContent-Type: multipart/alternative; boundary=foo\n\n--foo\n\nI'm at the beach relaxing.  Mmmm, surf...\n\n--foo\nContent-Type: text/html; charset=us-ascii\n\n<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.0//EN\"\n \"http://www.w3.org/TR/REC-html40/strict.dtd\">\n<HTML><HEAD><TITLE>How to relax</TITLE>\n<BASE HREF=\"http://home.example.com/pictures/\"></HEAD>\n<BODY><P>I'm at <A HREF=\"beach.gif\">the beach</A> relaxing.\nMmmm, <A HREF=\"ocean.gif\">surf</A>...\n</BODY></HTML>\n\n--foo--\n.\n;\n",
    ),
    (
        "RFC 5230 §9",
        r#"require "vacation";
vacation :days 7 :from "hemingway@example.com" "Gone Fishin'";
vacation :subject "Out of office" :handle "ran-away" "I'm out and can't read my mail.";
"#,
    ),
    (
        "RFC 6131 §3",
        r#"require ["vacation-seconds"];
vacation :addresses ["tjs@example.edu", "ts4z@landru.example.edu"]
         :seconds 1800
         "I am in a meeting, and do not have access to email.";
"#,
    ),
    (
        "RFC 5232 §6",
        r#"require ["fileinto", "imap4flags", "variables"];
if size :over 1M {
    addflag "MyFlags" "Big";
    if header :is "From" "boss@company.example.com" {
        # The message will be marked as "\Flagged Big" when filed
        addflag "MyFlags" "\\Flagged";
    }
    fileinto :flags "${MyFlags}" "Big messages";
}
if header :is "From" "grandma@example.net" {
    addflag "MyFlags" ["\\Answered", "$MDNSent"];
    fileinto :flags "${MyFlags}" "GrandMa";
}
# Handle the spam
if header :contains "Subject" "Make money fast" {
    removeflag "MyFlags" ["\\Flagged", "\\Answered"];
    setflag "\\Deleted";
    keep :flags "\\Seen";
}
if hasflag :contains "MyVar" "Junk" {
    discard;
    stop;
}
if hasflag ["\\Seen", "\\Flagged"] { keep; }
"#,
    ),
    (
        "RFC 5293 §8",
        r#"require ["editheader", "variables"];
/* Don't redirect if we already have */
if not header :contains "X-Sieve-Filtered"
        ["<kim@job.example.com>", "<kim@home.example.com>"]
{
    addheader "X-Sieve-Filtered" "<kim@job.example.com>";
    redirect "kim@home.example.com";
}
if header :matches "Subject" "*" {
    deleteheader "Subject";
    addheader :last "Subject" "[Spam] ${1}";
}
deleteheader :index 1 :last :contains "Received" "example.org";
deleteheader :matches "X-Spam-*" ["yes*", "maybe"];
"#,
    ),
    (
        "RFC 5703 §3",
        r#"require ["foreverypart", "mime", "fileinto"];
foreverypart
{
    if allof (
        header :mime :param "filename" :contains
            "Content-Disposition" "important",
        header :mime :subtype "Content-Type" "pdf",
        size :over 100K)
    {
        fileinto "INBOX.important";
        break;
    }
}
"#,
    ),
    (
        "RFC 5703 §4",
        r#"require ["mime", "fileinto"];
if header :mime :anychild :contenttype
          "Content-Type" "text/html"
{
    fileinto "INBOX.html";
}
if exists :mime :anychild "Content-Disposition" { keep; }
if address :mime :anychild :is "From" "a@example.com" { keep; }
"#,
    ),
    (
        "RFC 5703 §7",
        r#"require ["mime", "variables", "extracttext", "foreverypart"];
if header :contains "from" "boss@example.org"
{
    # :matches is used to get the value of the Subject header
    if header :matches "Subject" "*"
    {
        set "subject" "${1}";
    }
    # extract the first 100 characters of the first text/* part
    foreverypart
    {
        if header :mime :type :is "Content-Type" "text"
        {
            extracttext :first 100 "msgcontent";
            break;
        }
    }
    # if it's not a 'for your information' message
    if not header :contains "subject" "FYI:"
    {
        # do something using ${subject} and ${msgcontent}
        # such as sending a notification using a
        # notification extension
    }
}
"#,
    ),
    (
        "RFC 6609 §3.2",
        r#"require ["include"];

include :personal "always_allow";
include :global "spam_tests";
include :personal "spam_tests";
include :personal "mailing_lists";
include :once :optional "maybe";
"#,
    ),
    (
        "RFC 6609 §3.4 (including script)",
        r#"require ["variables", "include", "relational", "fileinto"];
global "test";
global "test_mailbox";

set "test" "$$";
include "subject_tests";

set "test" "Make money";
include "subject_tests";

if string :count "eq" "${test_mailbox}" "1"
{
    fileinto "${test_mailbox}";
    stop;
}
"#,
    ),
    (
        "RFC 6609 §3.4 (included script)",
        r#"require ["variables", "include"];
global ["test", "test_mailbox"];

if header :contains "Subject" "${test}"
{
    set "test_mailbox" "spam-${test}";
    return;
}
set "global.flag" "1";
if string "${global.flag}" "1" { stop; }
"#,
    ),
    (
        "RFC 3894 §3",
        r#"require ["copy", "fileinto"];
fileinto :copy "incoming";
redirect :copy "bob@example.org";
"#,
    ),
    (
        "RFC 5429 §2.1, §2.2",
        r#"require ["reject", "ereject"];
if address "from" "someone@example.com" {
    ereject "I no longer accept mail from this address";
}
if size :over 100K {
    reject text:
Your message is too big.  If you want to send me a big attachment,
put it on a public web site and send me a URL.
.
;
}
"#,
    ),
    (
        "RFC 5231 §5",
        r#"require ["relational", "comparator-i;ascii-numeric", "fileinto"];
if header :value "lt" :comparator "i;ascii-numeric"
          ["x-priority"] ["3"]
{
    fileinto "Priority";
}
elsif address :count "gt" :comparator "i;ascii-numeric"
          ["to"] ["5"]
{
    # everything with more than 5 recipients in the "to" field
    # is considered SPAM
    fileinto "SPAM";
}
elsif address :value "gt" :all :comparator "i;ascii-casemap"
          ["from"] ["M"]
{
    fileinto "From N-Z";
} else {
    fileinto "From A-M";
}
if allof ( address :count "eq" :comparator "i;ascii-numeric"
                   ["to", "cc"] ["1"] ,
           address :all :comparator "i;ascii-casemap"
                   ["to", "cc"] ["me@foo.example.com"] )
{
    fileinto "Only me";
}
"#,
    ),
    (
        "RFC 5233 §5",
        r#"require ["envelope", "subaddress", "fileinto"];

# In this example the same user account receives mail for both
# "ken@example.com" and "postmaster@example.com"

# File all messages to postmaster into a single mailbox,
# ignoring the :detail part.
if envelope :user "to" "postmaster" {
    fileinto "inbox.postmaster";
    stop;
}

# File mailing list messages (subscribed as "ken+mta-filters").
if envelope :detail "to" "mta-filters" {
    fileinto "inbox.ietf-mta-filters";
}

# Redirect all mail sent to "ken+foo".
if envelope :detail "to" "foo" {
    redirect "ken@example.net";
}
"#,
    ),
    (
        "RFC 5173 §7",
        r#"require ["body", "fileinto"];

# Save any message with any text MIME part that contains the
# words "missile" or "coordinates" in the "secrets" folder.

if body :content "text" :contains ["missile", "coordinates"] {
        fileinto "secrets";
}

# Save any message with an audio/mp3 MIME part in
# the "jukebox" folder.

if body :content "audio/mp3" :contains "" {
        fileinto "jukebox";
}
if body :raw :contains "MAKE MONEY FAST" { discard; }
if body :text :contains "project schedule" { fileinto "project/schedule"; }
"#,
    ),
    (
        "RFC 5260 §4.3, §5.3, §6.3",
        r#"require ["date", "relational", "fileinto", "variables", "editheader", "vacation", "index"];
if allof(header :is "from" "boss@example.com",
         date :value "ge" :originalzone "date" "hour" "09",
         date :value "lt" :originalzone "date" "hour" "17")
{ fileinto "urgent"; }
if anyof(date :is "received" "weekday" "0",
         date :is "received" "weekday" "6")
{ fileinto "weekend"; }
if currentdate :matches "month" "*" { set "month" "${1}"; }
if currentdate :matches "year"  "*" { set "year" "${1}"; }
fileinto "${month}-${year}";
if currentdate :matches "std11" "*"
  { addheader "Processing-date" "${0}"; }
if allof(currentdate :value "ge" "date" "2007-06-30",
         currentdate :value "le" "date" "2007-07-07")
{ vacation :days 7  "I'm away during the first week in July."; }
if date :value "gt" :index 1 :zone "-0500" "received" "iso8601" "2007-02-26T09:00:00-05:00"
{ redirect "aftercutoff@example.org"; }
if header :index 2 :matches "received" "*(* [*.*.*.*])*" { keep; }
if address :index 1 :last :is "to" "a@example.org" { keep; }
"#,
    ),
    (
        "RFC 5235 §4",
        r#"require ["spamtest", "fileinto", "relational", "comparator-i;ascii-numeric"];
if spamtest :value "eq" :comparator "i;ascii-numeric" "0"
{
    fileinto "INBOX.unclassified";
}
elsif spamtest :value "ge" :comparator "i;ascii-numeric" "3"
{
    fileinto "INBOX.spam-trap";
}
"#,
    ),
    (
        "RFC 5235 §4 (spamtestplus, virustest)",
        r#"require ["spamtestplus", "virustest", "fileinto", "relational", "comparator-i;ascii-numeric"];
if spamtest :value "eq" :comparator "i;ascii-numeric" "0"
{
    fileinto "INBOX.unclassified";
}
elsif spamtest :percent :value "eq" :comparator "i;ascii-numeric" "0"
{
    fileinto "INBOX.not-spam";
}
elsif spamtest :percent :value "lt" :comparator "i;ascii-numeric" "37"
{
    fileinto "INBOX.spam-trap";
}
if virustest :value "eq" :comparator "i;ascii-numeric" "4"
{
    fileinto "INBOX.quarantine";
}
elsif virustest :value "eq" :comparator "i;ascii-numeric" "5"
{
    discard;
}
"#,
    ),
    (
        "RFC 5183 §5",
        r#"require ["environment", "fileinto"];
if environment :contains "item" "value" { keep; }
if environment :is "location" "MS" { fileinto "moved"; }
if environment :matches "remote-host" "*.example.com" { keep; }
"#,
    ),
    (
        "RFC 5435 §9",
        r#"require ["enotify", "fileinto", "variables"];

if header :contains "from" "boss@example.org" {
    notify :importance "1"
        :message "This is probably very important"
                    "mailto:alm@example.com";
    # Don't send any further notifications
    stop;
}

if header :contains "to" "sievemailinglist@example.org" {
    # :matches is used to get the value of the Subject header
    if header :matches "Subject" "*" {
        set "subject" "${1}";
    }

    # :matches is used to get the value of the From header
    if header :matches "From" "*" {
        set "from" "${1}";
    }

    notify :importance "3"
        :message "[SIEVE] ${from}: ${subject}"
        "mailto:alm@example.com";
    fileinto "INBOX.sieve";
}
"#,
    ),
    (
        "RFC 5435 §5, §6, §7",
        r#"require ["enotify", "variables"];
if not valid_notify_method ["mailto:",
                            "http://gw.example.net/notify?test"] {
    stop;
}
if notify_method_capability
      "xmpp:tim@example.com?message;subject=SIEVE"
      "Online"
      "yes" {
    notify :importance "1" :message "You got mail"
          "mailto:tim@example.com";
} else {
    notify :from "alm@example.com" :options ["opt=value"] :message "You got mail" "mailto:tim@example.com";
}
set :encodeurl "body_param" "Safe body&evil=evilbody";
notify "mailto:tim@example.com?body=${body_param}";
"#,
    ),
    (
        "RFC 5463 §4, §5",
        r#"require ["ihave", "fileinto"];
if header :contains "From" "boss@example.com" {
    fileinto "priority";
} elsif ihave "body" {
    if body :contains "viagra" { fileinto "spam"; }
} elsif ihave "x-unknown-extension" {
    x_unknown_command "anything" :goes;
} else {
    error "this script needs the body extension";
}
"#,
    ),
    (
        "RFC 7352 §3",
        r#"require ["duplicate", "fileinto", "mailbox", "variables", "imap4flags", "envelope", "enotify"];
if duplicate {
    fileinto :create "Trash/Duplicate";
}
if header :matches "subject" "ALERT: *" {
    if duplicate :seconds 60 :uniqueid "${1}" {
        setflag "\\seen";
    }
    fileinto "Alerts";
}
if envelope :matches "from" "*" { set "sender" "${1}"; }
if header :matches "subject" "*" { set "subject" "${1}"; }
if not duplicate :seconds 1800 :uniqueid "${sender}"
{
    notify :message "[SIEVE] ${sender}: ${subject}"
           "mailto:123456789@sms.example.com";
}
if duplicate :header "X-Event-ID" :handle "notifier" :last { discard; }
"#,
    ),
    (
        "RFC 5490 §3",
        r#"require ["mailbox", "fileinto", "reject"];
if mailboxexists "Partners" {
    fileinto "Partners";
} else {
    reject "This message was not accepted by the Mailstore";
}
fileinto :create "INBOX.folder";
"#,
    ),
    (
        "RFC 8579 §5",
        r#"require ["fileinto", "special-use", "mailbox"];
fileinto :specialuse "\\Junk" "Spam";
fileinto :specialuse "\\Junk" :create "Spam";
if specialuse_exists "\\Junk" { keep; }
if specialuse_exists "Spam" ["\\Junk", "\\Archive"] { keep; }
"#,
    ),
    (
        "draft-ietf-sieve-regex-01 §3, §5",
        r#"require ["regex", "variables", "fileinto"];
if address :regex :comparator "i;ascii-casemap" "from" "^.*[.]example\\.com$" { keep; }
if header :regex "List-ID" "<(.*)\\.example\\.com>" {
    set :lower :quoteregex "list" "${1}";
    fileinto "lists.${list}";
}
"#,
    ),
];

#[test]
fn every_rfc_example_compiles() {
    for (name, source) in EXAMPLES {
        compiled(name, source);
    }
}

fn example(name: &str) -> Script {
    let (_, source) = EXAMPLES.iter().find(|(n, _)| *n == name).unwrap();
    compiled(name, source)
}

fn spec(comparator: Comparator, match_type: MatchType) -> MatchSpec {
    MatchSpec {
        comparator,
        match_type,
    }
}

#[test]
fn rfc_5228_section_9_compiles_to_one_if_chain() {
    let script = example("RFC 5228 §9");
    assert_eq!(script.extensions, vec![malt_sieve::ir::Extension::FileInto]);
    let [
        Command {
            kind: CommandKind::If { branches, otherwise },
            pos,
        },
    ] = script.commands.as_slice()
    else {
        panic!("one if chain expected: {:?}", script.commands)
    };
    assert_eq!((pos.line, pos.column), (11, 1));
    assert_eq!(branches.len(), 3);
    assert_eq!(
        branches[0].0,
        Test::Header {
            spec: spec(Comparator::AsciiCasemap, MatchType::Is),
            index: None,
            mime: None,
            names: vec![lit("Sender")],
            keys: vec![lit("owner-ietf-mta-filters@imc.org")],
        }
    );
    assert_eq!(
        branches[1].0,
        Test::Address {
            spec: spec(Comparator::AsciiCasemap, MatchType::Is),
            part: AddressPart::Domain,
            index: None,
            mime: None,
            headers: vec![lit("From"), lit("To")],
            keys: vec![lit("example.com")],
        }
    );
    let Test::AnyOf(tests) = &branches[2].0 else {
        panic!("anyof expected")
    };
    assert!(
        matches!(&tests[0], Test::Not(inner) if matches!(**inner, Test::Address { part: AddressPart::All, .. }))
    );
    assert!(matches!(
        &tests[1],
        Test::Header {
            spec: MatchSpec {
                match_type: MatchType::Matches,
                ..
            },
            ..
        }
    ));
    let otherwise = otherwise.as_ref().unwrap();
    assert!(matches!(
        &otherwise[0].kind,
        CommandKind::FileInto { mailbox, copy: false, create: false, flags: None, special_use: None }
            if *mailbox == lit("personal")
    ));
}

#[test]
fn multi_line_strings_are_unstuffed() {
    let script = example("RFC 5228 §2.4.2 multi-line strings");
    let CommandKind::If { branches, .. } = &script.commands[0].kind else {
        panic!("if expected")
    };
    assert_eq!(
        branches[0].1[0].kind,
        CommandKind::Reject {
            reason: lit(
                "Your message is too big.  If you want to send me a big attachment,\r\nput it on a public web site and send me a URL.\r\n.\r\n"
            ),
            extended: false,
        }
    );
}

#[test]
fn encoded_characters_are_decoded() {
    let script = example("RFC 5228 §2.4.2.4");
    let keys: Vec<&Test> = script
        .commands
        .iter()
        .map(|c| match &c.kind {
            CommandKind::If { branches, .. } => &branches[0].0,
            other => panic!("if expected, got {other:?}"),
        })
        .collect();
    assert!(matches!(keys[0], Test::Header { keys, .. } if *keys == vec![lit("$$$")]));
    assert!(matches!(keys[1], Test::Header { keys, .. } if *keys == vec![lit("@@@")]));
}

#[test]
fn rfc_5229_templates_and_modifiers() {
    let script = example("RFC 5229 §3");
    assert_eq!(
        script.commands[3].kind,
        CommandKind::Set {
            name: "vacation".to_owned(),
            value: Str::Template(vec![
                StrPart::Text("Dear ".to_owned()),
                StrPart::Variable("honorific".to_owned()),
                StrPart::Text(" ".to_owned()),
                StrPart::Variable("last_name".to_owned()),
                StrPart::Text(",\nI'm out, please leave a message after the meep.\n".to_owned()),
            ]),
            modifiers: vec![],
        }
    );
    let script = example("RFC 5229 §4.1");
    let modifiers: Vec<Vec<Modifier>> = script
        .commands
        .iter()
        .map(|c| match &c.kind {
            CommandKind::Set { modifiers, .. } => modifiers.clone(),
            other => panic!("set expected, got {other:?}"),
        })
        .collect();
    assert_eq!(
        modifiers,
        vec![
            vec![],
            vec![Modifier::Length],
            vec![Modifier::Lower],
            vec![Modifier::UpperFirst],
            // Written ":upperfirst :lower", applied :lower first (precedence 40, RFC 5229 §4.1).
            vec![Modifier::Lower, Modifier::UpperFirst],
            vec![Modifier::QuoteWildcard],
        ]
    );
}

#[test]
fn rfc_5230_vacation_days_become_seconds() {
    let script = example("RFC 5230 §9");
    let CommandKind::Vacation(vacation) = &script.commands[0].kind else {
        panic!("vacation expected")
    };
    assert_eq!(vacation.period_seconds, Some(7 * 86_400));
    assert_eq!(vacation.from, Some(lit("hemingway@example.com")));
    assert_eq!(vacation.reason, lit("Gone Fishin'"));
    let CommandKind::Vacation(vacation) = &script.commands[1].kind else {
        panic!("vacation expected")
    };
    assert_eq!(vacation.period_seconds, None);
    assert_eq!(vacation.subject, Some(lit("Out of office")));
    assert_eq!(vacation.handle, Some(lit("ran-away")));
    let script = example("RFC 6131 §3");
    let CommandKind::Vacation(vacation) = &script.commands[0].kind else {
        panic!("vacation expected")
    };
    assert_eq!(vacation.period_seconds, Some(1800));
    assert_eq!(vacation.addresses.len(), 2);
}

#[test]
fn rfc_5703_mime_options_and_loops() {
    let script = example("RFC 5703 §3");
    let CommandKind::ForEveryPart { name: None, body } = &script.commands[0].kind else {
        panic!("foreverypart expected")
    };
    let CommandKind::If { branches, .. } = &body[0].kind else {
        panic!("if expected")
    };
    let Test::AllOf(tests) = &branches[0].0 else {
        panic!("allof expected")
    };
    assert_eq!(
        tests[0],
        Test::Header {
            spec: spec(Comparator::AsciiCasemap, MatchType::Contains),
            index: None,
            mime: Some(MimeOpts {
                any_child: false,
                option: MimeOption::Param(vec![lit("filename")]),
            }),
            names: vec![lit("Content-Disposition")],
            keys: vec![lit("important")],
        }
    );
    assert_eq!(
        tests[2],
        Test::Size {
            over: true,
            limit: 100 * 1024
        }
    );
    assert_eq!(branches[0].1[1].kind, CommandKind::Break { name: None });

    let script = example("RFC 5703 §7");
    let text = format!("{:?}", script.commands);
    assert!(
        text.contains("ExtractText { first: Some(100), modifiers: [], variable: \"msgcontent\" }"),
        "{text}"
    );
}

#[test]
fn rfc_5260_dates_zones_and_indexes() {
    let script = example("RFC 5260 §4.3, §5.3, §6.3");
    let tests: Vec<&Test> = script
        .commands
        .iter()
        .filter_map(|c| match &c.kind {
            CommandKind::If { branches, .. } => Some(&branches[0].0),
            _ => None,
        })
        .collect();
    let Test::AllOf(first) = tests[0] else {
        panic!("allof expected")
    };
    assert_eq!(
        first[1],
        Test::Date {
            spec: spec(Comparator::AsciiCasemap, MatchType::Value(RelOp::Ge)),
            index: None,
            zone: Zone::Original,
            header: lit("date"),
            part: lit("hour"),
            keys: vec![lit("09")],
        }
    );
    assert!(matches!(
        tests[6],
        Test::Date {
            zone: Zone::Offset(-300),
            index: Some(malt_sieve::ir::Index { n: 1, last: false }),
            ..
        }
    ));
    assert!(matches!(
        tests[8],
        Test::Address {
            index: Some(malt_sieve::ir::Index { n: 1, last: true }),
            ..
        }
    ));
}

#[test]
fn rfc_5463_unknown_extensions_guard_empty_blocks() {
    let script = example("RFC 5463 §4, §5");
    let CommandKind::If { branches, otherwise } = &script.commands[0].kind else {
        panic!("if expected")
    };
    assert_eq!(
        branches[1].0,
        Test::Ihave {
            capabilities: vec!["body".to_owned()]
        }
    );
    // "body" is known: its block was checked with body enabled.
    assert!(matches!(&branches[1].1[0].kind, CommandKind::If { .. }));
    // "x-unknown-extension" is not: its block is dropped unchecked.
    assert_eq!(branches[2].1, vec![]);
    assert_eq!(
        otherwise.as_ref().unwrap()[0].kind,
        CommandKind::Error {
            message: lit("this script needs the body extension")
        }
    );
}
