//! The tests: RFC 5228 §5 (`address`, `allof`, `anyof`, `envelope`, `exists`, `false`,
//! `header`, `not`, `size`, `true`) and those of the extensions (`body` RFC 5173, `date` and
//! `currentdate` RFC 5260, `string` RFC 5229, `hasflag` RFC 5232, `environment` RFC 5183,
//! `duplicate` RFC 7352, `spamtest`/`virustest` RFC 5235, `mailboxexists` RFC 5490,
//! `specialuse_exists` RFC 8579, `valid_notify_method`/`notify_method_capability` RFC 5435,
//! `ihave` RFC 5463).
//!
//! Invariants: only `allof`, `anyof` and `not` take sub-tests; constant header names are valid
//! field names; constant `:regex` keys compile; constant envelope parts are `from` or `to`
//! (lowercased); constant date parts are those of RFC 5260 §4.2 (lowercased).

use super::args::{ADDRESS_PART, Args, COMPARATOR, INDEX, MATCH_TYPE, MIME, MIME_OPTIONS, TagSpec};
use super::syntax::{DATE_PARTS, is_address_header, is_field_name, is_special_use, zone_offset};
use super::{Compiler, TESTS};
use crate::ir::{BodyTransform, DuplicateSource, Extension, MatchSpec, Str, StringList, Test, Zone};
use crate::parse::{StringLit, TestArgs, TestNode};

impl Compiler {
    /// One test.
    pub(super) fn test(&mut self, node: &TestNode) -> Option<Test> {
        if !self.check_known("test", &node.name, node.pos, TESTS) {
            return None;
        }
        match node.name.as_str() {
            "allof" | "anyof" => return self.test_list(node),
            "not" => return self.not(node),
            _ => {}
        }
        let sub_test_pos = match &node.tests {
            TestArgs::None => None,
            TestArgs::One(test) => Some(test.pos),
            TestArgs::List(pos, _) => Some(*pos),
        };
        if let Some(pos) = sub_test_pos {
            self.error(pos, format!("the {} test does not take sub-tests", node.name));
            return None;
        }
        match node.name.as_str() {
            "true" => self.no_test_args(node).map(|()| Test::True),
            "false" => self.no_test_args(node).map(|()| Test::False),
            "address" => self.address(node),
            "envelope" => self.envelope(node),
            "header" => self.header(node),
            "exists" => self.exists(node),
            "size" => self.size(node),
            "body" => self.body(node),
            "date" => self.date(node),
            "currentdate" => self.currentdate(node),
            "string" => self.string_test(node),
            "hasflag" => self.hasflag(node),
            "environment" => self.environment(node),
            "duplicate" => self.duplicate(node),
            "spamtest" => self.spamtest(node),
            "virustest" => self.virustest(node),
            "mailboxexists" => self.mailboxexists(node),
            "specialuse_exists" => self.specialuse_exists(node),
            "valid_notify_method" => self.valid_notify_method(node),
            "notify_method_capability" => self.notify_method_capability(node),
            _ => self.ihave(node),
        }
    }

    fn no_test_args(&mut self, node: &TestNode) -> Option<()> {
        self.test_args(node, &[])?.positionals().finish(self)
    }

    /// `allof <tests: test-list>` / `anyof <tests: test-list>` (RFC 5228 §5.2, §5.3).
    fn test_list(&mut self, node: &TestNode) -> Option<Test> {
        let args_ok = self.no_test_args(node);
        let tests = match &node.tests {
            TestArgs::List(_, tests) => tests,
            TestArgs::One(test) => {
                self.error(
                    test.pos,
                    format!(
                        "the {} test requires a list of tests in parentheses, but a single test was given",
                        node.name
                    ),
                );
                return None;
            }
            TestArgs::None => {
                self.error(
                    node.pos,
                    format!("the {} test requires a list of tests", node.name),
                );
                return None;
            }
        };
        let compiled: Vec<Option<Test>> = tests.iter().map(|t| self.test(t)).collect();
        let compiled: Vec<Test> = compiled.into_iter().collect::<Option<_>>()?;
        args_ok?;
        Some(if node.name == "allof" {
            Test::AllOf(compiled)
        } else {
            Test::AnyOf(compiled)
        })
    }

