//! The structure of a script: `require` (RFC 5228 §3.2), blocks and `if`/`elsif`/`else` chains
//! (§3.1), `stop` (§3.3), `ihave`-guarded blocks (RFC 5463 §4), `include`/`return`/`global`
//! (RFC 6609 §3), `foreverypart`/`break` (RFC 5703 §3), and the dispatch of each command to its
//! builder.
//!
//! Invariants: `require` is only accepted before every other command at the top level; an
//! `elsif` or `else` only directly after an `if` or `elsif` of the same block; a block guarded by
//! an `ihave` naming an unknown capability is neither checked nor kept (it compiles to an empty
//! block), and a block guarded by known ones may use them as if required; `break` only inside a
//! `foreverypart` (with the name, inside one of that name).

use super::args::TagSpec;
use super::syntax::is_script_name;
use super::{COMMANDS, Compiler};
use crate::ir::{Command, CommandKind, Extension, Position, ScriptLocation, Str, Test};
use crate::parse::{CommandNode, TestArgs, TestNode};

/// An `if` with the `elsif`/`else` branches that followed it so far.
struct IfChain {
    pos: Position,
    branches: Vec<(Test, Vec<Command>)>,
    otherwise: Option<Vec<Command>>,
    /// An `else` was seen: nothing more may join.
    closed: bool,
    /// A branch had an error: the chain is dropped (the error was reported).
    broken: bool,
}

impl IfChain {
    fn add_branch(&mut self, branch: Option<(Test, Vec<Command>)>) {
        match branch {
            Some(branch) => self.branches.push(branch),
            None => self.broken = true,
        }
    }

    fn finish(self, out: &mut Vec<Command>) {
        if !self.broken {
            out.push(Command {
                kind: CommandKind::If {
                    branches: self.branches,
                    otherwise: self.otherwise,
                },
                pos: self.pos,
            });
        }
    }
}

impl Compiler {
    /// The whole script: its leading `require`s, then its commands.
    pub(super) fn script(&mut self, tree: &[CommandNode]) -> Vec<Command> {
        let first_other = tree
            .iter()
            .position(|node| node.name != "require")
            .unwrap_or(tree.len());
        let (requires, body) = tree.split_at_checked(first_other).unwrap_or((&[], tree));
        for node in requires {
            self.require(node);
        }
        self.check_extension_dependencies(requires.first().map_or_else(Position::default, |n| n.pos));
        self.block(body)
    }

    /// `require <capabilities: string-list>` (RFC 5228 §3.2).
    fn require(&mut self, node: &CommandNode) {
        if !self.no_tests_or_block(node) {
            return;
        }
        let Some(args) = self.command_args(node, &[]) else {
            return;
        };
        let mut positionals = args.positionals();
        let capabilities = positionals.list(self, "capabilities");
        if positionals.finish(self).is_none() {
            return;
        }
        for lit in capabilities.unwrap_or(&[]) {
            match Extension::from_capability(&lit.text) {
                Some(extension) => {
                    if !self.required.contains(&extension) {
                        self.required.push(extension);
                    }
                    self.enable(extension);
                }
                None => self.error(
                    lit.pos,
                    format!("require command: unknown Sieve capability '{}'", lit.text),
                ),
            }
        }
    }

    /// Extensions that cannot be used without others (RFC 5703 §7: `extracttext` stores into
    /// variables, one part of a `foreverypart` loop at a time).
    fn check_extension_dependencies(&mut self, pos: Position) {
        if self.enabled(Extension::ExtractText) {
            for needed in [Extension::Variables, Extension::ForEveryPart] {
                if !self.enabled(needed) {
                    self.error(
                        pos,
                        format!(
                            "the \"extracttext\" extension cannot be used without the \"{}\" extension",
                            needed.capability()
                        ),
                    );
                }
            }
        }
    }

    /// The commands of a block, with `if`/`elsif`/`else` chains joined into one command.
    pub(super) fn block(&mut self, nodes: &[CommandNode]) -> Vec<Command> {
        let mut out = Vec::new();
        let mut chain: Option<IfChain> = None;
        for node in nodes {
            let name = node.name.as_str();
            if name == "elsif" || name == "else" {
                match chain.as_mut().filter(|c| !c.closed) {
                    Some(open) if name == "elsif" => {
                        let branch = self.branch(node);
                        open.add_branch(branch);
                    }
                    Some(open) => {
                        open.closed = true;
                        match self.else_block(node) {
                            Some(body) => open.otherwise = Some(body),
                            None => open.broken = true,
                        }
                    }
                    None => self.error(
                        node.pos,
                        format!("the {name} command must follow an if or elsif command"),
                    ),
                }
                continue;
            }
            if let Some(done) = chain.take() {
                done.finish(&mut out);
            }
            match name {
                "if" => {
                    let mut started = IfChain {
                        pos: node.pos,
                        branches: Vec::new(),
                        otherwise: None,
                        closed: false,
                        broken: false,
                    };
                    let branch = self.branch(node);
                    started.add_branch(branch);
                    chain = Some(started);
                }
                "require" => self.error(
                    node.pos,
                    "require commands can only be placed at top level at the beginning of the script",
                ),
                _ => {
                    if let Some(command) = self.command(node) {
                        out.push(command);
                    }
                }
            }
        }
        if let Some(done) = chain {
            done.finish(&mut out);
        }
        out
    }

