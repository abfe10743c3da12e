//! Regular expressions with Go's `regexp` (RE2) syntax and semantics on the
//! `regex` crate: patterns are validated with Go's error text
//! ([`super::goregex`]), translated where the two dialects differ (ASCII
//! Perl classes, `\Q..\E`, octal escapes, literal braces and brackets), and
//! compiled once — constants while planning, dynamic patterns through a
//! small shared cache. `findAll` follows Go's rules for empty matches.

use super::error::Error;
use super::goregex;
use super::value::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A compiled pattern.
#[derive(Debug)]
pub(crate) struct CompiledRegex {
    re: regex::Regex,
}

fn push_escaped(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || !c.is_ascii() {
        out.push(c);
    } else {
        out.push('\\');
        out.push(c);
    }
}

fn perl_class(c: char, in_class: bool) -> Option<&'static str> {
    Some(match (c, in_class) {
        ('d', false) => "[0-9]",
        ('d', true) => "0-9",
        ('D', _) => "[^0-9]",
        ('s', false) => "[\\t\\n\\f\\r ]",
        ('s', true) => "\\t\\n\\f\\r ",
        ('S', _) => "[^\\t\\n\\f\\r ]",
        ('w', false) => "[0-9A-Za-z_]",
        ('w', true) => "0-9A-Za-z_",
        ('W', _) => "[^0-9A-Za-z_]",
        _ => return None,
    })
}

fn valid_repeat(rest: &str) -> Option<usize> {
    let end = rest.find('}')?;
    let body = &rest[1..end];
    let (a, b) = body.split_once(',').unwrap_or((body, "0"));
    let ok = !a.is_empty()
        && a.bytes().all(|c| c.is_ascii_digit())
        && b.bytes().all(|c| c.is_ascii_digit());
    ok.then_some(end + 1)
}

/// Rewrites a Go pattern (already validated) into the `regex` crate's
/// dialect with the same meaning.
fn translate(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 8);
    let chars: Vec<(usize, char)> = p.char_indices().collect();
    let mut i = 0;
    let mut in_class = false;
    let mut class_start = false;
    while i < chars.len() {
        let (at, c) = chars[i];
        let first_in_class = class_start;
        class_start = false;
        match c {
            '\\' => {
                let Some(&(_, n)) = chars.get(i + 1) else {
                    out.push_str("\\\\");
                    break;
                };
                i += 2;
                if n == 'Q' {
                    let rest = &p[chars.get(i).map_or(p.len(), |x| x.0)..];
                    let (lit, consumed) = match rest.find("\\E") {
                        Some(e) => (&rest[..e], e + 2),
                        None => (rest, rest.len()),
                    };
                    lit.chars().for_each(|ch| push_escaped(&mut out, ch));
                    let target = chars.get(i).map_or(p.len(), |x| x.0) + consumed;
                    while i < chars.len() && chars[i].0 < target {
                        i += 1;
                    }
                    continue;
                }
                if let Some(cls) = perl_class(n, in_class) {
                    out.push_str(cls);
                } else if (n == 'b' || n == 'B') && !in_class {
                    out.push_str(if n == 'b' { "(?-u:\\b)" } else { "(?-u:\\B)" });
                } else if n.is_digit(8) {
                    let mut v = n.to_digit(8).unwrap_or(0);
                    let mut k = 0;
                    while k < 2 && chars.get(i).is_some_and(|x| x.1.is_digit(8)) {
                        v = v * 8 + chars[i].1.to_digit(8).unwrap_or(0);
                        i += 1;
                        k += 1;
                    }
                    out.push_str(&format!("\\x{{{v:x}}}"));
                } else if n == 'C' {
                    out.push_str("(?s:.)");
                } else if (n == 'p' || n == 'P') && chars.get(i).is_some_and(|x| x.1 == '{') {
                    // A Unicode class name, `\p{Greek}`: copied through its brace.
                    out.push('\\');
                    out.push(n);
                    while let Some(&(_, ch)) = chars.get(i) {
                        out.push(ch);
                        i += 1;
                        if ch == '}' {
                            break;
                        }
                    }
                } else {
                    out.push('\\');
                    out.push(n);
                }
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                out.push('[');
                if chars.get(i + 1).is_some_and(|x| x.1 == '^') {
                    out.push('^');
                    i += 1;
                }
            }
            '[' if p[at..].starts_with("[:") => {
                let end = p[at..].find(":]").map_or(p.len(), |e| at + e + 2);
                out.push_str(&p[at..end]);
                while i < chars.len() && chars[i].0 < end {
                    i += 1;
                }
                continue;
            }
            ']' if in_class && !first_in_class => {
                in_class = false;
                out.push(']');
            }
            '[' | '&' | '~' | ']' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '-' if in_class && out.ends_with('-') => out.push_str("\\-"),
            // Named groups become plain groups: RE2 accepts a name twice, the
            // regex crate does not, and no CEL function reads the names.
            '(' if !in_class && (p[at..].starts_with("(?P<") || p[at..].starts_with("(?<")) => {
                let end = p[at..].find('>').map_or(p.len(), |e| at + e + 1);
                out.push('(');
                while i < chars.len() && chars[i].0 < end {
                    i += 1;
                }
                continue;
            }
            '{' if !in_class => match valid_repeat(&p[at..]) {
                Some(len) => {
                    out.push_str(&p[at..at + len]);
                    while i < chars.len() && chars[i].0 < at + len {
                        i += 1;
                    }
                    continue;
                }
                None => out.push_str("\\{"),
            },
            '}' if !in_class => out.push_str("\\}"),
            other => out.push(other),
        }
        i += 1;
    }
    out
}