    /// `not <test1: test>` (RFC 5228 §5.8).
    fn not(&mut self, node: &TestNode) -> Option<Test> {
        let args_ok = self.no_test_args(node);
        let test = match &node.tests {
            TestArgs::One(test) => test,
            TestArgs::List(pos, _) => {
                self.error(
                    *pos,
                    "the not test requires one test, but a list of tests was given",
                );
                return None;
            }
            TestArgs::None => {
                self.error(node.pos, "the not test requires a test");
                return None;
            }
        };
        let test = self.test(test)?;
        args_ok?;
        Some(Test::Not(Box::new(test)))
    }

    /// The key list of a matching test, with `:regex` keys checked.
    fn keys(&mut self, spec: &MatchSpec, lits: &[StringLit]) -> Option<StringList> {
        let keys = self.string_list(lits)?;
        self.check_regex_keys(spec, lits, &keys)?;
        Some(keys)
    }

    /// A list of header names; constant ones must be valid field names (RFC 5322 §3.6.8) and,
    /// for `address`, fields that hold addresses (RFC 5228 §5.1).
    fn header_names(&mut self, args: &Args, lits: &[StringLit], addresses: bool) -> Option<StringList> {
        let names = self.string_list(lits)?;
        let mut ok = true;
        for (lit, name) in lits.iter().zip(&names) {
            let Str::Literal(name) = name else { continue };
            if !is_field_name(name) {
                self.error(
                    lit.pos,
                    format!("invalid header field name '{name}' for {}", args.what),
                );
                ok = false;
            } else if addresses && !is_address_header(name) {
                self.error(
                    lit.pos,
                    format!("the address test does not accept header '{name}', which holds no addresses"),
                );
                ok = false;
            }
        }
        ok.then_some(names)
    }

    /// One header name (`date`, `duplicate :header`).
    fn header_name(&mut self, args: &Args, lit: &StringLit) -> Option<Str> {
        let mut names = self.header_names(args, std::slice::from_ref(lit), false)?;
        names.pop()
    }

    /// `address [COMPARATOR] [ADDRESS-PART] [MATCH-TYPE] [:index] [:mime [:anychild]]
    /// <header-list: string-list> <key-list: string-list>` (RFC 5228 §5.1, RFC 5260 §6,
    /// RFC 5703 §4).
    fn address(&mut self, node: &TestNode) -> Option<Test> {
        let args = self.test_args(node, &[COMPARATOR, MATCH_TYPE, ADDRESS_PART, INDEX, MIME])?;
        let mut positionals = args.positionals();
        let headers = positionals.list(self, "header list");
        let keys = positionals.list(self, "key list");
        positionals.finish(self)?;
        let (headers, keys) = (headers?, keys?);
        let spec = self.match_spec(&args);
        let index = self.index(&args);
        let mime = self.mime_opts(&args);
        let headers = self.header_names(&args, headers, true);
        let spec = spec?;
        let keys = self.keys(&spec, keys)?;
        Some(Test::Address {
            part: Self::address_part(&args),
            index: index?,
            mime: mime?,
            headers: headers?,
            keys,
            spec,
        })
    }

    /// `envelope [COMPARATOR] [ADDRESS-PART] [MATCH-TYPE] <envelope-part: string-list>
    /// <key-list: string-list>` (RFC 5228 §5.4); the parts Malt knows are `from` and `to`.
    fn envelope(&mut self, node: &TestNode) -> Option<Test> {
        let args = self.test_args(node, &[COMPARATOR, MATCH_TYPE, ADDRESS_PART])?;
        let mut positionals = args.positionals();
        let parts = positionals.list(self, "envelope parts");
        let keys = positionals.list(self, "key list");
        positionals.finish(self)?;
        let (part_lits, keys) = (parts?, keys?);
        let spec = self.match_spec(&args);
        let mut parts = self.string_list(part_lits)?;
        let mut ok = true;
        for (lit, part) in part_lits.iter().zip(parts.iter_mut()) {
            if let Str::Literal(name) = part {
                name.make_ascii_lowercase();
                if name != "from" && name != "to" {
                    self.error(
                        lit.pos,
                        format!("the envelope test does not support the envelope part '{name}' (only \"from\" and \"to\")"),
                    );
                    ok = false;
                }
            }
        }
        let spec = spec?;
        let keys = self.keys(&spec, keys)?;
        ok.then_some(Test::Envelope {
            part: Self::address_part(&args),
            parts,
            keys,
            spec,
        })
    }

