//! The grammar of RFC 5228 §8.2 over the tokens of [`super::lexer`]:
//!
//! ```text
//! start      = commands
//! commands   = *command
//! command    = identifier arguments (";" / block)
//! block      = "{" commands "}"
//! arguments  = *argument [ test / test-list ]
//! argument   = string-list / number / tag
//! string-list = "[" string *("," string) "]" / string
//! test       = identifier arguments
//! test-list  = "(" test *("," test) ")"
//! ```
//!
//! Invariants: recursion (blocks in blocks, tests in tests) never goes deeper than
//! `Limits::max_nesting`, and a string list never holds more than `Limits::max_list_len`
//! strings; the first syntax error ends the parse.

use super::lexer::{Lexer, Token, TokenKind};
use super::{Argument, Block, CommandNode, ParseError, StringLit, TestArgs, TestNode, Value};
use crate::ir::Position;
use crate::limits::Limits;

/// A recursive-descent parser with one token of lookahead.
pub(super) struct Parser<'a> {
    lexer: Lexer<'a>,
    /// The next token, read but not consumed.
    lookahead: Option<Token>,
    max_nesting: usize,
    max_list_len: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn new(source: &'a str, limits: &Limits) -> Parser<'a> {
        Parser {
            lexer: Lexer::new(source, limits.max_string_len),
            lookahead: None,
            max_nesting: limits.max_nesting,
            max_list_len: limits.max_list_len,
        }
    }

    /// `start = commands`, up to the end of the script.
    pub(super) fn script(mut self) -> Result<Vec<CommandNode>, ParseError> {
        let commands = self.commands(0)?;
        let token = self.next()?;
        match token.kind {
            TokenKind::Eof => Ok(commands),
            other => Err(unexpected(&token.pos, &other, "a command")),
        }
    }

    fn peek(&mut self) -> Result<&Token, ParseError> {
        let token = match self.lookahead.take() {
            Some(token) => token,
            None => self.lexer.next_token()?,
        };
        Ok(self.lookahead.insert(token))
    }

    fn next(&mut self) -> Result<Token, ParseError> {
        match self.lookahead.take() {
            Some(token) => Ok(token),
            None => self.lexer.next_token(),
        }
    }

    fn enter(&self, depth: usize, pos: Position) -> Result<usize, ParseError> {
        let depth = depth + 1;
        if depth > self.max_nesting {
            return Err(ParseError::new(
                pos,
                format!(
                    "blocks and tests are nested too deeply (at most {} levels)",
                    self.max_nesting
                ),
            ));
        }
        Ok(depth)
    }

    /// `commands = *command`: stops before `}` or the end of the script.
    fn commands(&mut self, depth: usize) -> Result<Vec<CommandNode>, ParseError> {
        let mut commands = Vec::new();
        loop {
            let token = self.peek()?;
            match &token.kind {
                TokenKind::Eof | TokenKind::RightBrace => return Ok(commands),
                TokenKind::Identifier(_) => commands.push(self.command(depth)?),
                other => return Err(unexpected(&token.pos, other, "a command")),
            }
        }
    }

    /// `command = identifier arguments (";" / block)`.
    fn command(&mut self, depth: usize) -> Result<CommandNode, ParseError> {
        let (name, pos) = self.identifier("a command")?;
        let (args, tests) = self.arguments(depth)?;
        let token = self.next()?;
        let block = match token.kind {
            TokenKind::Semicolon => None,
            TokenKind::LeftBrace => {
                let inner = self.enter(depth, token.pos)?;
                let commands = self.commands(inner)?;
                let close = self.next()?;
                if close.kind != TokenKind::RightBrace {
                    return Err(unexpected(&close.pos, &close.kind, "'}'"));
                }
                Some(Block {
                    pos: token.pos,
                    commands,
                })
            }
            other => {
                return Err(unexpected(
                    &token.pos,
                    &other,
                    &format!("';' or a block after the {name} command"),
                ));
            }
        };
        Ok(CommandNode {
            name,
            pos,
            args,
            tests,
            block,
        })
    }

    /// `test = identifier arguments`.
    fn test(&mut self, depth: usize) -> Result<TestNode, ParseError> {
        let (name, pos) = self.identifier("a test")?;
        let depth = self.enter(depth, pos)?;
        let (args, tests) = self.arguments(depth)?;
        Ok(TestNode {
            name,
            pos,
            args,
            tests,
        })
    }

    fn identifier(&mut self, expected: &str) -> Result<(String, Position), ParseError> {
        let token = self.next()?;
        match token.kind {
            TokenKind::Identifier(name) => Ok((name, token.pos)),
            other => Err(unexpected(&token.pos, &other, expected)),
        }
    }

    /// `arguments = *argument [ test / test-list ]`.
    fn arguments(&mut self, depth: usize) -> Result<(Vec<Argument>, TestArgs), ParseError> {
        let mut args = Vec::new();
        loop {
            let token = self.next()?;
            let value = match token.kind {
                TokenKind::Tag(name) => Value::Tag(name),
                TokenKind::Number(n) => Value::Number(n),
                TokenKind::String(text) => Value::String(StringLit { pos: token.pos, text }),
                TokenKind::LeftBracket => Value::StringList(self.string_list(token.pos)?),
                kind => {
                    let tests = match kind {
                        TokenKind::Identifier(_) => {
                            self.lookahead = Some(Token { kind, pos: token.pos });
                            TestArgs::One(Box::new(self.test(depth)?))
                        }
                        TokenKind::LeftParen => TestArgs::List(token.pos, self.test_list(depth)?),
                        _ => {
                            self.lookahead = Some(Token { kind, pos: token.pos });
                            TestArgs::None
                        }
                    };
                    return Ok((args, tests));
                }
            };
            args.push(Argument {
                pos: token.pos,
                value,
            });
        }
    }

    /// The rest of `"[" string *("," string) "]"` after the bracket.
    fn string_list(&mut self, pos: Position) -> Result<Vec<StringLit>, ParseError> {
        let mut strings = Vec::new();
        loop {
            let token = self.next()?;
            match token.kind {
                TokenKind::String(text) => strings.push(StringLit { pos: token.pos, text }),
                other => return Err(unexpected(&token.pos, &other, "a string in the string list")),
            }
            if strings.len() > self.max_list_len {
                return Err(ParseError::new(
                    pos,
                    format!(
                        "string list is too long (more than {} strings)",
                        self.max_list_len
                    ),
                ));
            }
            let token = self.next()?;
            match token.kind {
                TokenKind::Comma => {}
                TokenKind::RightBracket => return Ok(strings),
                other => {
                    return Err(unexpected(&token.pos, &other, "',' or ']' in the string list"));
                }
            }
        }
    }

    /// The rest of `"(" test *("," test) ")"` after the parenthesis.
    fn test_list(&mut self, depth: usize) -> Result<Vec<TestNode>, ParseError> {
        let mut tests = Vec::new();
        loop {
            tests.push(self.test(depth)?);
            let token = self.next()?;
            match token.kind {
                TokenKind::Comma => {}
                TokenKind::RightParen => return Ok(tests),
                other => {
                    return Err(unexpected(&token.pos, &other, "',' or ')' in the test list"));
                }
            }
        }
    }
}

