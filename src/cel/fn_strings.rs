//! cel-go's `ext.Strings` (version 2): code-point based string functions,
//! `join`, `strings.quote` and `string.format` (the version-1 formatter
//! with its locale-aware `%f`/`%e`).

use super::error::Error;
use super::value::{List, Value};

type R<'a> = Result<Value<'a>, Error>;

super::overload::overloads! {
    /// cel-go's strings extension (version 2).
    Strings {
        StringCharAtInt = "string_char_at_int" member "charAt"("string", "int") -> "string", One;
        StringFormat = "string_format" member "format"("string", "list(dyn)") -> "string", One;
        StringIndexOfString = "string_index_of_string" member "indexOf"("string", "string") -> "int", Traversal;
        StringIndexOfStringInt = "string_index_of_string_int" member "indexOf"("string", "string", "int") -> "int", Traversal;
        ListJoin = "list_join" member "join"("list(string)") -> "string", Join;
        ListJoinString = "list_join_string" member "join"("list(string)", "string") -> "string", Join;
        StringLastIndexOfString = "string_last_index_of_string" member "lastIndexOf"("string", "string") -> "int", Traversal;
        StringLastIndexOfStringInt = "string_last_index_of_string_int" member "lastIndexOf"("string", "string", "int") -> "int", Traversal;
        StringLowerAscii = "string_lower_ascii" member "lowerAscii"("string") -> "string", Scan(STRING_TRAVERSAL);
        StringReplaceStringString = "string_replace_string_string" member "replace"("string", "string", "string") -> "string", Scan(2.0 * STRING_TRAVERSAL);
        StringReplaceStringStringInt = "string_replace_string_string_int" member "replace"("string", "string", "string", "int") -> "string", Scan(2.0 * STRING_TRAVERSAL);
        StringSplitString = "string_split_string" member "split"("string", "string") -> "list(string)", Scan(2.0 * STRING_TRAVERSAL);
        StringSplitStringInt = "string_split_string_int" member "split"("string", "string", "int") -> "list(string)", Scan(2.0 * STRING_TRAVERSAL);
        StringsQuote = "strings_quote" global "strings.quote"("string") -> "string", One;
        StringSubstringInt = "string_substring_int" member "substring"("string", "int") -> "string", Scan(STRING_TRAVERSAL);
        StringSubstringIntInt = "string_substring_int_int" member "substring"("string", "int", "int") -> "string", Scan(STRING_TRAVERSAL);
        StringTrim = "string_trim" member "trim"("string") -> "string", Scan(STRING_TRAVERSAL);
        StringUpperAscii = "string_upper_ascii" member "upperAscii"("string") -> "string", Scan(STRING_TRAVERSAL);
    }
}

fn out_of_range(i: i64) -> Error {
    Error::msg(format!("index out of range: {i}"))
}

fn char_at(s: &str, i: i64) -> Result<String, Error> {
    let runes: Vec<char> = s.chars().collect();
    match usize::try_from(i) {
        Ok(u) if u < runes.len() => Ok(runes[u].to_string()),
        Ok(u) if u == runes.len() => Ok(String::new()),
        _ => Err(out_of_range(i)),
    }
}

fn index_of(s: &str, sub: &str, offset: i64) -> Result<i64, Error> {
    if sub.is_empty() {
        return Ok(offset);
    }
    let runes: Vec<char> = s.chars().collect();
    let subr: Vec<char> = sub.chars().collect();
    let off = usize::try_from(offset).map_err(|_| out_of_range(offset))?;
    // cel-go: an offset at or past the end finds nothing (not an error).
    if off >= runes.len() {
        return Ok(-1);
    }
    let last = runes.len() as i64 - subr.len() as i64;
    let mut i = off as i64;
    while i <= last {
        if runes[i as usize..].starts_with(&subr) {
            return Ok(i);
        }
        i += 1;
    }
    Ok(-1)
}

fn last_index_of(s: &str, sub: &str, offset: Option<i64>) -> Result<i64, Error> {
    let runes: Vec<char> = s.chars().collect();
    if sub.is_empty() {
        return Ok(offset.unwrap_or(runes.len() as i64));
    }
    // cel-go: without an offset, a needle longer (in bytes) than the string
    // is simply not found.
    if offset.is_none() && s.len() < sub.len() {
        return Ok(-1);
    }
    let offset = offset.unwrap_or(runes.len() as i64 - 1);
    let subr: Vec<char> = sub.chars().collect();
    if offset < 0 {
        return Err(out_of_range(offset));
    }
    // cel-go: an offset at or past the end finds nothing (not an error).
    if offset as usize >= runes.len() {
        return Ok(-1);
    }
    let mut i = offset.min(runes.len() as i64 - subr.len() as i64);
    while i >= 0 {
        if runes[i as usize..].starts_with(&subr) {
            return Ok(i);
        }
        i -= 1;
    }
    Ok(-1)
}

fn substring(s: &str, start: i64, end: Option<i64>) -> Result<String, Error> {
    let runes: Vec<char> = s.chars().collect();
    let len = runes.len() as i64;
    if let Some(e) = end
        && start > e
    {
        return Err(Error::msg(format!(
            "invalid substring range. start: {start}, end: {e}"
        )));
    }
    if start < 0 || start > len {
        return Err(out_of_range(start));
    }
    let e = end.unwrap_or(len);
    if e < 0 || e > len {
        return Err(out_of_range(e));
    }
    Ok(runes[start as usize..e as usize].iter().collect())
}