    /// `header [COMPARATOR] [MATCH-TYPE] [:index] [:mime [:anychild] [option]]
    /// <header-names: string-list> <key-list: string-list>` (RFC 5228 §5.7, RFC 5703 §4).
    fn header(&mut self, node: &TestNode) -> Option<Test> {
        let args = self.test_args(node, &[COMPARATOR, MATCH_TYPE, INDEX, MIME, MIME_OPTIONS])?;
        let mut positionals = args.positionals();
        let names = positionals.list(self, "header names");
        let keys = positionals.list(self, "key list");
        positionals.finish(self)?;
        let (names, keys) = (names?, keys?);
        let spec = self.match_spec(&args);
        let index = self.index(&args);
        let mime = self.mime_opts(&args);
        let names = self.header_names(&args, names, false);
        let spec = spec?;
        let keys = self.keys(&spec, keys)?;
        Some(Test::Header {
            index: index?,
            mime: mime?,
            names: names?,
            keys,
            spec,
        })
    }

    /// `exists [:mime [:anychild]] <header-names: string-list>` (RFC 5228 §5.5).
    fn exists(&mut self, node: &TestNode) -> Option<Test> {
        let args = self.test_args(node, &[MIME])?;
        let mut positionals = args.positionals();
        let names = positionals.list(self, "header names");
        positionals.finish(self)?;
        let mime = self.mime_opts(&args);
        let names = self.header_names(&args, names?, false)?;
        Some(Test::Exists { mime: mime?, names })
    }

    /// `size <":over" / ":under"> <limit: number>` (RFC 5228 §5.9): exactly one of the two.
    fn size(&mut self, node: &TestNode) -> Option<Test> {
        const OVER_UNDER: &str = "only one of :over and :under may be given";
        const TAGS: &[TagSpec] = &[
            TagSpec::flag("over").group(OVER_UNDER),
            TagSpec::flag("under").group(OVER_UNDER),
        ];
        let args = self.test_args(node, &[TAGS])?;
        let mut positionals = args.positionals();
        let limit = positionals.number(self, "limit");
        positionals.finish(self)?;
        if !args.has("over") && !args.has("under") {
            self.error(node.pos, "the size test requires either :over or :under");
            return None;
        }
        Some(Test::Size {
            over: args.has("over"),
            limit: limit?,
        })
    }

    /// `body [COMPARATOR] [MATCH-TYPE] [BODY-TRANSFORM] <key-list: string-list>` (RFC 5173 §4,
    /// §5: `:raw`, `:content <types>`, `:text`, the default).
    fn body(&mut self, node: &TestNode) -> Option<Test> {
        const TRANSFORM: &str = "only one of :raw, :content and :text may be given";
        const TAGS: &[TagSpec] = &[
            TagSpec::flag("raw").group(TRANSFORM),
            TagSpec::list("content").group(TRANSFORM),
            TagSpec::flag("text").group(TRANSFORM),
        ];
        let args = self.test_args(node, &[COMPARATOR, MATCH_TYPE, TAGS])?;
        let mut positionals = args.positionals();
        let keys = positionals.list(self, "key list");
        positionals.finish(self)?;
        let spec = self.match_spec(&args);
        let transform = match args.list("content") {
            Some(types) => Some(BodyTransform::Content(self.string_list(types)?)),
            None if args.has("raw") => Some(BodyTransform::Raw),
            None => Some(BodyTransform::Text),
        };
        let spec = spec?;
        let keys = self.keys(&spec, keys?)?;
        Some(Test::Body {
            transform: transform?,
            keys,
            spec,
        })
    }

    /// The `:zone` / `:originalzone` of `date` and `currentdate` (RFC 5260 §4.1).
    fn zone(&mut self, args: &Args) -> Option<Zone> {
        if args.has("originalzone") {
            return Some(Zone::Original);
        }
        let Some(lit) = args.string("zone") else {
            return Some(Zone::Local);
        };
        let zone = self.constant(lit, "the :zone argument")?;
        match zone_offset(&zone) {
            Some(minutes) => Some(Zone::Offset(minutes)),
            None => {
                self.error(
                    lit.pos,
                    format!("invalid :zone argument '{zone}' (expected \"+hhmm\" or \"-hhmm\")"),
                );
                None
            }
        }
    }

