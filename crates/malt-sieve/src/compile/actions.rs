//! The action commands and the commands that change state: `keep`, `discard`, `fileinto`,
//! `redirect` (RFC 5228 §4, with `:copy` RFC 3894, `:create` RFC 5490, `:flags` RFC 5232,
//! `:specialuse` RFC 8579), `reject`/`ereject` (RFC 5429), `vacation` (RFC 5230, RFC 6131),
//! `notify` (RFC 5435), `setflag`/`addflag`/`removeflag` (RFC 5232), `set` (RFC 5229),
//! `addheader`/`deleteheader` (RFC 5293), `extracttext` (RFC 5703 §7) and `error` (RFC 5463 §5).
//!
//! Invariants: constant addresses (`redirect`, `vacation :from`) are single RFC 5322 mailboxes;
//! constant header names are valid field names; `vacation :days` is converted to seconds; `set`
//! and `extracttext` modifiers are kept in the order they apply (RFC 5229 §4.1: highest
//! precedence first), at most one per precedence; `extracttext` only inside `foreverypart`.

use super::Compiler;
use super::args::{Args, COMPARATOR, MATCH_TYPE, TagSpec};
use super::syntax::is_field_name;
use crate::ir::{CommandKind, Extension, FlagOp, Modifier, Notify, Str, StringList, Vacation};
use crate::parse::{CommandNode, StringLit};

/// `set` and `extracttext` modifiers (RFC 5229 §4.1, RFC 5435 §7 `:encodeurl`, regex draft §5
/// `:quoteregex`); a group holds the modifiers of one precedence.
const MODIFIERS: &[TagSpec] = &[
    TagSpec::flag("lower").group("only one of :lower and :upper may be given"),
    TagSpec::flag("upper").group("only one of :lower and :upper may be given"),
    TagSpec::flag("lowerfirst").group("only one of :lowerfirst and :upperfirst may be given"),
    TagSpec::flag("upperfirst").group("only one of :lowerfirst and :upperfirst may be given"),
    TagSpec::flag("quotewildcard").group("only one of :quotewildcard and :quoteregex may be given"),
    TagSpec::flag("quoteregex")
        .group("only one of :quotewildcard and :quoteregex may be given")
        .needs(Extension::Regex),
    TagSpec::flag("encodeurl").needs(Extension::ENotify),
    TagSpec::flag("length"),
];

/// `:flags <list-of-flags: string-list>` (RFC 5232 §5).
const FLAGS: TagSpec = TagSpec::list("flags").needs(Extension::Imap4Flags);

/// Seconds in a day, for `vacation :days` (RFC 5230 §4.1).
const SECONDS_PER_DAY: u64 = 86_400;

impl Compiler {
    /// Any command that is not structural (see `control`).
    pub(super) fn action(&mut self, node: &CommandNode) -> Option<CommandKind> {
        match node.name.as_str() {
            "keep" => self.keep(node),
            "discard" => self.no_args(node).map(|()| CommandKind::Discard),
            "fileinto" => self.fileinto(node),
            "redirect" => self.redirect(node),
            "reject" | "ereject" => self.reject(node),
            "vacation" => self.vacation(node),
            "notify" => self.notify(node),
            "setflag" => self.flags(node, FlagOp::Set),
            "addflag" => self.flags(node, FlagOp::Add),
            "removeflag" => self.flags(node, FlagOp::Remove),
            "set" => self.set(node),
            "addheader" => self.addheader(node),
            "deleteheader" => self.deleteheader(node),
            "extracttext" => self.extracttext(node),
            _ => self.error_command(node),
        }
    }

    /// `keep [:flags <list-of-flags>]` (RFC 5228 §4.3, RFC 5232 §5).
    fn keep(&mut self, node: &CommandNode) -> Option<CommandKind> {
        let args = self.command_args(node, &[&[FLAGS]])?;
        args.positionals().finish(self)?;
        let flags = self.optional_list(args.list("flags"))?;
        Some(CommandKind::Keep { flags })
    }

