//! Matching one command's or test's arguments against what it accepts (RFC 5228 §2.6): tagged
//! arguments first, in any order, each known to the command, required by the script, given once
//! and not in conflict with another of its group; then the positional arguments, counted and
//! typed. Also the argument groups many tests share: COMPARATOR, MATCH-TYPE (RFC 5228 §2.7,
//! RFC 5231, regex draft), ADDRESS-PART (§2.7.4, RFC 5233), `:index` (RFC 5260 §6) and `:mime`
//! (RFC 5703 §4).
//!
//! Invariant: every function here that returns `None` has reported why through
//! [`Compiler::error`]; the caller just stops building that node.

use super::{Compiler, regex_keys};
use crate::ir::{
    AddressPart, Comparator, Extension, Index, MatchSpec, MatchType, MimeOption, MimeOpts, Position, RelOp,
    Str,
};
use crate::parse::{Argument, StringLit, Value};

/// What a tagged argument takes after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TagValue {
    Flag,
    String,
    StringList,
    Number,
}

/// One tagged argument a command or test accepts.
#[derive(Debug, Clone, Copy)]
pub(super) struct TagSpec {
    /// Without the colon.
    pub name: &'static str,
    pub value: TagValue,
    /// Tags with the same group exclude each other; the text says why, for the error message.
    pub group: Option<&'static str>,
    /// The extension the script must require to use the tag.
    pub needs: Option<Extension>,
}

const fn tag(name: &'static str, value: TagValue) -> TagSpec {
    TagSpec {
        name,
        value,
        group: None,
        needs: None,
    }
}

impl TagSpec {
    pub(super) const fn flag(name: &'static str) -> TagSpec {
        tag(name, TagValue::Flag)
    }
    pub(super) const fn string(name: &'static str) -> TagSpec {
        tag(name, TagValue::String)
    }
    pub(super) const fn list(name: &'static str) -> TagSpec {
        tag(name, TagValue::StringList)
    }
    pub(super) const fn number(name: &'static str) -> TagSpec {
        tag(name, TagValue::Number)
    }
    pub(super) const fn group(self, group: &'static str) -> TagSpec {
        TagSpec {
            group: Some(group),
            ..self
        }
    }
    pub(super) const fn needs(self, extension: Extension) -> TagSpec {
        TagSpec {
            needs: Some(extension),
            ..self
        }
    }
}

const MATCH_GROUP: &str = "only one match type may be given";
const ADDRESS_PART_GROUP: &str = "only one address part may be given";

/// `:comparator <string>` (RFC 5228 §2.7.3).
pub(super) const COMPARATOR: &[TagSpec] = &[TagSpec::string("comparator")];

/// MATCH-TYPE (RFC 5228 §2.7.1, RFC 5231 §4, regex draft §3).
pub(super) const MATCH_TYPE: &[TagSpec] = &[
    TagSpec::flag("is").group(MATCH_GROUP),
    TagSpec::flag("contains").group(MATCH_GROUP),
    TagSpec::flag("matches").group(MATCH_GROUP),
    TagSpec::flag("regex").group(MATCH_GROUP).needs(Extension::Regex),
    TagSpec::string("value")
        .group(MATCH_GROUP)
        .needs(Extension::Relational),
    TagSpec::string("count")
        .group(MATCH_GROUP)
        .needs(Extension::Relational),
];

/// ADDRESS-PART (RFC 5228 §2.7.4, RFC 5233 §4).
pub(super) const ADDRESS_PART: &[TagSpec] = &[
    TagSpec::flag("all").group(ADDRESS_PART_GROUP),
    TagSpec::flag("localpart").group(ADDRESS_PART_GROUP),
    TagSpec::flag("domain").group(ADDRESS_PART_GROUP),
    TagSpec::flag("user")
        .group(ADDRESS_PART_GROUP)
        .needs(Extension::Subaddress),
    TagSpec::flag("detail")
        .group(ADDRESS_PART_GROUP)
        .needs(Extension::Subaddress),
];

/// `:index <number> [:last]` of `header`, `address` and `date` (RFC 5260 §6).
pub(super) const INDEX: &[TagSpec] = &[
    TagSpec::number("index").needs(Extension::Index),
    TagSpec::flag("last").needs(Extension::Index),
];

