//! The lexical level of RFC 5228 §8.1: identifiers, tags, numbers with `K`/`M`/`G`, quoted
//! strings with `\` escapes, `text:` multi-line strings with dot-stuffing, bracket and hash
//! comments, and the punctuation of §8.2.
//!
//! Invariants: the lexer reads the source once, front to back, and never panics; every token
//! carries the line and column (in characters, 1-based) where it starts; a string longer than
//! `max_string_len` bytes, a number above `u64::MAX`, an unterminated string or comment and any
//! character outside the grammar are errors at the position where they start. Line ends may be
//! CRLF (as the RFC says) or a bare LF (as files on disk often have); a multi-line string keeps
//! the line ends it was written with.

use super::ParseError;
use crate::ir::Position;

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub kind: TokenKind,
    pub pos: Position,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum TokenKind {
    /// Lowercased.
    Identifier(String),
    /// Lowercased, without the colon.
    Tag(String),
    Number(u64),
    /// Quoted or multi-line, unescaped.
    String(String),
    LeftBracket,
    RightBracket,
    LeftParen,
    RightParen,
    LeftBrace,
    RightBrace,
    Comma,
    Semicolon,
    Eof,
}

impl TokenKind {
    /// How the token reads in an error message ("found ...").
    pub(super) fn describe(&self) -> String {
        match self {
            TokenKind::Identifier(name) => format!("identifier '{name}'"),
            TokenKind::Tag(name) => format!("tag ':{name}'"),
            TokenKind::Number(n) => format!("number {n}"),
            TokenKind::String(_) => "string".to_owned(),
            TokenKind::LeftBracket => "'['".to_owned(),
            TokenKind::RightBracket => "']'".to_owned(),
            TokenKind::LeftParen => "'('".to_owned(),
            TokenKind::RightParen => "')'".to_owned(),
            TokenKind::LeftBrace => "'{'".to_owned(),
            TokenKind::RightBrace => "'}'".to_owned(),
            TokenKind::Comma => "','".to_owned(),
            TokenKind::Semicolon => "';'".to_owned(),
            TokenKind::Eof => "end of script".to_owned(),
        }
    }
}