    /// `fileinto [:copy] [:create] [:flags <list>] [:specialuse <use>] <mailbox: string>`
    /// (RFC 5228 §4.1, RFC 3894, RFC 5490 §3.2, RFC 5232 §5, RFC 8579 §3).
    fn fileinto(&mut self, node: &CommandNode) -> Option<CommandKind> {
        const TAGS: &[TagSpec] = &[
            TagSpec::flag("copy").needs(Extension::Copy),
            TagSpec::flag("create").needs(Extension::Mailbox),
            FLAGS,
            TagSpec::string("specialuse").needs(Extension::SpecialUse),
        ];
        let args = self.command_args(node, &[TAGS])?;
        let mut positionals = args.positionals();
        let mailbox_lit = positionals.string(self, "mailbox");
        positionals.finish(self)?;
        let mailbox = self.string(mailbox_lit?);
        if let (Some(Str::Literal(name)), Some(lit)) = (&mailbox, mailbox_lit)
            && name.is_empty()
        {
            self.error(lit.pos, "the mailbox name of the fileinto command is empty");
            return None;
        }
        let flags = self.optional_list(args.list("flags"));
        let special_use = match args.string("specialuse") {
            Some(lit) => self
                .special_uses(std::slice::from_ref(lit))
                .and_then(|mut uses| uses.pop())
                .map(Some),
            None => Some(None),
        };
        Some(CommandKind::FileInto {
            mailbox: mailbox?,
            flags: flags?,
            copy: args.has("copy"),
            create: args.has("create"),
            special_use: special_use?,
        })
    }

    /// `redirect [:copy] <address: string>` (RFC 5228 §4.2: the address "MUST be a
    /// syntactically valid email address", RFC 3894).
    fn redirect(&mut self, node: &CommandNode) -> Option<CommandKind> {
        let args = self.command_args(node, &[&[TagSpec::flag("copy").needs(Extension::Copy)]])?;
        let mut positionals = args.positionals();
        let address = positionals.string(self, "address");
        positionals.finish(self)?;
        let address = self.mailbox_address(address?, "redirect address")?;
        Some(CommandKind::Redirect {
            address,
            copy: args.has("copy"),
        })
    }

    /// An address argument; a constant one must be one RFC 5322 mailbox (`a@b.c` or
    /// `Name <a@b.c>`), as the interpreter reads it.
    fn mailbox_address(&mut self, lit: &StringLit, what: &str) -> Option<Str> {
        let address = self.string(lit)?;
        if let Str::Literal(text) = &address
            && crate::address::parse_single(text).is_none()
        {
            self.error(
                lit.pos,
                format!("invalid {what} '{text}' (expected one address, such as \"alice@example.org\")"),
            );
            return None;
        }
        Some(address)
    }

    /// `reject <reason: string>` / `ereject <reason: string>` (RFC 5429 §2.1, §2.2).
    fn reject(&mut self, node: &CommandNode) -> Option<CommandKind> {
        let reason = self.single_string(node, "reason")?;
        Some(CommandKind::Reject {
            reason,
            extended: node.name == "ereject",
        })
    }

    /// `error <message: string>` (RFC 5463 §5).
    fn error_command(&mut self, node: &CommandNode) -> Option<CommandKind> {
        let message = self.single_string(node, "message")?;
        Some(CommandKind::Error { message })
    }

    /// A command whose only argument is one string.
    fn single_string(&mut self, node: &CommandNode, name: &str) -> Option<Str> {
        let args = self.command_args(node, &[])?;
        let mut positionals = args.positionals();
        let value = positionals.string(self, name);
        positionals.finish(self)?;
        self.string(value?)
    }

    /// `vacation [":days" number / ":seconds" number] [":subject" string] [":from" string]
    /// [":addresses" string-list] [":mime"] [":handle" string] <reason: string>` (RFC 5230 §4,
    /// RFC 6131 §2).
    fn vacation(&mut self, node: &CommandNode) -> Option<CommandKind> {
        const PERIOD: &str = "only one of :days and :seconds may be given";
        const TAGS: &[TagSpec] = &[
            TagSpec::number("days").group(PERIOD),
            TagSpec::number("seconds")
                .group(PERIOD)
                .needs(Extension::VacationSeconds),
            TagSpec::string("subject"),
            TagSpec::string("from"),
            TagSpec::list("addresses"),
            TagSpec::flag("mime"),
            TagSpec::string("handle"),
        ];
        let args = self.command_args(node, &[TAGS])?;
        let mut positionals = args.positionals();
        let reason = positionals.string(self, "reason");
        positionals.finish(self)?;
        let period_seconds = self.vacation_period(&args);
        let subject = self.optional_string(args.string("subject"));
        let from = match args.string("from") {
            Some(lit) => self.mailbox_address(lit, "vacation :from address").map(Some),
            None => Some(None),
        };
        let addresses = self.string_list(args.list("addresses").unwrap_or(&[]));
        let handle = self.optional_string(args.string("handle"));
        let reason = self.string(reason?);
        Some(CommandKind::Vacation(Box::new(Vacation {
            period_seconds: period_seconds?,
            subject: subject?,
            from: from?,
            addresses: addresses?,
            mime: args.has("mime"),
            handle: handle?,
            reason: reason?,
        })))
    }