/// `:mime [:anychild]` of `header`, `address` and `exists` (RFC 5703 §4).
pub(super) const MIME: &[TagSpec] = &[
    TagSpec::flag("mime").needs(Extension::Mime),
    TagSpec::flag("anychild").needs(Extension::Mime),
];

const MIME_OPTION_GROUP: &str = "only one of :type, :subtype, :contenttype and :param may be given";

/// The `:mime` options only `header` takes (RFC 5703 §4.2).
pub(super) const MIME_OPTIONS: &[TagSpec] = &[
    TagSpec::flag("type")
        .group(MIME_OPTION_GROUP)
        .needs(Extension::Mime),
    TagSpec::flag("subtype")
        .group(MIME_OPTION_GROUP)
        .needs(Extension::Mime),
    TagSpec::flag("contenttype")
        .group(MIME_OPTION_GROUP)
        .needs(Extension::Mime),
    TagSpec::list("param")
        .group(MIME_OPTION_GROUP)
        .needs(Extension::Mime),
];

/// A tagged argument as given, with its value typed as its [`TagSpec`] says.
#[derive(Debug)]
struct Tagged<'t> {
    name: &'static str,
    pos: Position,
    value: TagArg<'t>,
}

#[derive(Debug)]
enum TagArg<'t> {
    Flag,
    String(&'t StringLit),
    List(&'t [StringLit]),
    Number(u64),
}

/// The arguments of one command or test, split into tags and positionals.
#[derive(Debug)]
pub(super) struct Args<'t> {
    /// "the header test", "the keep command": how messages name the node.
    pub what: String,
    /// Where the node starts (for errors about missing arguments).
    pub pos: Position,
    tags: Vec<Tagged<'t>>,
    positional: &'t [Argument],
}

impl<'t> Args<'t> {
    pub(super) fn has(&self, name: &str) -> bool {
        self.tags.iter().any(|t| t.name == name)
    }

    fn find(&self, name: &str) -> Option<&Tagged<'t>> {
        self.tags.iter().find(|t| t.name == name)
    }

    /// The position of a tag given, for errors about it.
    pub(super) fn tag_pos(&self, name: &str) -> Option<Position> {
        self.find(name).map(|t| t.pos)
    }

    pub(super) fn string(&self, name: &str) -> Option<&'t StringLit> {
        match self.find(name)?.value {
            TagArg::String(s) => Some(s),
            _ => None,
        }
    }

    pub(super) fn list(&self, name: &str) -> Option<&'t [StringLit]> {
        match self.find(name)?.value {
            TagArg::List(l) => Some(l),
            _ => None,
        }
    }

    pub(super) fn number(&self, name: &str) -> Option<u64> {
        match self.find(name)?.value {
            TagArg::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The first tag given among `names`, in the order written.
    pub(super) fn first_of(&self, names: &[&str]) -> Option<&'static str> {
        self.tags.iter().find(|t| names.contains(&t.name)).map(|t| t.name)
    }

    /// The tags given, in the order written.
    pub(super) fn tag_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.tags.iter().map(|t| t.name)
    }

    /// A reader of the positional arguments.
    pub(super) fn positionals(&self) -> Positionals<'t> {
        Positionals {
            what: self.what.clone(),
            pos: self.pos,
            args: self.positional,
            index: 0,
        }
    }

    pub(super) fn positional_count(&self) -> usize {
        self.positional.len()
    }
}

/// Reads positional arguments in order, checking each one's type (RFC 5228 §2.6.1).
pub(super) struct Positionals<'t> {
    what: String,
    pos: Position,
    args: &'t [Argument],
    index: usize,
}

const ORDINALS: [&str; 4] = ["first", "second", "third", "fourth"];

