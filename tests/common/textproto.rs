//! A reader for the protobuf text format, as far as cel-spec's `simple` test files
//! (`cel.expr.conformance.test.SimpleTestFile`) use it: nested messages (`{}` or `<>`, the
//! colon before them optional), scalars (numbers, enum names, `inf`/`nan` spellings),
//! strings with C escapes and adjacent-literal concatenation, `[a, b]` repeated values,
//! `[type.googleapis.com/Name]` Any expansions as field names, `#` comments and `,`/`;`
//! separators. It knows no schema: the caller reads fields by name.
//!
//! `tests/cel_conformance.rs` includes it by `#[path]`: it needs nothing else of `common`.

use std::fmt;

/// One value of the text: a message (its fields in order, repeats kept), a string literal
/// (raw bytes: a `string` field may still be invalid UTF-8 until the caller decides), or a
/// bare word (a number or an enum name, with its sign, e.g. `-9223372036854775808`, `-inf`,
/// `NULL_VALUE`, `true`).
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Message(Vec<(String, Node)>),
    Str(Vec<u8>),
    Word(String),
}

impl Node {
    /// The fields of a message (none for a scalar).
    pub fn fields(&self) -> &[(String, Node)] {
        match self {
            Node::Message(fields) => fields,
            _ => &[],
        }
    }