    /// A date part (RFC 5260 §4.2), lowercased when constant.
    fn date_part(&mut self, lit: &StringLit) -> Option<Str> {
        match self.string(lit)? {
            Str::Literal(part) => {
                let part = part.to_ascii_lowercase();
                if DATE_PARTS.contains(&part.as_str()) {
                    Some(Str::Literal(part))
                } else {
                    self.error(lit.pos, format!("unknown date part '{part}'"));
                    None
                }
            }
            template => Some(template),
        }
    }

    /// `date [":zone" <time-zone: string> / ":originalzone"] [COMPARATOR] [MATCH-TYPE]
    /// [:index] <header-name: string> <date-part: string> <key-list: string-list>`
    /// (RFC 5260 §4).
    fn date(&mut self, node: &TestNode) -> Option<Test> {
        const ZONE: &str = "only one of :zone and :originalzone may be given";
        const TAGS: &[TagSpec] = &[
            TagSpec::string("zone").group(ZONE),
            TagSpec::flag("originalzone").group(ZONE),
        ];
        let args = self.test_args(node, &[TAGS, COMPARATOR, MATCH_TYPE, INDEX])?;
        let mut positionals = args.positionals();
        let header = positionals.string(self, "header name");
        let part = positionals.string(self, "date part");
        let keys = positionals.list(self, "key list");
        positionals.finish(self)?;
        let (header, part, keys) = (header?, part?, keys?);
        let spec = self.match_spec(&args);
        let index = self.index(&args);
        let zone = self.zone(&args);
        let header = self.header_name(&args, header);
        let part = self.date_part(part);
        let spec = spec?;
        let keys = self.keys(&spec, keys)?;
        Some(Test::Date {
            index: index?,
            zone: zone?,
            header: header?,
            part: part?,
            keys,
            spec,
        })
    }

    /// `currentdate [":zone" <time-zone: string>] [COMPARATOR] [MATCH-TYPE]
    /// <date-part: string> <key-list: string-list>` (RFC 5260 §5).
    fn currentdate(&mut self, node: &TestNode) -> Option<Test> {
        let args = self.test_args(node, &[&[TagSpec::string("zone")], COMPARATOR, MATCH_TYPE])?;
        let mut positionals = args.positionals();
        let part = positionals.string(self, "date part");
        let keys = positionals.list(self, "key list");
        positionals.finish(self)?;
        let (part, keys) = (part?, keys?);
        let spec = self.match_spec(&args);
        let zone = self.zone(&args);
        let part = self.date_part(part);
        let spec = spec?;
        let keys = self.keys(&spec, keys)?;
        Some(Test::CurrentDate {
            zone: zone?,
            part: part?,
            keys,
            spec,
        })
    }

    /// A test of the form `name [COMPARATOR] [MATCH-TYPE] <a: string-list> <keys>`: the match
    /// spec, the first list and the keys.
    fn list_and_keys(&mut self, node: &TestNode, first: &str) -> Option<(MatchSpec, StringList, StringList)> {
        let args = self.test_args(node, &[COMPARATOR, MATCH_TYPE])?;
        let mut positionals = args.positionals();
        let values = positionals.list(self, first);
        let keys = positionals.list(self, "key list");
        positionals.finish(self)?;
        let (values, keys) = (values?, keys?);
        let spec = self.match_spec(&args);
        let values = self.string_list(values);
        let spec = spec?;
        let keys = self.keys(&spec, keys)?;
        Some((spec, values?, keys))
    }

    /// `string [MATCH-TYPE] [COMPARATOR] <source: string-list> <key-list: string-list>`
    /// (RFC 5229 §5).
    fn string_test(&mut self, node: &TestNode) -> Option<Test> {
        let (spec, sources, keys) = self.list_and_keys(node, "source strings")?;
        Some(Test::String { spec, sources, keys })
    }

    /// `hasflag [MATCH-TYPE] [COMPARATOR] [<variable-list: string-list>]
    /// <list-of-flags: string-list>` (RFC 5232 §4); the variable list needs `variables`.
    fn hasflag(&mut self, node: &TestNode) -> Option<Test> {
        let args = self.test_args(node, &[COMPARATOR, MATCH_TYPE])?;
        let mut positionals = args.positionals();
        let variables = if args.positional_count() > 1 {
            Some(positionals.list(self, "variable names"))
        } else {
            None
        };
        let flags = positionals.list(self, "flags");
        positionals.finish(self)?;
        let spec = self.match_spec(&args);
        let variables = match variables {
            None => Some(Vec::new()),
            Some(lits) => self.flag_variables(node.pos, "the hasflag test", lits?),
        };
        let spec = spec?;
        let keys = self.keys(&spec, flags?)?;
        Some(Test::HasFlag {
            variables: variables?,
            keys,
            spec,
        })
    }

