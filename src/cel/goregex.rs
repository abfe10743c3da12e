//! Syntax validation of regular expressions as Go's `regexp.Compile` (RE2
//! syntax, Perl flags) does it, with Go's error text
//! (`error parsing regexp: REASON: EXPR`, EXPR in backquotes). Only
//! acceptance and the error are computed; nothing is compiled.

/// Checks `pattern` as Go's `regexp.Compile` would; the error is Go's
/// `err.Error()`.
pub fn check(pattern: &str) -> Result<(), String> {
    Parser {
        whole: pattern,
        stack: Vec::new(),
    }
    .parse()
    .map_err(|(code, expr)| format!("error parsing regexp: {}: `{expr}`", code.text()))
}

#[derive(Debug, Clone, Copy)]
enum Code {
    InvalidCharRange,
    InvalidEscape,
    InvalidNamedCapture,
    InvalidPerlOp,
    InvalidRepeatOp,
    InvalidRepeatSize,
    MissingBracket,
    MissingParen,
    MissingRepeatArgument,
    TrailingBackslash,
    UnexpectedParen,
}

impl Code {
    fn text(self) -> &'static str {
        match self {
            Code::InvalidCharRange => "invalid character class range",
            Code::InvalidEscape => "invalid escape sequence",
            Code::InvalidNamedCapture => "invalid named capture",
            Code::InvalidPerlOp => "invalid or unsupported Perl syntax",
            Code::InvalidRepeatOp => "invalid nested repetition operator",
            Code::InvalidRepeatSize => "invalid repeat count",
            Code::MissingBracket => "missing closing ]",
            Code::MissingParen => "missing closing )",
            Code::MissingRepeatArgument => "missing argument to repetition operator",
            Code::TrailingBackslash => "trailing backslash at end of expression",
            Code::UnexpectedParen => "unexpected )",
        }
    }
}

type Failure = (Code, String);

/// A parsed subexpression: only what the checks need (counted repeats).
#[derive(Debug, Default)]
struct Node {
    repeat: Option<(i64, i64)>,
    subs: Vec<Node>,
}

#[derive(Debug)]
enum Item {
    LeftParen,
    VerticalBar,
    Node(Node),
}

struct Parser<'a> {
    whole: &'a str,
    stack: Vec<Item>,
}

fn first_char(s: &str) -> Option<char> {
    s.chars().next()
}

/// `s` minus the suffix `rest` (both slices of the same string).
fn consumed<'s>(s: &'s str, rest: &str) -> &'s str {
    &s[..s.len() - rest.len()]
}

impl<'a> Parser<'a> {
    fn push_leaf(&mut self) {
        self.stack.push(Item::Node(Node::default()));
    }

    fn concat(&mut self) {
        let mut subs = Vec::new();
        while let Some(Item::Node(_)) = self.stack.last() {
            if let Some(Item::Node(n)) = self.stack.pop() {
                subs.push(n);
            }
        }
        subs.reverse();
        self.stack.push(Item::Node(Node { repeat: None, subs }));
    }

    /// Concatenates the current branch and merges it into a pending
    /// alternation, leaving one node on top.
    fn alternate(&mut self) {
        self.concat();
        let n = self.stack.len();
        if n >= 3 && matches!(self.stack[n - 2], Item::VerticalBar) {
            let (Some(Item::Node(b)), Some(_), Some(Item::Node(a))) =
                (self.stack.pop(), self.stack.pop(), self.stack.pop())
            else {
                return;
            };
            self.stack.push(Item::Node(Node {
                repeat: None,
                subs: vec![a, b],
            }));
        }
    }