    /// `:days` (converted) or `:seconds`; `None` inside: the server default.
    fn vacation_period(&mut self, args: &Args) -> Option<Option<u64>> {
        if let Some(seconds) = args.number("seconds") {
            return Some(Some(seconds));
        }
        let Some(days) = args.number("days") else {
            return Some(None);
        };
        match days.checked_mul(SECONDS_PER_DAY) {
            Some(seconds) => Some(Some(seconds)),
            None => {
                self.error(
                    args.tag_pos("days").unwrap_or(args.pos),
                    format!("the :days value {days} is too large"),
                );
                None
            }
        }
    }

    /// `notify [":from" string] [":importance" <"1" / "2" / "3">] [":options" string-list]
    /// [":message" string] <method: string>` (RFC 5435 §3); the method URI is checked at run
    /// time (§3.1 allows a variable there).
    fn notify(&mut self, node: &CommandNode) -> Option<CommandKind> {
        const TAGS: &[TagSpec] = &[
            TagSpec::string("from"),
            TagSpec::string("importance"),
            TagSpec::list("options"),
            TagSpec::string("message"),
        ];
        let args = self.command_args(node, &[TAGS])?;
        let mut positionals = args.positionals();
        let method = positionals.string(self, "method");
        positionals.finish(self)?;
        let from = self.optional_string(args.string("from"));
        let importance = self.optional_string(args.string("importance"));
        if let (Some(Some(Str::Literal(value))), Some(lit)) = (&importance, args.string("importance"))
            && !["1", "2", "3"].contains(&value.as_str())
        {
            self.error(
                lit.pos,
                format!(
                    "invalid :importance '{value}' for the notify command (expected \"1\", \"2\" or \"3\")"
                ),
            );
            return None;
        }
        let options = self.string_list(args.list("options").unwrap_or(&[]));
        let message = self.optional_string(args.string("message"));
        let method = self.string(method?);
        Some(CommandKind::Notify(Box::new(Notify {
            from: from?,
            importance: importance?,
            options: options?,
            message: message?,
            method: method?,
        })))
    }

    /// `setflag` / `addflag` / `removeflag [<variablename: string>] <list-of-flags: string-list>`
    /// (RFC 5232 §3).
    fn flags(&mut self, node: &CommandNode, op: FlagOp) -> Option<CommandKind> {
        let args = self.command_args(node, &[])?;
        let mut positionals = args.positionals();
        let variable = if args.positional_count() > 1 {
            Some(positionals.string(self, "variable name"))
        } else {
            None
        };
        let flags = positionals.list(self, "flags");
        positionals.finish(self)?;
        let variable = match variable {
            None => Some(None),
            Some(lit) => self
                .flag_variables(node.pos, &args.what, std::slice::from_ref(lit?))
                .and_then(|mut names| names.pop())
                .map(Some),
        };
        let flags = self.string_list(flags?);
        Some(CommandKind::Flags {
            op,
            variable: variable?,
            flags: flags?,
        })
    }

    /// `set [MODIFIER] <name: string> <value: string>` (RFC 5229 §4).
    fn set(&mut self, node: &CommandNode) -> Option<CommandKind> {
        let args = self.command_args(node, &[MODIFIERS])?;
        let mut positionals = args.positionals();
        let name = positionals.string(self, "variable name");
        let value = positionals.string(self, "value");
        positionals.finish(self)?;
        let name = self.variable_name(name?, true);
        let value = self.string(value?);
        Some(CommandKind::Set {
            name: name?,
            value: value?,
            modifiers: modifiers(&args),
        })
    }

