//! Tokenizer of apimachinery's label selector grammar (`labels.Lexer`),
//! byte for byte: a NUL byte reads like the end of input, as in Go.

/// Lexer token kinds (`labels.Token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// Scan error.
    Error,
    /// End of input.
    EndOfString,
    /// `)`
    ClosedPar,
    /// `,`
    Comma,
    /// `!`
    DoesNotExist,
    /// `==`
    DoubleEquals,
    /// `=`
    Equals,
    /// `>`
    GreaterThan,
    /// A key or a value.
    Identifier,
    /// `in`
    In,
    /// `<`
    LessThan,
    /// `!=`
    NotEquals,
    /// `notin`
    NotIn,
    /// `(`
    OpenPar,
}

/// A token with its literal text (`labels.ScannedItem`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedItem {
    /// The token kind.
    pub tok: Token,
    /// The literal; for [`Token::Error`] the error text.
    pub literal: String,
}

fn string_to_token(s: &[u8]) -> Option<Token> {
    Some(match s {
        b")" => Token::ClosedPar,
        b"," => Token::Comma,
        b"!" => Token::DoesNotExist,
        b"==" => Token::DoubleEquals,
        b"=" => Token::Equals,
        b">" => Token::GreaterThan,
        b"in" => Token::In,
        b"<" => Token::LessThan,
        b"!=" => Token::NotEquals,
        b"notin" => Token::NotIn,
        b"(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(ch: u8) -> bool {
    matches!(ch, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special_symbol(ch: u8) -> bool {
    matches!(ch, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// Buffers are cut only at ASCII bytes, so they are always valid UTF-8.
fn bytes_to_string(buf: Vec<u8>) -> String {
    match String::from_utf8(buf) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// The label selector lexer (`labels.Lexer`).
pub struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    /// A lexer positioned at the start of `s`.
    pub fn new(s: &'a str) -> Self {
        Lexer {
            s: s.as_bytes(),
            pos: 0,
        }
    }

    fn read(&mut self) -> u8 {
        match self.s.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                b
            }
            None => 0,
        }
    }

    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    fn scan_id_or_keyword(&mut self) -> ScannedItem {
        let mut buf = Vec::new();
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if is_special_symbol(ch) || is_whitespace(ch) {
                self.unread();
                break;
            }
            buf.push(ch);
        }
        let tok = string_to_token(&buf).unwrap_or(Token::Identifier);
        ScannedItem {
            tok,
            literal: bytes_to_string(buf),
        }
    }

    fn scan_special_symbol(&mut self) -> ScannedItem {
        let mut last: Option<(Token, usize)> = None;
        let mut buf = Vec::new();
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if !is_special_symbol(ch) {
                self.unread();
                break;
            }
            buf.push(ch);
            if let Some(tok) = string_to_token(&buf) {
                last = Some((tok, buf.len()));
            } else if last.is_some() {
                self.unread();
                break;
            }
        }
        match last {
            Some((tok, len)) => {
                buf.truncate(len);
                ScannedItem {
                    tok,
                    literal: bytes_to_string(buf),
                }
            }
            None => ScannedItem {
                tok: Token::Error,
                literal: format!("error expected: keyword found '{}'", bytes_to_string(buf)),
            },
        }
    }

    /// Returns the next token and its literal (`Lexer.Lex`).
    pub fn lex(&mut self) -> ScannedItem {
        let mut ch = self.read();
        while is_whitespace(ch) {
            ch = self.read();
        }
        if ch == 0 {
            ScannedItem {
                tok: Token::EndOfString,
                literal: String::new(),
            }
        } else if is_special_symbol(ch) {
            self.unread();
            self.scan_special_symbol()
        } else {
            self.unread();
            self.scan_id_or_keyword()
        }
    }

    /// All tokens up to and including [`Token::EndOfString`] (`Parser.scan`).
    pub fn scan_all(mut self) -> Vec<ScannedItem> {
        let mut items = Vec::new();
        loop {
            let item = self.lex();
            let done = item.tok == Token::EndOfString;
            items.push(item);
            if done {
                return items;
            }
        }
    }
}