fn unexpected(pos: &Position, found: &TokenKind, expected: &str) -> ParseError {
    ParseError::new(
        *pos,
        format!("expected {expected}, but found {}", found.describe()),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::super::parse;
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    fn lit(line: u32, column: u32, text: &str) -> StringLit {
        StringLit {
            pos: Position { line, column },
            text: text.to_owned(),
        }
    }

    #[test]
    fn commands_arguments_tests_and_blocks() {
        let tree = parse(
            "if anyof (header :is \"a\" [\"b\", \"c\"], size :over 1K) { keep; }\nstop;",
            &limits(),
        )
        .unwrap();
        assert_eq!(tree.len(), 2);
        let if_node = &tree[0];
        assert_eq!(if_node.name, "if");
        assert!(if_node.args.is_empty());
        let TestArgs::One(anyof) = &if_node.tests else {
            panic!("expected one test")
        };
        assert_eq!(anyof.name, "anyof");
        let TestArgs::List(_, tests) = &anyof.tests else {
            panic!("expected a test list")
        };
        assert_eq!(tests[0].name, "header");
        assert_eq!(
            tests[0].args,
            vec![
                Argument {
                    pos: Position { line: 1, column: 18 },
                    value: Value::Tag("is".to_owned())
                },
                Argument {
                    pos: Position { line: 1, column: 22 },
                    value: Value::String(lit(1, 22, "a"))
                },
                Argument {
                    pos: Position { line: 1, column: 26 },
                    value: Value::StringList(vec![lit(1, 27, "b"), lit(1, 32, "c")])
                },
            ]
        );
        assert_eq!(tests[1].args[1].value, Value::Number(1024));
        let block = if_node.block.as_ref().unwrap();
        assert_eq!(block.commands[0].name, "keep");
        assert_eq!(tree[1].name, "stop");
        assert_eq!(tree[1].pos, Position { line: 2, column: 1 });
    }

    #[test]
    fn syntax_errors_say_what_was_expected() {
        let cases = [
            (
                "keep",
                "expected ';' or a block after the keep command, but found end of script",
            ),
            ("keep; }", "expected a command, but found '}'"),
            ("if true { keep;", "expected '}', but found end of script"),
            ("x [];", "expected a string in the string list, but found ']'"),
            (
                "x [\"a\" \"b\"];",
                "expected ',' or ']' in the string list, but found string",
            ),
            (
                "if anyof (true; false) {}",
                "expected ',' or ')' in the test list, but found ';'",
            ),
            ("if anyof () {}", "expected a test, but found ')'"),
            ("\"a\";", "expected a command, but found string"),
        ];
        for (source, message) in cases {
            assert_eq!(parse(source, &limits()).unwrap_err().message, message, "{source}");
        }
    }

    #[test]
    fn limits_bound_size_nesting_and_lists() {
        let small = Limits {
            max_script_size: 10,
            max_nesting: 2,
            max_list_len: 2,
            ..Limits::default()
        };
        assert_eq!(
            parse("keep; keep; keep;", &small).unwrap_err().message,
            "script is too large (17 bytes, at most 10 allowed)"
        );
        let nesting = Limits {
            max_script_size: 1000,
            ..small.clone()
        };
        assert!(parse("if true { if true {} }", &nesting).is_ok());
        let err = parse("if true { if true { if true {} } }", &nesting).unwrap_err();
        assert_eq!(
            err.message,
            "blocks and tests are nested too deeply (at most 2 levels)"
        );
        assert_eq!(err.pos, Position { line: 1, column: 24 });
        assert!(parse("if not not true {}", &nesting).is_err());
        assert!(parse("x [\"a\",\"b\"];", &nesting).is_ok());
        assert_eq!(
            parse("x [\"a\",\"b\",\"c\"];", &nesting).unwrap_err().message,
            "string list is too long (more than 2 strings)"
        );
    }
}