    /// One `if` or `elsif`: its test and block (RFC 5228 §3.1).
    fn branch(&mut self, node: &CommandNode) -> Option<(Test, Vec<Command>)> {
        if let Some(arg) = node.args.first() {
            self.error(
                arg.pos,
                format!("the {} command takes no arguments before its test", node.name),
            );
        }
        let test_node = match &node.tests {
            TestArgs::One(test) => Some(test.as_ref()),
            TestArgs::List(pos, _) => {
                self.error(
                    *pos,
                    format!(
                        "the {} command requires one test, but a list of tests was given",
                        node.name
                    ),
                );
                None
            }
            TestArgs::None => {
                self.error(node.pos, format!("the {} command requires a test", node.name));
                None
            }
        };
        let Some(block) = &node.block else {
            self.error(node.pos, format!("the {} command requires a block", node.name));
            return None;
        };
        let test = test_node.and_then(|t| self.test(t));
        let guard = test_node.map(ihave_guard).unwrap_or_default();
        let known: Option<Vec<Extension>> = guard
            .iter()
            .map(|name| Extension::from_capability(name))
            .collect();
        let body = match known {
            // RFC 5463 §4: a block that may use an extension this engine lacks is not checked.
            None => Vec::new(),
            Some(guarded) => {
                let saved = self.enabled.clone();
                for extension in guarded {
                    self.enable(extension);
                }
                let body = self.block(&block.commands);
                self.enabled = saved;
                body
            }
        };
        if node.args.is_empty() {
            test.map(|test| (test, body))
        } else {
            None
        }
    }

    /// The block of an `else`.
    fn else_block(&mut self, node: &CommandNode) -> Option<Vec<Command>> {
        let args_ok = self.no_args(node).is_some();
        if !matches!(node.tests, TestArgs::None) {
            self.error(node.pos, "the else command does not take a test");
            return None;
        }
        let Some(block) = &node.block else {
            self.error(node.pos, "the else command requires a block");
            return None;
        };
        let body = self.block(&block.commands);
        args_ok.then_some(body)
    }

    /// Reports a test or a block given to a command that takes neither.
    fn no_tests_or_block(&mut self, node: &CommandNode) -> bool {
        let mut ok = true;
        match &node.tests {
            TestArgs::None => {}
            TestArgs::One(test) => {
                self.error(
                    test.pos,
                    format!("the {} command does not take a test", node.name),
                );
                ok = false;
            }
            TestArgs::List(pos, _) => {
                self.error(*pos, format!("the {} command does not take a test", node.name));
                ok = false;
            }
        }
        if let Some(block) = &node.block {
            self.error(
                block.pos,
                format!("the {} command does not take a block", node.name),
            );
            ok = false;
        }
        ok
    }

    /// Checks that a command has no arguments.
    pub(super) fn no_args(&mut self, node: &CommandNode) -> Option<()> {
        self.command_args(node, &[])?.positionals().finish(self)
    }

    /// One command other than `if`/`elsif`/`else`/`require`.
    fn command(&mut self, node: &CommandNode) -> Option<Command> {
        if !self.check_known("command", &node.name, node.pos, COMMANDS) {
            return None;
        }
        if node.name == "foreverypart" {
            return self.foreverypart(node);
        }
        if !self.no_tests_or_block(node) {
            return None;
        }
        let kind = match node.name.as_str() {
            "stop" => self.no_args(node).map(|()| CommandKind::Stop),
            "return" => self.no_args(node).map(|()| CommandKind::Return),
            "include" => self.include(node),
            "global" => self.global(node),
            "break" => self.break_command(node),
            _ => self.action(node),
        }?;
        Some(Command { kind, pos: node.pos })
    }