/// Reads tokens from a script.
pub(super) struct Lexer<'a> {
    source: &'a str,
    /// Byte offset of the next character.
    offset: usize,
    line: u32,
    column: u32,
    max_string_len: usize,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(source: &'a str, max_string_len: usize) -> Lexer<'a> {
        Lexer {
            source,
            offset: 0,
            line: 1,
            column: 1,
            max_string_len,
        }
    }

    fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
        }
    }

    fn rest(&self) -> &'a str {
        self.source.get(self.offset..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.offset += c.len_utf8();
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.column = 1;
        } else {
            self.column = self.column.saturating_add(1);
        }
        Some(c)
    }

    /// The next token (RFC 5228 §8.1), after skipping white space and comments.
    pub(super) fn next_token(&mut self) -> Result<Token, ParseError> {
        self.skip_blanks()?;
        let pos = self.position();
        let Some(c) = self.peek() else {
            return Ok(Token {
                kind: TokenKind::Eof,
                pos,
            });
        };
        let punctuation = match c {
            '[' => Some(TokenKind::LeftBracket),
            ']' => Some(TokenKind::RightBracket),
            '(' => Some(TokenKind::LeftParen),
            ')' => Some(TokenKind::RightParen),
            '{' => Some(TokenKind::LeftBrace),
            '}' => Some(TokenKind::RightBrace),
            ',' => Some(TokenKind::Comma),
            ';' => Some(TokenKind::Semicolon),
            _ => None,
        };
        let kind = if let Some(kind) = punctuation {
            self.bump();
            kind
        } else if c == '"' {
            self.bump();
            TokenKind::String(self.quoted_string(pos)?)
        } else if c == ':' {
            self.bump();
            match self.peek() {
                Some(c) if is_identifier_start(c) => TokenKind::Tag(self.identifier()),
                _ => return Err(ParseError::new(pos, "expected a tag name after ':'")),
            }
        } else if c.is_ascii_digit() {
            TokenKind::Number(self.number(pos)?)
        } else if is_identifier_start(c) {
            let name = self.identifier();
            if name == "text" && self.peek() == Some(':') {
                self.bump();
                TokenKind::String(self.multi_line_string(pos)?)
            } else {
                TokenKind::Identifier(name)
            }
        } else {
            return Err(ParseError::new(
                pos,
                format!("unexpected character {}", quote_char(c)),
            ));
        };
        Ok(Token { kind, pos })
    }

    /// Skips white space, `# ...` and `/* ... */` comments (RFC 5228 §2.3).
    fn skip_blanks(&mut self) -> Result<(), ParseError> {
        loop {
            match self.peek() {
                Some(' ' | '\t' | '\r' | '\n') => {
                    self.bump();
                }
                Some('#') => self.skip_line(),
                Some('/') if self.peek_second() == Some('*') => {
                    let start = self.position();
                    self.bump();
                    self.bump();
                    loop {
                        match self.bump() {
                            Some('*') if self.peek() == Some('/') => {
                                self.bump();
                                break;
                            }
                            Some(_) => {}
                            None => {
                                return Err(ParseError::new(start, "unterminated bracket comment"));
                            }
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// Skips to just after the next line end (or to the end of the script).
    fn skip_line(&mut self) {
        while let Some(c) = self.bump() {
            if c == '\n' {
                break;
            }
        }
    }

    /// `identifier = (ALPHA / "_") *(ALPHA / DIGIT / "_")`, lowercased.
    fn identifier(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if !(c.is_ascii_alphanumeric() || c == '_') {
                break;
            }
            name.push(c.to_ascii_lowercase());
            self.bump();
        }
        name
    }

    /// `number = 1*DIGIT [ QUANTIFIER ]`, `QUANTIFIER = "K" / "M" / "G"` (RFC 5228 §2.4.1).
    fn number(&mut self, pos: Position) -> Result<u64, ParseError> {
        let too_large = || ParseError::new(pos, "number is too large");
        let mut value: u64 = 0;
        while let Some(digit) = self.peek().and_then(|c| c.to_digit(10)) {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(digit)))
                .ok_or_else(too_large)?;
            self.bump();
        }
        let shift = match self.peek() {
            Some('k' | 'K') => 10,
            Some('m' | 'M') => 20,
            Some('g' | 'G') => 30,
            _ => 0,
        };
        if shift > 0 {
            self.bump();
            value = value.checked_mul(1 << shift).ok_or_else(too_large)?;
        }
        Ok(value)
    }

    /// The body of a quoted string, after the opening quote (RFC 5228 §2.4.2: `\\` and `\"`
    /// stand for themselves, and a backslash before any other character is dropped).
    fn quoted_string(&mut self, pos: Position) -> Result<String, ParseError> {
        let mut text = String::new();
        loop {
            match self.bump() {
                Some('"') => return Ok(text),
                Some('\\') => match self.bump() {
                    Some(c) => text.push(c),
                    None => break,
                },
                Some(c) => text.push(c),
                None => break,
            }
            self.check_length(&text, pos)?;
        }
        Err(ParseError::new(pos, "unterminated quoted string"))
    }

    /// A multi-line string after `text:` (RFC 5228 §8.1): optional blanks and a hash comment up
    /// to the line end, then lines up to one holding a single `.`; a leading `.` of a line is
    /// removed (dot-stuffing).
    fn multi_line_string(&mut self, pos: Position) -> Result<String, ParseError> {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.bump();
        }
        match self.peek() {
            Some('#') => self.skip_line(),
            Some('\n') => {
                self.bump();
            }
            Some('\r') if self.peek_second() == Some('\n') => {
                self.bump();
                self.bump();
            }
            _ => {
                return Err(ParseError::new(
                    self.position(),
                    "expected the end of the line after 'text:'",
                ));
            }
        }
        let mut text = String::new();
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                return Err(ParseError::new(pos, "unterminated multi-line string"));
            }
            let line_len = rest.find('\n').map_or(rest.len(), |end| end + 1);
            let line = rest.get(..line_len).unwrap_or("");
            let content = line.trim_end_matches('\n').trim_end_matches('\r');
            if content == "." {
                self.advance_by(line);
                return Ok(text);
            }
            text.push_str(line.strip_prefix('.').unwrap_or(line));
            self.check_length(&text, pos)?;
            self.advance_by(line);
        }
    }

    /// Moves past `consumed`, which must be what [`Self::rest`] starts with.
    fn advance_by(&mut self, consumed: &str) {
        for _ in consumed.chars() {
            self.bump();
        }
    }

    fn check_length(&self, text: &str, pos: Position) -> Result<(), ParseError> {
        if text.len() > self.max_string_len {
            return Err(ParseError::new(
                pos,
                format!("string is too long (more than {} bytes)", self.max_string_len),
            ));
        }
        Ok(())
    }
}