    /// The variables named by an imap4flags command or test (RFC 5232 §3, §4), which only
    /// `variables` allows.
    pub(super) fn flag_variables(
        &mut self,
        pos: crate::ir::Position,
        what: &str,
        lits: &[StringLit],
    ) -> Option<Vec<String>> {
        if !self.enabled(Extension::Variables) {
            self.error(
                pos,
                format!("{what} takes variable names only with the \"variables\" extension"),
            );
            return None;
        }
        let names: Vec<Option<String>> = lits.iter().map(|lit| self.variable_name(lit, true)).collect();
        names.into_iter().collect()
    }

    /// `environment [COMPARATOR] [MATCH-TYPE] <name: string> <key-list: string-list>`
    /// (RFC 5183 §4).
    fn environment(&mut self, node: &TestNode) -> Option<Test> {
        let args = self.test_args(node, &[COMPARATOR, MATCH_TYPE])?;
        let mut positionals = args.positionals();
        let name = positionals.string(self, "item name");
        let keys = positionals.list(self, "key list");
        positionals.finish(self)?;
        let (name, keys) = (name?, keys?);
        let spec = self.match_spec(&args);
        let name = self.string(name);
        let spec = spec?;
        let keys = self.keys(&spec, keys)?;
        Some(Test::Environment {
            name: name?,
            keys,
            spec,
        })
    }

    /// `duplicate [":handle" <handle: string>] [":header" <header-name: string> /
    /// ":uniqueid" <value: string>] [":seconds" <timeout: number>] [":last"]` (RFC 7352 §3).
    fn duplicate(&mut self, node: &TestNode) -> Option<Test> {
        const SOURCE: &str = "only one of :header and :uniqueid may be given";
        const TAGS: &[TagSpec] = &[
            TagSpec::string("handle"),
            TagSpec::string("header").group(SOURCE),
            TagSpec::string("uniqueid").group(SOURCE),
            TagSpec::number("seconds"),
            TagSpec::flag("last"),
        ];
        let args = self.test_args(node, &[TAGS])?;
        args.positionals().finish(self)?;
        let handle = self.optional_string(args.string("handle"));
        let source = match (args.string("header"), args.string("uniqueid")) {
            (Some(header), _) => self.header_name(&args, header).map(DuplicateSource::Header),
            (None, Some(id)) => self.string(id).map(DuplicateSource::UniqueId),
            (None, None) => Some(DuplicateSource::MessageId),
        };
        Some(Test::Duplicate {
            handle: handle?,
            source: source?,
            seconds: args.number("seconds"),
            last: args.has("last"),
        })
    }

    /// `spamtest [":percent"] [COMPARATOR] [MATCH-TYPE] <value: string>` (RFC 5235 §3.2;
    /// `:percent` needs `spamtestplus`, §3.3).
    fn spamtest(&mut self, node: &TestNode) -> Option<Test> {
        const TAGS: &[TagSpec] = &[TagSpec::flag("percent").needs(Extension::SpamTestPlus)];
        let args = self.test_args(node, &[TAGS, COMPARATOR, MATCH_TYPE])?;
        let (spec, value) = self.score_test(&args)?;
        Some(Test::SpamTest {
            spec,
            percent: args.has("percent"),
            value,
        })
    }

    /// `virustest [COMPARATOR] [MATCH-TYPE] <value: string>` (RFC 5235 §3.4).
    fn virustest(&mut self, node: &TestNode) -> Option<Test> {
        let args = self.test_args(node, &[COMPARATOR, MATCH_TYPE])?;
        let (spec, value) = self.score_test(&args)?;
        Some(Test::VirusTest { spec, value })
    }

    /// The match spec and value of `spamtest` / `virustest`.
    fn score_test(&mut self, args: &Args) -> Option<(MatchSpec, Str)> {
        let mut positionals = args.positionals();
        let value = positionals.string(self, "value");
        positionals.finish(self)?;
        let value = value?;
        let spec = self.match_spec(args)?;
        let mut keys = self.keys(&spec, std::slice::from_ref(value))?;
        Some((spec, keys.pop()?))
    }