    /// `extracttext [MODIFIER] [":first" number] <varname: string>` (RFC 5703 §7), only inside
    /// `foreverypart`.
    fn extracttext(&mut self, node: &CommandNode) -> Option<CommandKind> {
        let args = self.command_args(node, &[MODIFIERS, &[TagSpec::number("first")]])?;
        let mut positionals = args.positionals();
        let variable = positionals.string(self, "variable name");
        positionals.finish(self)?;
        let variable = self.variable_name(variable?, true)?;
        if self.loops.is_empty() {
            self.error(
                node.pos,
                "the extracttext command is not inside a foreverypart loop",
            );
            return None;
        }
        Some(CommandKind::ExtractText {
            first: args.number("first"),
            modifiers: modifiers(&args),
            variable,
        })
    }

    /// `addheader [":last"] <field-name: string> <value: string>` (RFC 5293 §4).
    fn addheader(&mut self, node: &CommandNode) -> Option<CommandKind> {
        let args = self.command_args(node, &[&[TagSpec::flag("last")]])?;
        let mut positionals = args.positionals();
        let name = positionals.string(self, "field name");
        let value = positionals.string(self, "value");
        positionals.finish(self)?;
        let name = self.field_name(&args, name?);
        let value = self.string(value?);
        Some(CommandKind::AddHeader {
            last: args.has("last"),
            name: name?,
            value: value?,
        })
    }

    /// `deleteheader [":index" <fieldno: number> [":last"]] [COMPARATOR] [MATCH-TYPE]
    /// <field-name: string> [<value-patterns: string-list>]` (RFC 5293 §5; `:index` is part of
    /// editheader, no `index` require needed).
    fn deleteheader(&mut self, node: &CommandNode) -> Option<CommandKind> {
        const INDEX: &[TagSpec] = &[TagSpec::number("index"), TagSpec::flag("last")];
        let args = self.command_args(node, &[INDEX, COMPARATOR, MATCH_TYPE])?;
        let mut positionals = args.positionals();
        let name = positionals.string(self, "field name");
        let patterns = if args.positional_count() > 1 {
            Some(positionals.list(self, "value patterns"))
        } else {
            None
        };
        positionals.finish(self)?;
        let spec = self.match_spec(&args);
        let index = self.index(&args);
        let name = self.field_name(&args, name?);
        let values = match (patterns, &spec) {
            (None, _) => Some(None),
            (Some(lits), Some(spec)) => {
                let lits = lits?;
                let values = self.string_list(lits)?;
                self.check_regex_keys(spec, lits, &values)?;
                Some(Some(values))
            }
            (Some(_), None) => None,
        };
        Some(CommandKind::DeleteHeader {
            index: index?,
            spec: spec?,
            name: name?,
            values: values?,
        })
    }

    /// A header field name argument; a constant one must be valid (RFC 5322 §3.6.8).
    fn field_name(&mut self, args: &Args, lit: &StringLit) -> Option<Str> {
        let name = self.string(lit)?;
        if let Str::Literal(text) = &name
            && !is_field_name(text)
        {
            self.error(
                lit.pos,
                format!("invalid header field name '{text}' for {}", args.what),
            );
            return None;
        }
        Some(name)
    }

    /// An optional string list argument.
    fn optional_list(&mut self, lits: Option<&[StringLit]>) -> Option<Option<StringList>> {
        match lits {
            Some(lits) => self.string_list(lits).map(Some),
            None => Some(None),
        }
    }
}

/// The modifiers given, in the order they apply (`Modifier`'s order is RFC 5229 §4.1's
/// precedence, highest first).
fn modifiers(args: &Args) -> Vec<Modifier> {
    let mut modifiers: Vec<Modifier> = args
        .tag_names()
        .filter_map(|name| match name {
            "lower" => Some(Modifier::Lower),
            "upper" => Some(Modifier::Upper),
            "lowerfirst" => Some(Modifier::LowerFirst),
            "upperfirst" => Some(Modifier::UpperFirst),
            "quotewildcard" => Some(Modifier::QuoteWildcard),
            "quoteregex" => Some(Modifier::QuoteRegex),
            "encodeurl" => Some(Modifier::EncodeUrl),
            "length" => Some(Modifier::Length),
            _ => None,
        })
        .collect();
    modifiers.sort();
    modifiers
}