fn is_identifier_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

/// A character as an error message shows it: printable as is, others by code point.
fn quote_char(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("'{c}'")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn kinds(source: &str) -> Result<Vec<TokenKind>, ParseError> {
        let mut lexer = Lexer::new(source, 100);
        let mut out = Vec::new();
        loop {
            let token = lexer.next_token()?;
            if token.kind == TokenKind::Eof {
                return Ok(out);
            }
            out.push(token.kind);
        }
    }

    fn string(s: &str) -> TokenKind {
        TokenKind::String(s.to_owned())
    }

    #[test]
    fn numbers_take_quantifiers() {
        assert_eq!(
            kinds("1 2k 3M 4g").unwrap(),
            vec![
                TokenKind::Number(1),
                TokenKind::Number(2048),
                TokenKind::Number(3 << 20),
                TokenKind::Number(4 << 30),
            ]
        );
        assert_eq!(
            kinds("18446744073709551616").unwrap_err().message,
            "number is too large"
        );
        assert_eq!(
            kinds("18446744073709551615G").unwrap_err().message,
            "number is too large"
        );
    }

    #[test]
    fn quoted_strings_unescape() {
        assert_eq!(
            kinds(
                r#""a\"b\\c\d" "multi
line""#
            )
            .unwrap(),
            vec![string("a\"b\\cd"), string("multi\nline")]
        );
        let err = kinds("keep \"abc").unwrap_err();
        assert_eq!(err.message, "unterminated quoted string");
        assert_eq!(err.pos, Position { line: 1, column: 6 });
    }

    #[test]
    fn multi_line_strings_unstuff_dots() {
        let source = "text: # comment\r\nline 1\r\n..dot\r\n.x\r\n.\r\nkeep";
        assert_eq!(
            kinds(source).unwrap(),
            vec![
                string("line 1\r\n.dot\r\nx\r\n"),
                TokenKind::Identifier("keep".to_owned())
            ]
        );
        assert_eq!(kinds("TEXT:\n.\n").unwrap(), vec![string("")]);
        assert_eq!(
            kinds("text: x\n.\n").unwrap_err().message,
            "expected the end of the line after 'text:'"
        );
        assert_eq!(
            kinds("text:\nabc\n").unwrap_err().message,
            "unterminated multi-line string"
        );
    }

    #[test]
    fn comments_are_skipped_and_positions_counted() {
        let mut lexer = Lexer::new("# one\n/* two\n three */ keep :Copy;", 100);
        let keep = lexer.next_token().unwrap();
        assert_eq!(keep.kind, TokenKind::Identifier("keep".to_owned()));
        assert_eq!(keep.pos, Position { line: 3, column: 11 });
        let tag = lexer.next_token().unwrap();
        assert_eq!(tag.kind, TokenKind::Tag("copy".to_owned()));
        assert_eq!(tag.pos, Position { line: 3, column: 16 });
        assert_eq!(
            kinds("/* open").unwrap_err().message,
            "unterminated bracket comment"
        );
    }

    #[test]
    fn bad_characters_and_long_strings_are_errors() {
        assert_eq!(kinds("keep @").unwrap_err().message, "unexpected character '@'");
        assert_eq!(kinds(": x").unwrap_err().message, "expected a tag name after ':'");
        let long = format!("\"{}\"", "x".repeat(101));
        assert_eq!(
            kinds(&long).unwrap_err().message,
            "string is too long (more than 100 bytes)"
        );
    }
}