    fn parse(mut self) -> Result<(), Failure> {
        let mut t: &'a str = self.whole;
        let mut last_repeat: &'a str = "";
        while !t.is_empty() {
            let mut repeat: &'a str = "";
            let c = t.as_bytes()[0];
            match c {
                b'(' if t.as_bytes().get(1) == Some(&b'?') => t = self.perl_flags(t)?,
                b'(' => {
                    self.stack.push(Item::LeftParen);
                    t = &t[1..];
                }
                b'|' => {
                    self.alternate();
                    self.stack.push(Item::VerticalBar);
                    t = &t[1..];
                }
                b')' => {
                    self.alternate();
                    let n = self.stack.len();
                    if n < 2 || !matches!(self.stack[n - 2], Item::LeftParen) {
                        return Err((Code::UnexpectedParen, self.whole.to_string()));
                    }
                    let content = self.stack.pop();
                    self.stack.pop();
                    if let Some(Item::Node(inner)) = content {
                        self.stack.push(Item::Node(Node {
                            repeat: None,
                            subs: vec![inner],
                        }));
                    }
                    t = &t[1..];
                }
                b'^' | b'$' | b'.' => {
                    self.push_leaf();
                    t = &t[1..];
                }
                b'[' => t = self.class(t)?,
                b'*' | b'+' | b'?' => {
                    let before = t;
                    t = self.repeat(None, before, &t[1..], last_repeat)?;
                    repeat = before;
                }
                b'{' => match parse_repeat(t) {
                    None => {
                        self.push_leaf();
                        t = &t[1..];
                    }
                    Some((min, max, after)) => {
                        let before = t;
                        if !(0..=1000).contains(&min) || max > 1000 || (max >= 0 && min > max) {
                            return Err((Code::InvalidRepeatSize, consumed(before, after).into()));
                        }
                        t = self.repeat(Some((min, max)), before, after, last_repeat)?;
                        repeat = before;
                    }
                },
                b'\\' => t = self.escape_atom(t)?,
                _ => {
                    let len = first_char(t).map_or(1, char::len_utf8);
                    self.push_leaf();
                    t = &t[len..];
                }
            }
            last_repeat = repeat;
        }
        self.alternate();
        if self.stack.len() != 1 {
            return Err((Code::MissingParen, self.whole.to_string()));
        }
        Ok(())
    }