fn compile(pattern: &str) -> Result<CompiledRegex, String> {
    goregex::check(pattern)?;
    let re = regex::RegexBuilder::new(&translate(pattern))
        .size_limit(32 << 20)
        .build()
        .map_err(|e| format!("error parsing regexp: {e}"))?;
    Ok(CompiledRegex { re })
}

/// Compiles `pattern`, sharing compiled patterns through a bounded cache;
/// `Err` is Go's `regexp.Compile` error text.
pub(crate) fn compile_shared(pattern: &str) -> Result<Arc<CompiledRegex>, String> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<CompiledRegex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(map) = cache.try_lock()
        && let Some(re) = map.get(pattern)
    {
        return Ok(re.clone());
    }
    let re = Arc::new(compile(pattern)?);
    if let Ok(mut map) = cache.try_lock() {
        if map.len() >= 512 {
            map.clear();
        }
        map.insert(pattern.to_string(), re.clone());
    }
    Ok(re)
}

impl CompiledRegex {
    /// Go's `FindAllString(s, n)`.
    fn find_all<'s>(&self, s: &'s str, n: i64) -> Vec<&'s str> {
        let mut out = Vec::new();
        let (mut pos, mut prev_end): (usize, Option<usize>) = (0, None);
        while (n < 0 || (out.len() as i64) < n) && pos <= s.len() {
            let Some(m) = self.re.find_at(s, pos) else {
                break;
            };
            let mut accept = true;
            if m.end() == pos {
                if Some(m.start()) == prev_end {
                    accept = false;
                }
                pos += s[pos..].chars().next().map_or(1, char::len_utf8);
            } else {
                pos = m.end();
            }
            prev_end = Some(m.end());
            if accept {
                out.push(m.as_str());
            }
        }
        out
    }
}

super::overload::overloads! {
    /// `matches` (RE2 syntax, Go semantics), `find` and `findAll`.
    Regex {
        StringFindString = "string_find_string" member "find"("string", "string") -> "string", Regex;
        StringFindAllString = "string_find_all_string" member "findAll"("string", "string") -> "list(string)", Regex;
        StringFindAllStringInt = "string_find_all_string_int" member "findAll"("string", "string", "int") -> "list(string)", Regex;
        Matches = "matches" global "matches"("string", "string") -> "bool", One;
        MatchesString = "matches_string" member "matches"("string", "string") -> "bool", Regex;
    }
}

/// `matches`, `find` and `findAll`; `pre` is the pattern compiled while
/// planning.
pub(crate) fn call<'a>(
    o: Regex,
    args: &[Value<'a>],
    pre: Option<&Arc<CompiledRegex>>,
) -> Result<Value<'a>, Error> {
    let (Some(s), Some(p)) = (
        args.first().and_then(Value::as_str),
        args.get(1).and_then(Value::as_str),
    ) else {
        return Err(Error::no_such_overload());
    };
    let matches = matches!(o, Regex::Matches | Regex::MatchesString);
    let re = match pre {
        Some(r) => r.clone(),
        None => match compile_shared(p) {
            Ok(r) => r,
            Err(e) if matches => return Err(Error::msg(e)),
            Err(e) => return Err(Error::msg(format!("Illegal regex: {e}"))),
        },
    };
    Ok(match o {
        Regex::Matches | Regex::MatchesString => Value::Bool(re.re.is_match(s)),
        Regex::StringFindString => Value::str(re.re.find(s).map_or("", |m| m.as_str())),
        Regex::StringFindAllString | Regex::StringFindAllStringInt => {
            let n = match args.get(2) {
                Some(Value::Int(n)) => *n,
                _ => -1,
            };
            Value::list(re.find_all(s, n).into_iter().map(Value::str).collect())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(p: &str, s: &str, n: i64) -> Vec<String> {
        compile(p)
            .map(|r| r.find_all(s, n).into_iter().map(str::to_string).collect())
            .unwrap_or_default()
    }

    #[test]
    fn go_semantics() {
        assert_eq!(all("a*", "baaab", -1), ["", "aaa", ""]);
        assert_eq!(all("[a-z]+", "ab1cd2", 1), ["ab"]);
        assert!(compile("\\d").is_ok_and(|r| !r.re.is_match("٣")));
        assert!(compile("a{").is_ok_and(|r| r.re.is_match("a{")));
        assert!(compile("[[]").is_ok_and(|r| r.re.is_match("[")));
        assert!(compile("\\Q.*\\E").is_ok_and(|r| r.re.is_match(".*") && !r.re.is_match("ab")));
        assert!(compile("\\101").is_ok_and(|r| r.re.is_match("A")));
        assert!(compile("^\\p{L}+$").is_ok_and(|r| r.re.is_match("jürgen")));
        assert!(compile("^[\\p{Greek}\\pN]+$").is_ok_and(|r| r.re.is_match("αβ1")));
        assert!(compile("\\PL").is_ok_and(|r| r.re.is_match("1") && !r.re.is_match("a")));
        assert!(compile("(?P<n>x)|(?P<n>y)").is_ok_and(|r| r.re.is_match("y")));
        assert!(compile("(?<n>x)z").is_ok_and(|r| r.re.is_match("xz")));
        assert_eq!(
            compile("[").err().as_deref(),
            Some("error parsing regexp: missing closing ]: `[`")
        );
    }
}