    /// `include [:personal / :global] [:once] [:optional] <value: string>` (RFC 6609 §3.2); the
    /// name must be a constant (§3.2: no variables in script names).
    fn include(&mut self, node: &CommandNode) -> Option<CommandKind> {
        const LOCATION: &str = "only one of :personal and :global may be given";
        const TAGS: &[TagSpec] = &[
            TagSpec::flag("personal").group(LOCATION),
            TagSpec::flag("global").group(LOCATION),
            TagSpec::flag("once"),
            TagSpec::flag("optional"),
        ];
        let args = self.command_args(node, &[TAGS])?;
        let mut positionals = args.positionals();
        let name = positionals.string(self, "script name");
        positionals.finish(self)?;
        let lit = name?;
        let name = self.constant(lit, "the script name of the include command")?;
        if !is_script_name(&name) {
            self.error(
                lit.pos,
                format!("invalid script name '{name}' for the include command"),
            );
            return None;
        }
        Some(CommandKind::Include {
            location: if args.has("global") {
                ScriptLocation::Global
            } else {
                ScriptLocation::Personal
            },
            once: args.has("once"),
            optional: args.has("optional"),
            name: Str::Literal(name),
        })
    }

    /// `global <value: string-list>` (RFC 6609 §3.4), which needs `variables`.
    fn global(&mut self, node: &CommandNode) -> Option<CommandKind> {
        let args = self.command_args(node, &[])?;
        let mut positionals = args.positionals();
        let names = positionals.list(self, "variable names");
        positionals.finish(self)?;
        if !self.enabled(Extension::Variables) {
            self.error(
                node.pos,
                "the global command requires the \"variables\" extension",
            );
            return None;
        }
        let names: Vec<Option<String>> = names?.iter().map(|lit| self.variable_name(lit, false)).collect();
        Some(CommandKind::Global {
            names: names.into_iter().collect::<Option<_>>()?,
        })
    }

    /// `foreverypart [":name" string] block` (RFC 5703 §3.1).
    fn foreverypart(&mut self, node: &CommandNode) -> Option<Command> {
        let block = match (&node.tests, &node.block) {
            (TestArgs::None, Some(block)) => block,
            (TestArgs::None, None) => {
                self.error(node.pos, "the foreverypart command requires a block");
                return None;
            }
            _ => {
                self.error(node.pos, "the foreverypart command does not take a test");
                return None;
            }
        };
        let name = self
            .command_args(node, &[&[TagSpec::string("name")]])
            .and_then(|args| {
                let positionals_ok = args.positionals().finish(self);
                let name = match args.string("name") {
                    Some(lit) => Some(self.constant(lit, "the name of a foreverypart loop")?),
                    None => None,
                };
                positionals_ok.map(|()| name)
            });
        self.loops.push(name.clone().flatten());
        let body = self.block(&block.commands);
        self.loops.pop();
        Some(Command {
            kind: CommandKind::ForEveryPart { name: name?, body },
            pos: node.pos,
        })
    }

    /// `break [":name" string]` (RFC 5703 §3.2).
    fn break_command(&mut self, node: &CommandNode) -> Option<CommandKind> {
        let args = self.command_args(node, &[&[TagSpec::string("name")]])?;
        args.positionals().finish(self)?;
        let name = match args.string("name") {
            Some(lit) => Some(self.constant(lit, "the name of a foreverypart loop")?),
            None => None,
        };
        let inside = match &name {
            None => !self.loops.is_empty(),
            Some(wanted) => self.loops.iter().any(|l| l.as_ref() == Some(wanted)),
        };
        if !inside {
            let message = match &name {
                None => "the break command is not inside a foreverypart loop".to_owned(),
                Some(wanted) => {
                    format!("the break command is not inside a foreverypart loop named '{wanted}'")
                }
            };
            self.error(node.pos, message);
            return None;
        }
        Some(CommandKind::Break { name })
    }
}

/// The capabilities named by the `ihave` tests that guard a block: the test itself, or the
/// `ihave` tests directly in an `allof` (RFC 5463 §4).
fn ihave_guard(test: &TestNode) -> Vec<String> {
    let direct: Vec<&TestNode> = match (test.name.as_str(), &test.tests) {
        ("ihave", _) => vec![test],
        ("allof", TestArgs::List(_, tests)) => tests.iter().filter(|t| t.name == "ihave").collect(),
        _ => Vec::new(),
    };
    direct
        .iter()
        .flat_map(|t| t.args.iter())
        .flat_map(|arg| match &arg.value {
            crate::parse::Value::String(s) => vec![s.text.clone()],
            crate::parse::Value::StringList(l) => l.iter().map(|s| s.text.clone()).collect(),
            _ => Vec::new(),
        })
        .collect()
}