    fn repeat(
        &mut self,
        counted: Option<(i64, i64)>,
        before: &'a str,
        mut after: &'a str,
        last_repeat: &str,
    ) -> Result<&'a str, Failure> {
        if after.starts_with('?') {
            after = &after[1..];
        }
        if !last_repeat.is_empty() {
            let nested = &last_repeat[..last_repeat.len() - after.len()];
            return Err((Code::InvalidRepeatOp, nested.to_string()));
        }
        let op_text = consumed(before, after).to_string();
        let Some(Item::Node(sub)) = self.stack.pop() else {
            return Err((Code::MissingRepeatArgument, op_text));
        };
        let node = Node {
            repeat: counted,
            subs: vec![sub],
        };
        if let Some((min, max)) = counted
            && (min >= 2 || max >= 2)
            && !repeat_is_valid(&node, 1000)
        {
            return Err((Code::InvalidRepeatSize, op_text));
        }
        self.stack.push(Item::Node(node));
        Ok(after)
    }

    fn perl_flags(&mut self, s: &'a str) -> Result<&'a str, Failure> {
        let b = s.as_bytes();
        if (b.len() > 4 && b[2] == b'P' && b[3] == b'<') || (b.len() > 3 && b[2] == b'<') {
            let begin = if b[2] == b'<' { 3 } else { 4 };
            let Some(end) = s.find('>') else {
                return Err((Code::InvalidNamedCapture, s.to_string()));
            };
            let name = &s[begin..end];
            let valid = !name.is_empty() && name.chars().all(|c| c == '_' || c.is_alphanumeric());
            if !valid {
                return Err((Code::InvalidNamedCapture, s[..=end].to_string()));
            }
            self.stack.push(Item::LeftParen);
            return Ok(&s[end + 1..]);
        }
        let mut t = &s[2..];
        let mut negated = false;
        let mut saw_flag = false;
        while let Some(c) = first_char(t) {
            t = &t[c.len_utf8()..];
            match c {
                'i' | 'm' | 's' | 'U' => saw_flag = true,
                '-' if !negated => {
                    negated = true;
                    saw_flag = false;
                }
                ':' | ')' if !negated || saw_flag => {
                    if c == ':' {
                        self.stack.push(Item::LeftParen);
                    }
                    return Ok(t);
                }
                _ => break,
            }
        }
        Err((Code::InvalidPerlOp, consumed(s, t).to_string()))
    }

    fn escape_atom(&mut self, t: &'a str) -> Result<&'a str, Failure> {
        let b = t.as_bytes();
        if b.len() >= 2 {
            match b[1] {
                b'A' | b'b' | b'B' | b'z' => {
                    self.push_leaf();
                    return Ok(&t[2..]);
                }
                b'C' => return Err((Code::InvalidEscape, t[..2].to_string())),
                b'Q' => {
                    let rest = &t[2..];
                    let (lit, after) = match rest.find("\\E") {
                        Some(i) => (&rest[..i], &rest[i + 2..]),
                        None => (rest, ""),
                    };
                    for _ in lit.chars() {
                        self.push_leaf();
                    }
                    return Ok(after);
                }
                _ => {}
            }
        }
        if let Some(rest) = unicode_class(t)? {
            self.push_leaf();
            return Ok(rest);
        }
        if let Some(rest) = perl_class(t) {
            self.push_leaf();
            return Ok(rest);
        }
        let (_, rest) = parse_escape(t)?;
        self.push_leaf();
        Ok(rest)
    }

    fn class(&mut self, s: &'a str) -> Result<&'a str, Failure> {
        let mut t = &s[1..];
        if t.starts_with('^') {
            t = &t[1..];
        }
        let mut first = true;
        while t.is_empty() || !t.starts_with(']') || first {
            first = false;
            if t.len() > 2
                && t.starts_with("[:")
                && let Some(i) = t[2..].find(":]")
            {
                let name = &t[..i + 4];
                if !is_posix_class(name) {
                    return Err((Code::InvalidCharRange, name.to_string()));
                }
                t = &t[i + 4..];
                continue;
            }
            if let Some(rest) = unicode_class(t)? {
                t = rest;
                continue;
            }
            if let Some(rest) = perl_class(t) {
                t = rest;
                continue;
            }
            let range_start = t;
            let (lo, rest) = class_char(t, s)?;
            t = rest;
            if t.len() >= 2 && t.starts_with('-') && !t[1..].starts_with(']') {
                let (hi, rest) = class_char(&t[1..], s)?;
                t = rest;
                if hi < lo {
                    return Err((Code::InvalidCharRange, consumed(range_start, t).to_string()));
                }
            }
        }
        self.push_leaf();
        Ok(&t[1..])
    }
}

fn repeat_is_valid(node: &Node, mut n: i64) -> bool {
    if let Some((min, max)) = node.repeat {
        let mut m = max;
        if m == 0 {
            return true;
        }
        if m < 0 {
            m = min;
        }
        if m > n {
            return false;
        }
        if m > 0 {
            n /= m;
        }
    }
    node.subs.iter().all(|s| repeat_is_valid(s, n))
}

fn parse_int(s: &str) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    if b.is_empty()
        || !b[0].is_ascii_digit()
        || (b.len() >= 2 && b[0] == b'0' && b[1].is_ascii_digit())
    {
        return None;
    }
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut v: i64 = 0;
    for &c in &b[..n] {
        if v >= 100_000_000 {
            v = -1;
            break;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some((v, &s[n..]))
}

/// Go's `parseRepeat`: `{n}`, `{n,}` or `{n,m}`; `None` makes `{` a literal.
fn parse_repeat(s: &str) -> Option<(i64, i64, &str)> {
    let s = s.strip_prefix('{')?;
    let (mut min, s) = parse_int(s)?;
    let (max, s) = match s.strip_prefix(',') {
        None => (min, s),
        Some(rest) if rest.starts_with('}') => (-1, rest),
        Some(rest) => {
            let (max, rest) = parse_int(rest)?;
            if max < 0 {
                min = -1;
            }
            (max, rest)
        }
    };
    let rest = s.strip_prefix('}')?;
    Some((min, max, rest))
}

fn class_char<'s>(s: &'s str, whole_class: &str) -> Result<(u32, &'s str), Failure> {
    match first_char(s) {
        None => Err((Code::MissingBracket, whole_class.to_string())),
        Some('\\') => parse_escape(s),
        Some(c) => Ok((c as u32, &s[c.len_utf8()..])),
    }
}

fn perl_class(t: &str) -> Option<&str> {
    let b = t.as_bytes();
    (b.len() >= 2 && b[0] == b'\\' && matches!(b[1], b'd' | b'D' | b's' | b'S' | b'w' | b'W'))
        .then(|| &t[2..])
}

fn is_posix_class(name: &str) -> bool {
    let inner = name.trim_start_matches("[:").trim_end_matches(":]");
    let inner = inner.strip_prefix('^').unwrap_or(inner);
    matches!(
        inner,
        "alnum"
            | "alpha"
            | "ascii"
            | "blank"
            | "cntrl"
            | "digit"
            | "graph"
            | "lower"
            | "print"
            | "punct"
            | "space"
            | "upper"
            | "word"
            | "xdigit"
    )
}

/// `\p{Name}`, `\pL`, `\P{...}`: `Ok(None)` if `t` is not one.
fn unicode_class(t: &str) -> Result<Option<&str>, Failure> {
    let b = t.as_bytes();
    if b.len() < 2 || b[0] != b'\\' || (b[1] != b'p' && b[1] != b'P') {
        return Ok(None);
    }
    let after = &t[2..];
    let (seq, name, rest) = match first_char(after) {
        Some('{') => {
            let Some(end) = t.find('}') else {
                return Err((Code::InvalidCharRange, t.to_string()));
            };
            (&t[..=end], &t[3..end], &t[end + 1..])
        }
        Some(c) => {
            let len = 2 + c.len_utf8();
            (&t[..len], &t[2..len], &t[len..])
        }
        None => (t, "", ""),
    };
    let name = name.strip_prefix('^').unwrap_or(name);
    if !super::unicode_names::is_unicode_class_name(name) {
        return Err((Code::InvalidCharRange, seq.to_string()));
    }
    Ok(Some(rest))
}

fn unhex(c: Option<char>) -> Option<u32> {
    c.and_then(|c| c.to_digit(16))
}

/// Go's `parseEscape`: the escaped rune and the rest of the input.
fn parse_escape(s: &str) -> Result<(u32, &str), Failure> {
    let t = &s[1..];
    let Some(c) = first_char(t) else {
        return Err((Code::TrailingBackslash, String::new()));
    };
    let mut t = &t[c.len_utf8()..];
    let invalid = |rest: &str| (Code::InvalidEscape, consumed(s, rest).to_string());
    match c {
        '1'..='7' if !t.starts_with(|d: char| ('0'..='7').contains(&d)) => Err(invalid(t)),
        '0'..='7' => {
            let mut r = c as u32 - '0' as u32;
            for _ in 1..3 {
                match first_char(t) {
                    Some(d @ '0'..='7') => {
                        r = r * 8 + (d as u32 - '0' as u32);
                        t = &t[1..];
                    }
                    _ => break,
                }
            }
            Ok((r, t))
        }
        'x' => {
            let Some(c2) = first_char(t) else {
                return Err(invalid(t));
            };
            t = &t[c2.len_utf8()..];
            if c2 == '{' {
                let mut r: u32 = 0;
                let mut n = 0;
                loop {
                    let Some(d) = first_char(t) else {
                        return Err(invalid(t));
                    };
                    t = &t[d.len_utf8()..];
                    if d == '}' {
                        break;
                    }
                    let Some(v) = unhex(Some(d)) else {
                        return Err(invalid(t));
                    };
                    r = r.saturating_mul(16).saturating_add(v);
                    if r > 0x10_FFFF {
                        return Err(invalid(t));
                    }
                    n += 1;
                }
                if n == 0 {
                    return Err(invalid(t));
                }
                return Ok((r, t));
            }
            let x = unhex(Some(c2));
            let c3 = first_char(t);
            if let Some(c3) = c3 {
                t = &t[c3.len_utf8()..];
            }
            match (x, unhex(c3)) {
                (Some(x), Some(y)) => Ok((x * 16 + y, t)),
                _ => Err(invalid(t)),
            }
        }
        'a' => Ok((7, t)),
        'f' => Ok((12, t)),
        'n' => Ok((10, t)),
        'r' => Ok((13, t)),
        't' => Ok((9, t)),
        'v' => Ok((11, t)),
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((c as u32, t)),
        _ => Err(invalid(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_go_syntax() {
        for ok in [
            "^[a-z:-]+$",
            "[a-z]+",
            "a{2,3}",
            "x{",
            "(?i)abc",
            "(?P<name>x)",
            "(?<n>x)",
            r"\d+\.\pL\p{Greek}",
            "[[:alpha:]]",
            r"\Qa.b\E",
            "a|b|c",
            "",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_like_go() {
        for (bad, msg) in [
            ("(", "error parsing regexp: missing closing ): `(`"),
            ("[", "error parsing regexp: missing closing ]: `[`"),
            ("a)", "error parsing regexp: unexpected ): `a)`"),
            (
                "*",
                "error parsing regexp: missing argument to repetition operator: `*`",
            ),
            (
                "a**",
                "error parsing regexp: invalid nested repetition operator: `**`",
            ),
            (
                "[z-a]",
                "error parsing regexp: invalid character class range: `z-a`",
            ),
            (
                r"\q",
                "error parsing regexp: invalid escape sequence: `\\q`",
            ),
            (
                "a{1001}",
                "error parsing regexp: invalid repeat count: `{1001}`",
            ),
            (
                "(?=x)",
                "error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
            ),
            (
                "\\",
                "error parsing regexp: trailing backslash at end of expression: ``",
            ),
            (
                "[[:foo:]]",
                "error parsing regexp: invalid character class range: `[:foo:]`",
            ),
        ] {
            assert_eq!(check(bad), Err(msg.to_string()), "{bad}");
        }
    }
}