    /// `mailboxexists <mailbox-names: string-list>` (RFC 5490 §3.1).
    fn mailboxexists(&mut self, node: &TestNode) -> Option<Test> {
        let names = self.single_list(node, "mailbox names")?;
        Some(Test::MailboxExists { names })
    }

    /// `valid_notify_method <notification-uris: string-list>` (RFC 5435 §5).
    fn valid_notify_method(&mut self, node: &TestNode) -> Option<Test> {
        let uris = self.single_list(node, "notification URIs")?;
        Some(Test::ValidNotifyMethod { uris })
    }

    /// A test whose only argument is a string list.
    fn single_list(&mut self, node: &TestNode, name: &str) -> Option<StringList> {
        let args = self.test_args(node, &[])?;
        let mut positionals = args.positionals();
        let list = positionals.list(self, name);
        positionals.finish(self)?;
        self.string_list(list?)
    }

    /// `specialuse_exists [<mailbox: string>] <special-use-flags: string-list>` (RFC 8579 §4).
    fn specialuse_exists(&mut self, node: &TestNode) -> Option<Test> {
        let args = self.test_args(node, &[])?;
        let mut positionals = args.positionals();
        let mailbox = if args.positional_count() > 1 {
            Some(positionals.string(self, "mailbox"))
        } else {
            None
        };
        let uses = positionals.list(self, "special-use flags");
        positionals.finish(self)?;
        let mailbox = match mailbox {
            Some(lit) => Some(Some(self.string(lit?)?)),
            None => Some(None),
        };
        let uses = self.special_uses(uses?);
        Some(Test::SpecialUseExists {
            mailbox: mailbox?,
            uses: uses?,
        })
    }

    /// Special-use flags; constant ones must be `\` and an atom (RFC 6154 §2).
    pub(super) fn special_uses(&mut self, lits: &[StringLit]) -> Option<StringList> {
        let uses = self.string_list(lits)?;
        let mut ok = true;
        for (lit, flag) in lits.iter().zip(&uses) {
            if let Str::Literal(flag) = flag
                && !is_special_use(flag)
            {
                self.error(
                    lit.pos,
                    format!("invalid special-use flag '{flag}' (expected a backslash and a name, such as \"\\\\Junk\")"),
                );
                ok = false;
            }
        }
        ok.then_some(uses)
    }

    /// `notify_method_capability [COMPARATOR] [MATCH-TYPE] <notification-uri: string>
    /// <notification-capability: string> <key-list: string-list>` (RFC 5435 §6).
    fn notify_method_capability(&mut self, node: &TestNode) -> Option<Test> {
        let args = self.test_args(node, &[COMPARATOR, MATCH_TYPE])?;
        let mut positionals = args.positionals();
        let uri = positionals.string(self, "notification URI");
        let capability = positionals.string(self, "notification capability");
        let keys = positionals.list(self, "key list");
        positionals.finish(self)?;
        let (uri, capability, keys) = (uri?, capability?, keys?);
        let spec = self.match_spec(&args);
        let uri = self.string(uri);
        let capability = self.string(capability);
        let spec = spec?;
        let keys = self.keys(&spec, keys)?;
        Some(Test::NotifyMethodCapability {
            uri: uri?,
            capability: capability?,
            keys,
            spec,
        })
    }

    /// `ihave <capabilities: string-list>` (RFC 5463 §4): constant names; unknown ones are not
    /// errors (the test is then false, and the block it guards is not checked).
    fn ihave(&mut self, node: &TestNode) -> Option<Test> {
        let args = self.test_args(node, &[])?;
        let mut positionals = args.positionals();
        let capabilities = positionals.list(self, "capabilities");
        positionals.finish(self)?;
        let names: Vec<Option<String>> = capabilities?
            .iter()
            .map(|lit| self.constant(lit, "the capability of the ihave test"))
            .collect();
        Some(Test::Ihave {
            capabilities: names.into_iter().collect::<Option<_>>()?,
        })
    }

    /// An optional string argument.
    pub(super) fn optional_string(&mut self, lit: Option<&StringLit>) -> Option<Option<Str>> {
        match lit {
            Some(lit) => self.string(lit).map(Some),
            None => Some(None),
        }
    }
}