/// Go's `strings.SplitN` (n < 0: all).
fn split_n(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let chars: Vec<char> = s.chars().collect();
        let limit = if n < 0 {
            chars.len()
        } else {
            (n as usize).min(chars.len())
        };
        let mut out: Vec<String> = chars
            .iter()
            .take(limit.saturating_sub(1))
            .map(|c| c.to_string())
            .collect();
        if limit > 0 {
            out.push(chars[limit - 1..].iter().collect());
        }
        return out;
    }
    if n < 0 {
        s.split(sep).map(str::to_string).collect()
    } else {
        s.splitn(n as usize, sep).map(str::to_string).collect()
    }
}

/// Results larger than this are refused as if the cost limit had been hit:
/// the cost model charges `replace` by its input only.
const MAX_RESULT: usize = 1 << 26;

fn replace_n(s: &str, old: &str, new: &str, n: i64) -> Result<String, Error> {
    let occurrences = if old.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(old).count()
    };
    let count = if n < 0 {
        occurrences
    } else {
        occurrences.min(n as usize)
    };
    if s.len().saturating_add(count.saturating_mul(new.len())) > MAX_RESULT {
        return Err(Error::Cancelled);
    }
    Ok(if n < 0 {
        s.replace(old, new)
    } else {
        s.replacen(old, new, n as usize)
    })
}

fn ascii_case(s: &str, upper: bool) -> String {
    if upper {
        s.to_ascii_uppercase()
    } else {
        s.to_ascii_lowercase()
    }
}

fn quote_cel(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn join(list: &List<'_>, sep: &str) -> Result<String, Error> {
    let mut out = String::new();
    for (i, v) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        match v.as_str() {
            Some(s) => out.push_str(s),
            None => {
                return Err(Error::msg(format!(
                    "join: invalid input: {}",
                    super::value::go_v(&v)
                )));
            }
        }
    }
    Ok(out)
}

fn int(v: Option<&Value<'_>>) -> Option<i64> {
    match v {
        Some(Value::Int(i)) => Some(*i),
        _ => None,
    }
}

/// String-extension calls.
pub(crate) fn call<'a>(o: Strings, args: &[Value<'a>]) -> R<'a> {
    use Strings as S;
    let s = args.first().and_then(Value::as_str);
    let s1 = args.get(1).and_then(Value::as_str);
    let s2 = args.get(2).and_then(Value::as_str);
    let (i1, i2, i3) = (int(args.get(1)), int(args.get(2)), int(args.get(3)));
    let r = match o {
        S::ListJoin | S::ListJoinString => match args.first() {
            Some(Value::List(l)) => Some(join(l, s1.unwrap_or("")).map(Value::str)),
            _ => None,
        },
        S::StringFormat => match (s, args.get(1)) {
            (Some(f), Some(Value::List(l))) => Some(super::fn_format::format(f, l).map(Value::str)),
            _ => None,
        },
        S::StringCharAtInt => s.zip(i1).map(|(s, i)| char_at(s, i).map(Value::str)),
        S::StringIndexOfString => s.zip(s1).map(|(s, t)| index_of(s, t, 0).map(Value::Int)),
        S::StringIndexOfStringInt => s
            .zip(s1)
            .zip(i2)
            .map(|((s, t), o)| index_of(s, t, o).map(Value::Int)),
        S::StringLastIndexOfString => s
            .zip(s1)
            .map(|(s, t)| last_index_of(s, t, None).map(Value::Int)),
        S::StringLastIndexOfStringInt => s
            .zip(s1)
            .zip(i2)
            .map(|((s, t), o)| last_index_of(s, t, Some(o)).map(Value::Int)),
        S::StringLowerAscii => s.map(|s| Ok(Value::str(ascii_case(s, false)))),
        S::StringUpperAscii => s.map(|s| Ok(Value::str(ascii_case(s, true)))),
        S::StringTrim => s.map(|s| Ok(Value::str(s.trim()))),
        S::StringsQuote => s.map(|s| Ok(Value::str(quote_cel(s)))),
        S::StringReplaceStringString => s
            .zip(s1)
            .zip(s2)
            .map(|((s, o), n)| replace_n(s, o, n, -1).map(Value::str)),
        S::StringReplaceStringStringInt => s
            .zip(s1)
            .zip(s2)
            .zip(i3)
            .map(|(((s, o), n), k)| replace_n(s, o, n, k).map(Value::str)),
        S::StringSplitString => s.zip(s1).map(|(s, sep)| Ok(strings(split_n(s, sep, -1)))),
        S::StringSplitStringInt => s
            .zip(s1)
            .zip(i2)
            .map(|((s, sep), n)| Ok(strings(split_n(s, sep, n)))),
        S::StringSubstringInt => s
            .zip(i1)
            .map(|(s, i)| substring(s, i, None).map(Value::str)),
        S::StringSubstringIntInt => s
            .zip(i1)
            .zip(i2)
            .map(|((s, a), b)| substring(s, a, Some(b)).map(Value::str)),
    };
    r.unwrap_or(Err(Error::no_such_overload()))
}

fn strings<'a>(v: Vec<String>) -> Value<'a> {
    Value::list(v.into_iter().map(Value::str).collect())
}
