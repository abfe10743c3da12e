//! Go's `encoding/json` string encoding: HTML-safe (`<`, `>`, `&` as `\u003c`...), U+2028 and
//! U+2029 escaped, other non-ASCII written raw.

/// `json.Marshal` of a `[]string`; `null` for a nil slice.
pub fn json_strings(values: Option<&[String]>) -> String {
    let Some(values) = values else {
        return "null".to_owned();
    };
    let items: Vec<String> = values.iter().map(|v| json_string(v)).collect();
    format!("[{}]", items.join(","))
}

/// `json.Marshal` of a `string`.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