impl<'t> Positionals<'t> {
    fn take(&mut self, cx: &mut Compiler, kind: &str, name: &str) -> Option<&'t Argument> {
        let ordinal = ORDINALS.get(self.index).copied().unwrap_or("next");
        self.index += 1;
        let arg = self.args.get(self.index - 1);
        if arg.is_none() {
            cx.error(
                self.pos,
                format!(
                    "{} expects a {kind} as {ordinal} positional argument ({name}), but none was found",
                    self.what
                ),
            );
        }
        arg
    }

    fn wrong_type(&self, cx: &mut Compiler, arg: &Argument, kind: &str, name: &str) {
        let ordinal = ORDINALS
            .get(self.index.saturating_sub(1))
            .copied()
            .unwrap_or("next");
        cx.error(
            arg.pos,
            format!(
                "{} expects a {kind} as {ordinal} positional argument ({name}), but {} was found",
                self.what,
                describe(&arg.value)
            ),
        );
    }

    /// A single string.
    pub(super) fn string(&mut self, cx: &mut Compiler, name: &str) -> Option<&'t StringLit> {
        let arg = self.take(cx, "string", name)?;
        match &arg.value {
            Value::String(s) => Some(s),
            _ => {
                self.wrong_type(cx, arg, "string", name);
                None
            }
        }
    }

    /// A string list (a single string is a list of one, RFC 5228 §2.4.2.1).
    pub(super) fn list(&mut self, cx: &mut Compiler, name: &str) -> Option<&'t [StringLit]> {
        let arg = self.take(cx, "string list", name)?;
        match &arg.value {
            Value::String(s) => Some(std::slice::from_ref(s)),
            Value::StringList(l) => Some(l),
            _ => {
                self.wrong_type(cx, arg, "string list", name);
                None
            }
        }
    }

    pub(super) fn number(&mut self, cx: &mut Compiler, name: &str) -> Option<u64> {
        let arg = self.take(cx, "number", name)?;
        match arg.value {
            Value::Number(n) => Some(n),
            _ => {
                self.wrong_type(cx, arg, "number", name);
                None
            }
        }
    }

    /// Reports arguments left over.
    pub(super) fn finish(self, cx: &mut Compiler) -> Option<()> {
        match self.args.get(self.index) {
            None => Some(()),
            Some(extra) => {
                let count = match self.index {
                    0 => "no positional arguments".to_owned(),
                    1 => "1 positional argument".to_owned(),
                    n => format!("{n} positional arguments"),
                };
                cx.error(
                    extra.pos,
                    format!("{} takes {count}, but more were found", self.what),
                );
                None
            }
        }
    }
}

/// How an argument reads in an error message.
fn describe(value: &Value) -> String {
    match value {
        Value::Tag(name) => format!("tag ':{name}'"),
        Value::Number(n) => format!("number {n}"),
        Value::String(_) => "a string".to_owned(),
        Value::StringList(_) => "a string list".to_owned(),
    }
}

