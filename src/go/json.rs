//! Go's `encoding/json` string encoding: HTML-safe (`<`, `>`, `&` as `\u003c`...), U+2028 and
//! U+2029 escaped, `\b` `\f` `\n` `\r` `\t` as short escapes, other control characters as
//! `\u00XX`, everything else written raw.

use std::fmt::Write;

/// `json.Marshal` of a `[]string`; `null` for a nil slice.
pub fn json_strings(values: Option<&[String]>) -> String {
    let Some(values) = values else {
        return "null".to_owned();
    };
    let mut out = String::from("[");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json_string(&mut out, v);
    }
    out.push(']');
    out
}

/// `json.Marshal` of a `string`.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_json_string(&mut out, s);
    out
}

/// Appends `s` JSON-encoded as Go does. Strings needing no escape are copied whole.
pub fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    if !s
        .bytes()
        .enumerate()
        .any(|(i, b)| needs_escape(s.as_bytes(), i, b))
    {
        out.push_str(s);
    } else {
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
                    // INVARIANT: writing to a String cannot fail.
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

#[inline]
fn needs_escape(bytes: &[u8], i: usize, b: u8) -> bool {
    match b {
        0..=0x1f | b'"' | b'\\' | b'<' | b'>' | b'&' => true,
        // U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
        0xe2 => bytes.get(i + 1) == Some(&0x80) && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::json_string;

    #[test]
    fn escapes_like_go() {
        let cases = [
            ("plain", r#""plain""#),
            ("été 😀", r#""été 😀""#),
            ("<a&b>", r#""\u003ca\u0026b\u003e""#),
            ("q\"b\\", r#""q\"b\\""#),
            ("\n\r\t\u{8}\u{c}\u{1}", r#""\n\r\t\b\f\u0001""#),
            ("ls\u{2028}ps\u{2029}", r#""ls\u2028ps\u2029""#),
            ("\u{2027}", "\"\u{2027}\""),
        ];
        for (input, want) in cases {
            assert_eq!(json_string(input), want, "{input:?}");
        }
    }
}