    /// The first field of that name.
    pub fn get(&self, name: &str) -> Option<&Node> {
        self.fields()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// Every field of that name, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.fields()
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// A string field's text.
    pub fn text(&self) -> Result<String, String> {
        match self {
            Node::Str(b) => String::from_utf8(b.clone()).map_err(|e| format!("bad UTF-8: {e}")),
            other => Err(format!("expected a string, found {other}")),
        }
    }

    /// A bytes field's content.
    pub fn bytes(&self) -> Result<&[u8], String> {
        match self {
            Node::Str(b) => Ok(b),
            other => Err(format!("expected a string, found {other}")),
        }
    }

    /// A scalar's word (number or enum name).
    pub fn word(&self) -> Result<&str, String> {
        match self {
            Node::Word(w) => Ok(w),
            other => Err(format!("expected a number or name, found {other}")),
        }
    }

    /// A `bool` field: `true`/`false` (or `1`/`0`, `t`/`f`, as protobuf accepts).
    pub fn boolean(&self) -> Result<bool, String> {
        match self.word()? {
            "true" | "True" | "t" | "1" => Ok(true),
            "false" | "False" | "f" | "0" => Ok(false),
            w => Err(format!("`{w}` is not a bool")),
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Message(fields) => write!(f, "a message of {} fields", fields.len()),
            Node::Str(b) => write!(f, "the string {:?}", String::from_utf8_lossy(b)),
            Node::Word(w) => write!(f, "`{w}`"),
        }
    }
}

/// Parses a whole file as the fields of one top-level message.
pub fn parse(text: &str) -> Result<Node, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        pos: 0,
    };
    let fields = p
        .fields(None)
        .map_err(|e| format!("line {}: {e}", p.line()))?;
    Ok(Node::Message(fields))
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn line(&self) -> usize {
        1 + self.s[..self.pos.min(self.s.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    }

    /// Skips whitespace and `#` comments; returns the next byte.
    fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.s.get(self.pos) {
            if b.is_ascii_whitespace() {
                self.pos += 1;
            } else if b == b'#' {
                while self.s.get(self.pos).is_some_and(|&b| b != b'\n') {
                    self.pos += 1;
                }
            } else {
                return Some(b);
            }
        }
        None
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Fields up to `close` (or the end of the text when `None`).
    fn fields(&mut self, close: Option<u8>) -> Result<Vec<(String, Node)>, String> {
        let mut fields = Vec::new();
        loop {
            match (self.peek(), close) {
                (None, None) => return Ok(fields),
                (None, Some(c)) => return Err(format!("missing `{}`", c as char)),
                (Some(b), Some(c)) if b == c => {
                    self.pos += 1;
                    return Ok(fields);
                }
                _ => {}
            }
            let name = self.field_name()?;
            let colon = self.eat(b':');
            match self.peek() {
                Some(b'[') if colon => {
                    self.pos += 1;
                    if !self.eat(b']') {
                        loop {
                            fields.push((name.clone(), self.value()?));
                            if self.eat(b']') {
                                break;
                            }
                            if !self.eat(b',') {
                                return Err("expected `,` or `]` in a list".to_string());
                            }
                        }
                    }
                }
                _ => fields.push((name, self.value()?)),
            }
            if !self.eat(b',') {
                self.eat(b';');
            }
        }
    }

    fn field_name(&mut self) -> Result<String, String> {
        if self.eat(b'[') {
            let start = self.pos;
            while self.s.get(self.pos).is_some_and(|&b| b != b']') {
                self.pos += 1;
            }
            let name = std::str::from_utf8(&self.s[start..self.pos]).map_err(|e| e.to_string())?;
            self.pos += 1;
            return Ok(format!("[{}]", name.trim()));
        }
        let word = self.word();
        if word.is_empty() || !word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            return Err(format!("expected a field name, found `{word}`"));
        }
        Ok(word)
    }

    fn value(&mut self) -> Result<Node, String> {
        match self.peek() {
            Some(b'{') => {
                self.pos += 1;
                Ok(Node::Message(self.fields(Some(b'}'))?))
            }
            Some(b'<') => {
                self.pos += 1;
                Ok(Node::Message(self.fields(Some(b'>'))?))
            }
            Some(b'"' | b'\'') => {
                let mut out = Vec::new();
                while let Some(q @ (b'"' | b'\'')) = self.peek() {
                    self.pos += 1;
                    self.string_body(q, &mut out)?;
                }
                Ok(Node::Str(out))
            }
            _ => {
                let word = self.word();
                if word.is_empty() {
                    return Err("expected a value".to_string());
                }
                Ok(Node::Word(word))
            }
        }
    }

    /// A number or identifier: an optional `-`, then letters, digits, `_` and `.`, with `+`/`-`
    /// only right after an exponent's `e`.
    fn word(&mut self) -> String {
        self.peek();
        let start = self.pos;
        if self.s.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        while let Some(&b) = self.s.get(self.pos) {
            let exponent_sign = (b == b'+' || b == b'-')
                && self.pos > start
                && matches!(self.s[self.pos - 1], b'e' | b'E')
                && self.s[start..]
                    .first()
                    .is_some_and(|c| c.is_ascii_digit() || *c == b'-');
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || exponent_sign {
                self.pos += 1;
            } else {
                break;
            }
        }
        String::from_utf8_lossy(&self.s[start..self.pos]).into_owned()
    }

    /// The rest of a string literal opened by `quote`, with protobuf's C escapes.
    fn string_body(&mut self, quote: u8, out: &mut Vec<u8>) -> Result<(), String> {
        loop {
            let Some(&b) = self.s.get(self.pos) else {
                return Err("unterminated string".to_string());
            };
            self.pos += 1;
            match b {
                b'\n' => return Err("line break in a string".to_string()),
                b if b == quote => return Ok(()),
                b'\\' => self.escape(out)?,
                b => out.push(b),
            }
        }
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        let Some(&b) = self.s.get(self.pos) else {
            return Err("unterminated escape".to_string());
        };
        self.pos += 1;
        let simple = match b {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            b'\\' | b'\'' | b'"' | b'?' => Some(b),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            return Ok(());
        }
        match b {
            b'0'..=b'7' => {
                let mut v = u32::from(b - b'0');
                for _ in 0..2 {
                    match self.s.get(self.pos) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                out.push(u8::try_from(v).map_err(|_| format!("octal escape {v:o} too large"))?);
            }
            b'x' | b'X' => {
                let v = self.hex(1, 2)?;
                out.push(u8::try_from(v).expect("two hex digits fit a byte"));
            }
            b'u' | b'U' => {
                let n = if b == b'u' { 4 } else { 8 };
                let v = self.hex(n, n)?;
                let c = char::from_u32(v).ok_or_else(|| format!("bad code point {v:x}"))?;
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            }
            other => return Err(format!("unknown escape `\\{}`", other as char)),
        }
        Ok(())
    }

    fn hex(&mut self, min: usize, max: usize) -> Result<u32, String> {
        let mut v = 0u32;
        let mut n = 0;
        while n < max {
            match self.s.get(self.pos).and_then(|&d| (d as char).to_digit(16)) {
                Some(d) => {
                    v = v * 16 + d;
                    self.pos += 1;
                    n += 1;
                }
                None => break,
            }
        }
        if n < min {
            return Err(format!("expected {min} hex digits"));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_shapes_cel_spec_uses() {
        let text = "name: \"x\" # comment\n\
                    section { test { expr: 'a' \"b\\n\\303\\277\\x41\\u00e9\" value: { int64_value: -5 } } }\n\
                    v < w: [1, 2e+3] k: NULL_VALUE > o { [type.googleapis.com/X] { seconds: 1 } }";
        let file = parse(text).expect("parses");
        assert_eq!(file.get("name"), Some(&Node::Str(b"x".to_vec())));
        let test = file
            .get("section")
            .and_then(|s| s.get("test"))
            .expect("test");
        assert_eq!(
            test.get("expr").map(Node::text),
            Some(Ok("ab\nÿAé".to_string()))
        );
        let value = test.get("value").and_then(|v| v.get("int64_value"));
        assert_eq!(value.map(Node::word), Some(Ok("-5")));
        let v = file.get("v").expect("v");
        let w: Vec<&str> = v.all("w").map(|n| n.word().expect("word")).collect();
        assert_eq!(w, ["1", "2e+3"]);
        let any = file.get("o").and_then(|o| o.get("[type.googleapis.com/X]"));
        assert!(any.is_some());
    }
}