impl Compiler {
    /// Splits `args` into tags (checked against `specs`) and positionals.
    pub(super) fn split_args<'t>(
        &mut self,
        what: String,
        pos: Position,
        args: &'t [Argument],
        specs: &[&[TagSpec]],
    ) -> Option<Args<'t>> {
        let mut tags: Vec<Tagged<'t>> = Vec::new();
        let mut ok = true;
        let mut rest = args;
        while let Some((first, after)) = rest.split_first() {
            let Value::Tag(name) = &first.value else {
                break;
            };
            rest = after;
            let Some(spec) = specs.iter().flat_map(|s| s.iter()).find(|s| s.name == name) else {
                self.error(first.pos, format!("unknown tagged argument ':{name}' for {what}"));
                ok = false;
                continue;
            };
            let value = match spec.value {
                TagValue::Flag => Some(TagArg::Flag),
                kind => {
                    let value = rest.first();
                    rest = rest.get(1..).unwrap_or(&[]);
                    let typed = match (kind, value.map(|v| &v.value)) {
                        (TagValue::String, Some(Value::String(s))) => Some(TagArg::String(s)),
                        (TagValue::StringList, Some(Value::String(s))) => {
                            Some(TagArg::List(std::slice::from_ref(s)))
                        }
                        (TagValue::StringList, Some(Value::StringList(l))) => Some(TagArg::List(l)),
                        (TagValue::Number, Some(Value::Number(n))) => Some(TagArg::Number(*n)),
                        _ => None,
                    };
                    if typed.is_none() {
                        let expected = match kind {
                            TagValue::String => "a string",
                            TagValue::StringList => "a string list",
                            _ => "a number",
                        };
                        let found = value.map_or("nothing".to_owned(), |v| describe(&v.value));
                        self.error(
                            value.map_or(first.pos, |v| v.pos),
                            format!("the :{name} tag of {what} expects {expected}, but {found} was found"),
                        );
                    }
                    typed
                }
            };
            let Some(value) = value else {
                ok = false;
                continue;
            };
            if let Some(extension) = spec.needs
                && !self.enabled(extension)
            {
                self.error(
                    first.pos,
                    format!(
                        "the :{name} tag of {what} requires the \"{}\" extension",
                        extension.capability()
                    ),
                );
                ok = false;
                continue;
            }
            if let Some(earlier) = tags.iter().find(|t| {
                t.name == spec.name || (spec.group.is_some() && group_of(specs, t.name) == spec.group)
            }) {
                let message = if earlier.name == spec.name {
                    format!("duplicate tagged argument ':{name}' for {what}")
                } else {
                    format!(
                        "':{name}' conflicts with ':{}' for {what} ({})",
                        earlier.name,
                        spec.group.unwrap_or_default()
                    )
                };
                self.error(first.pos, message);
                ok = false;
                continue;
            }
            tags.push(Tagged {
                name: spec.name,
                pos: first.pos,
                value,
            });
        }
        let late_tag = rest.iter().find_map(|a| match &a.value {
            Value::Tag(name) => Some((a.pos, name)),
            _ => None,
        });
        if let Some((late_pos, name)) = late_tag {
            self.error(
                late_pos,
                format!("the tagged argument ':{name}' must come before the positional arguments of {what}"),
            );
            ok = false;
        }
        ok.then_some(Args {
            what,
            pos,
            tags,
            positional: rest,
        })
    }

    /// COMPARATOR and MATCH-TYPE, with the combinations checked (RFC 4790 §9.1: `i;ascii-numeric`
    /// supports equality and ordering only, so no `:contains`, `:matches` or `:regex`).
    pub(super) fn match_spec(&mut self, args: &Args) -> Option<MatchSpec> {
        let comparator = match args.string("comparator") {
            None => Comparator::default(),
            Some(lit) => self.comparator(lit)?,
        };
        let match_type = match args.first_of(&["is", "contains", "matches", "regex", "value", "count"]) {
            None | Some("is") => MatchType::Is,
            Some("contains") => MatchType::Contains,
            Some("matches") => MatchType::Matches,
            Some("regex") => MatchType::Regex,
            Some(relational) => {
                let lit = args.string(relational)?;
                let op = self.relational_op(relational, lit)?;
                if relational == "value" {
                    MatchType::Value(op)
                } else {
                    MatchType::Count(op)
                }
            }
        };
        if comparator == Comparator::AsciiNumeric
            && let Some(name) = args.first_of(&["contains", "matches", "regex"])
        {
            self.error(
                args.tag_pos(name).unwrap_or(args.pos),
                format!("the i;ascii-numeric comparator does not support the substring matching of :{name}"),
            );
            return None;
        }
        Some(MatchSpec {
            comparator,
            match_type,
        })
    }

    fn comparator(&mut self, lit: &StringLit) -> Option<Comparator> {
        let name = self.constant(lit, "the comparator name")?;
        let comparator = match name.as_str() {
            "i;octet" => Comparator::Octet,
            "i;ascii-casemap" => Comparator::AsciiCasemap,
            "i;ascii-numeric" => {
                if !self.enabled(Extension::ComparatorAsciiNumeric) {
                    self.error(
                        lit.pos,
                        "the comparator 'i;ascii-numeric' requires the \"comparator-i;ascii-numeric\" extension",
                    );
                    return None;
                }
                Comparator::AsciiNumeric
            }
            _ => {
                self.error(lit.pos, format!("unknown comparator '{name}'"));
                return None;
            }
        };
        Some(comparator)
    }

    /// The operator of `:value` / `:count` (RFC 5231 §4).
    fn relational_op(&mut self, tag: &str, lit: &StringLit) -> Option<RelOp> {
        let name = self.constant(lit, "the relational operator")?;
        let op = match name.to_ascii_lowercase().as_str() {
            "gt" => RelOp::Gt,
            "ge" => RelOp::Ge,
            "lt" => RelOp::Lt,
            "le" => RelOp::Le,
            "eq" => RelOp::Eq,
            "ne" => RelOp::Ne,
            _ => {
                self.error(
                    lit.pos,
                    format!(
                        "the :{tag} match type takes one of \"gt\", \"ge\", \"lt\", \"le\", \"eq\" or \"ne\", but \"{name}\" was found"
                    ),
                );
                return None;
            }
        };
        Some(op)
    }

    /// Checks that the constant keys of a `:regex` match compile (regex draft §3), within the
    /// cost bounds of [`regex_keys`]; keys with variables are checked when the interpreter
    /// expands them.
    pub(super) fn check_regex_keys(
        &mut self,
        spec: &MatchSpec,
        lits: &[StringLit],
        keys: &[Str],
    ) -> Option<()> {
        if spec.match_type != MatchType::Regex {
            return Some(());
        }
        let case_insensitive = spec.comparator == Comparator::AsciiCasemap;
        let mut ok = true;
        for (lit, key) in lits.iter().zip(keys) {
            let Str::Literal(pattern) = key else { continue };
            match regex_keys::check_pattern(pattern, case_insensitive) {
                Ok(cost) => {
                    self.regex_cost = self.regex_cost.saturating_add(cost);
                    if self.regex_cost > regex_keys::MAX_SCRIPT_COST {
                        self.error(
                            lit.pos,
                            "the regular expressions of this script are too complex all together",
                        );
                        ok = false;
                    }
                }
                Err(reason) => {
                    self.error(
                        lit.pos,
                        format!("invalid regular expression '{pattern}': {reason}"),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(())
    }

    /// ADDRESS-PART; `:all` when none is given.
    pub(super) fn address_part(args: &Args) -> AddressPart {
        match args.first_of(&["localpart", "domain", "user", "detail"]) {
            Some("localpart") => AddressPart::LocalPart,
            Some("domain") => AddressPart::Domain,
            Some("user") => AddressPart::User,
            Some("detail") => AddressPart::Detail,
            _ => AddressPart::All,
        }
    }

    /// `:index N [:last]` (RFC 5260 §6, RFC 5293 §5): `N` counts from 1, `:last` needs `:index`.
    pub(super) fn index(&mut self, args: &Args) -> Option<Option<Index>> {
        match args.number("index") {
            None => {
                if let Some(pos) = args.tag_pos("last") {
                    self.error(
                        pos,
                        format!("the :last tag of {} requires the :index tag", args.what),
                    );
                    return None;
                }
                Some(None)
            }
            Some(0) => {
                self.error(
                    args.tag_pos("index").unwrap_or(args.pos),
                    "the :index tag counts from 1, so 0 is not valid",
                );
                None
            }
            Some(n) => Some(Some(Index {
                n,
                last: args.has("last"),
            })),
        }
    }

    /// `:mime` with `:anychild` and, for `header`, one option (RFC 5703 §4).
    pub(super) fn mime_opts(&mut self, args: &Args) -> Option<Option<MimeOpts>> {
        let option = match args.first_of(&["type", "subtype", "contenttype", "param"]) {
            None => MimeOption::Value,
            Some("type") => MimeOption::Type,
            Some("subtype") => MimeOption::Subtype,
            Some("contenttype") => MimeOption::ContentType,
            Some(_) => MimeOption::Param(self.string_list(args.list("param").unwrap_or(&[]))?),
        };
        if !args.has("mime") {
            let dependent = args
                .tag_names()
                .find(|name| ["anychild", "type", "subtype", "contenttype", "param"].contains(name));
            if let Some(name) = dependent {
                self.error(
                    args.tag_pos(name).unwrap_or(args.pos),
                    format!("the :{name} tag of {} requires the :mime tag", args.what),
                );
                return None;
            }
            return Some(None);
        }
        Some(Some(MimeOpts {
            any_child: args.has("anychild"),
            option,
        }))
    }
}

/// The group a tag belongs to, among `specs`.
fn group_of(specs: &[&[TagSpec]], name: &str) -> Option<&'static str> {
    specs
        .iter()
        .flat_map(|s| s.iter())
        .find(|s| s.name == name)
        .and_then(|s| s.group)
}
