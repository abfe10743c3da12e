//! The Kubernetes semver library (blang/semver v4 `Parse` and the
//! library's `normalizeAndParse`) and the format library
//! (`format.<name>().validate(s)`, `format.named`).

use super::error::Error;
use super::ext_types::Ext;
use super::value::Value;
use crate::authz::selector::validation::{
    is_dns1123_subdomain, is_qualified_name, is_valid_label_value,
};
use crate::go::quote;
use std::cmp::Ordering;

/// A pre-release identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pre {
    Num(u64),
    Alpha(String),
}

/// A semantic version (build metadata is kept only for parsing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Semver {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: Vec<Pre>,
}

fn only(s: &str, extra_dash: bool, letters: bool) -> bool {
    s.chars().all(|c| {
        c.is_ascii_digit() || (letters && c.is_ascii_alphabetic()) || (extra_dash && c == '-')
    })
}

fn parse_u64(s: &str) -> Result<u64, String> {
    s.parse::<u64>().map_err(|_| {
        let why = if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            "invalid syntax"
        } else {
            "value out of range"
        };
        format!("strconv.ParseUint: parsing {}: {why}", quote(s))
    })
}

fn number(s: &str, what: &str) -> Result<u64, String> {
    if !only(s, false, false) {
        return Err(format!(
            "Invalid character(s) found in {what} number {}",
            quote(s)
        ));
    }
    if s.len() > 1 && s.starts_with('0') {
        let cap = format!("{}{}", what[..1].to_uppercase(), &what[1..]);
        return Err(format!(
            "{cap} number must not contain leading zeroes {}",
            quote(s)
        ));
    }
    parse_u64(s)
}

/// blang/semver v4 `Parse`.
pub(crate) fn parse(s: &str) -> Result<Semver, String> {
    if s.is_empty() {
        return Err("Version string empty".to_string());
    }
    let parts: Vec<&str> = s.splitn(3, '.').collect();
    let [major, minor, rest] = parts.as_slice() else {
        return Err("No Major.Minor.Patch elements found".to_string());
    };
    let major = number(major, "major")?;
    let minor = number(minor, "minor")?;
    let mut patch_str = *rest;
    let mut build: Vec<&str> = Vec::new();
    if let Some(i) = patch_str.find('+') {
        build = patch_str[i + 1..].split('.').collect();
        patch_str = &patch_str[..i];
    }
    let mut pre_strs: Vec<&str> = Vec::new();
    if let Some(i) = patch_str.find('-') {
        pre_strs = patch_str[i + 1..].split('.').collect();
        patch_str = &patch_str[..i];
    }
    let patch = number(patch_str, "patch")?;
    let mut pre = Vec::new();
    for p in pre_strs {
        if p.is_empty() {
            return Err("Prerelease is empty".to_string());
        }
        if only(p, false, false) {
            if p.len() > 1 && p.starts_with('0') {
                return Err(format!(
                    "Numeric PreRelease version must not contain leading zeroes {}",
                    quote(p)
                ));
            }
            pre.push(Pre::Num(parse_u64(p)?));
        } else if only(p, true, true) {
            pre.push(Pre::Alpha(p.to_string()));
        } else {
            return Err(format!(
                "Invalid character(s) found in prerelease {}",
                quote(p)
            ));
        }
    }
    for b in build {
        if b.is_empty() {
            return Err("Build meta data is empty".to_string());
        }
        if !only(b, true, true) {
            return Err(format!(
                "Invalid character(s) found in build meta data {}",
                quote(b)
            ));
        }
    }
    Ok(Semver {
        major,
        minor,
        patch,
        pre,
    })
}

/// The library's `normalizeAndParse`.
pub(crate) fn normalize_and_parse(s: &str) -> Result<Semver, String> {
    let s = s.strip_prefix('v').unwrap_or(s);
    let mut parts: Vec<String> = s.splitn(3, '.').map(str::to_string).collect();
    for p in parts.iter_mut() {
        if p.len() > 1 {
            let t = p.trim_start_matches('0');
            *p = if t.is_empty() || !t.starts_with(|c: char| c.is_ascii_digit()) {
                format!("0{t}")
            } else {
                t.to_string()
            };
        }
    }
    if parts.len() < 3 {
        if parts.last().is_some_and(|p| p.contains(['+', '-'])) {
            return Err("short version cannot contain PreRelease/Build meta data".to_string());
        }
        while parts.len() < 3 {
            parts.push("0".to_string());
        }
    }
    parse(&parts.join("."))
}

/// blang/semver `Compare`.
pub(crate) fn compare(a: &Semver, b: &Semver) -> Ordering {
    let core = (a.major, a.minor, a.patch).cmp(&(b.major, b.minor, b.patch));
    if core != Ordering::Equal {
        return core;
    }
    match (a.pre.is_empty(), b.pre.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    for (x, y) in a.pre.iter().zip(b.pre.iter()) {
        let o = match (x, y) {
            (Pre::Num(p), Pre::Num(q)) => p.cmp(q),
            (Pre::Num(_), Pre::Alpha(_)) => Ordering::Less,
            (Pre::Alpha(_), Pre::Num(_)) => Ordering::Greater,
            (Pre::Alpha(p), Pre::Alpha(q)) => p.cmp(q),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.pre.len().cmp(&b.pre.len())
}

/// The named formats: (name, library name, max regex size for cost).
pub(crate) const FORMATS: [(&str, usize); 13] = [
    ("dns1123Label", 30),
    ("dns1123Subdomain", 60),
    ("dns1035Label", 30),
    ("qualifiedName", 60),
    ("dns1123LabelPrefix", 30),
    ("dns1123SubdomainPrefix", 60),
    ("dns1035LabelPrefix", 30),
    ("labelValue", 40),
    ("uri", 2000),
    ("uuid", 126),
    ("byte", 87),
    ("date", 71),
    ("datetime", 71),
];

fn regex_error(msg: &str, re: &str, examples: &[&str]) -> String {
    let ex: Vec<String> = examples.iter().map(|e| format!("'{e}', ")).collect();
    format!(
        "{msg} (e.g. {}regex used for validation is '{re}')",
        ex.join("or ")
    )
}

fn label(s: &str, first_alpha: bool) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push("must be no more than 63 bytes".to_string());
    }
    let b = s.as_bytes();
    let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok = match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            (if first_alpha {
                f.is_ascii_lowercase()
            } else {
                edge(f)
            }) && edge(l)
                && b.iter().all(|c| edge(c) || *c == b'-')
        }
        _ => false,
    };
    if !ok {
        errs.push(if first_alpha {
            regex_error(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', \
                 start with an alphabetic character, and end with an alphanumeric character",
                "[a-z]([-a-z0-9]*[a-z0-9])?",
                &["my-name", "abc-123"],
            )
        } else {
            regex_error(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters \
                 or '-', and must start and end with an alphanumeric character",
                "[a-z0-9]([-a-z0-9]*[a-z0-9])?",
                &["my-name", "123-abc"],
            )
        });
    }
    errs
}

fn mask_trailing_dash(s: &str) -> String {
    match s.strip_suffix('-') {
        Some(head) if s.len() > 1 => format!("{head}a"),
        _ => s.to_string(),
    }
}

fn is_uuid(s: &str) -> bool {
    let hex = |p: &str| p.bytes().all(|c| c.is_ascii_hexdigit());
    let parts: Vec<&str> = s.split('-').collect();
    match parts.as_slice() {
        [a] => a.len() == 32 && hex(a),
        [a, b, c, d, e] => {
            [a.len(), b.len(), c.len(), d.len(), e.len()] == [8, 4, 4, 4, 12]
                && parts.iter().all(|p| hex(p))
        }
        _ => false,
    }
}

fn is_base64(s: &str) -> bool {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).is_ok()
}

fn is_date(s: &str) -> bool {
    s.len() == 10 && super::golang::parse_rfc3339(&format!("{s}T00:00:00Z")).is_some()
}

/// Runs the named format's validation; the messages are apimachinery's.
pub(crate) fn validate(name: &str, s: &str) -> Vec<String> {
    let one = |ok: bool, msg: &str| {
        if ok {
            Vec::new()
        } else {
            vec![msg.to_string()]
        }
    };
    match name {
        "dns1123Label" => label(s, false),
        "dns1123LabelPrefix" => label(&mask_trailing_dash(s), false),
        "dns1035Label" => label(s, true),
        "dns1035LabelPrefix" => label(&mask_trailing_dash(s), true),
        "dns1123Subdomain" => is_dns1123_subdomain(s),
        "dns1123SubdomainPrefix" => is_dns1123_subdomain(&mask_trailing_dash(s)),
        "qualifiedName" => is_qualified_name(s),
        "labelValue" => is_valid_label_value(s),
        "uri" => super::fn_url::validate_request_uri(s).map_or_else(|e| vec![e], |_| Vec::new()),
        "uuid" => one(is_uuid(s), "does not match the UUID format"),
        "byte" => one(is_base64(s), "invalid base64"),
        "date" => one(is_date(s), "invalid date"),
        _ => one(
            super::golang::parse_rfc3339(s).is_some(),
            "invalid datetime",
        ),
    }
}

fn sv(v: &Value<'_>) -> Option<std::sync::Arc<Semver>> {
    match v {
        Value::Ext(Ext::Semver(s)) => Some(s.clone()),
        _ => None,
    }
}

super::overload::overloads! {
    /// The semver and format libraries.
    SemverFormat {
        SemverCompareTo = "semver_compare_to" member "compareTo"("kubernetes.Semver", "kubernetes.Semver") -> "int", One;
        FormatByte = "format.byte" global "format.byte"() -> "kubernetes.NamedFormat", One;
        FormatDate = "format.date" global "format.date"() -> "kubernetes.NamedFormat", One;
        FormatDatetime = "format.datetime" global "format.datetime"() -> "kubernetes.NamedFormat", One;
        FormatDns1035Label = "format.dns1035Label" global "format.dns1035Label"() -> "kubernetes.NamedFormat", One;
        FormatDns1035LabelPrefix = "format.dns1035LabelPrefix" global "format.dns1035LabelPrefix"() -> "kubernetes.NamedFormat", One;
        FormatDns1123Label = "format.dns1123Label" global "format.dns1123Label"() -> "kubernetes.NamedFormat", One;
        FormatDns1123LabelPrefix = "format.dns1123LabelPrefix" global "format.dns1123LabelPrefix"() -> "kubernetes.NamedFormat", One;
        FormatDns1123Subdomain = "format.dns1123Subdomain" global "format.dns1123Subdomain"() -> "kubernetes.NamedFormat", One;
        FormatDns1123SubdomainPrefix = "format.dns1123SubdomainPrefix" global "format.dns1123SubdomainPrefix"() -> "kubernetes.NamedFormat", One;
        FormatLabelValue = "format.labelValue" global "format.labelValue"() -> "kubernetes.NamedFormat", One;
        FormatNamed = "format-named" global "format.named"("string") -> "optional_type(kubernetes.NamedFormat)", One;
        FormatQualifiedName = "format.qualifiedName" global "format.qualifiedName"() -> "kubernetes.NamedFormat", One;
        FormatUri = "format.uri" global "format.uri"() -> "kubernetes.NamedFormat", One;
        FormatUuid = "format.uuid" global "format.uuid"() -> "kubernetes.NamedFormat", One;
        SemverIsGreaterThan = "semver_is_greater_than" member "isGreaterThan"("kubernetes.Semver", "kubernetes.Semver") -> "bool", One;
        SemverIsLessThan = "semver_is_less_than" member "isLessThan"("kubernetes.Semver", "kubernetes.Semver") -> "bool", One;
        IsSemverString = "is_semver_string" global "isSemver"("string") -> "bool", Scan(STRING_TRAVERSAL);
        IsSemverStringBool = "is_semver_string_bool" global "isSemver"("string", "bool") -> "bool", Scan(STRING_TRAVERSAL);
        SemverMajor = "semver_major" member "major"("kubernetes.Semver") -> "int", One;
        SemverMinor = "semver_minor" member "minor"("kubernetes.Semver") -> "int", One;
        SemverPatch = "semver_patch" member "patch"("kubernetes.Semver") -> "int", One;
        StringToSemver = "string_to_semver" global "semver"("string") -> "kubernetes.Semver", Scan(STRING_TRAVERSAL);
        StringBoolToSemver = "string_bool_to_semver" global "semver"("string", "bool") -> "kubernetes.Semver", Scan(STRING_TRAVERSAL);
        FormatValidate = "format-validate" member "validate"("kubernetes.NamedFormat", "string") -> "optional_type(list(string))", Validate;
    }
}

/// `format.<name>()`.
fn named_format<'a>(name: &str) -> Result<Value<'a>, Error> {
    FORMATS
        .iter()
        .position(|(n, _)| *n == name)
        .map(|i| Value::Ext(Ext::Format(i)))
        .ok_or_else(Error::no_such_overload)
}

/// Calls of the semver and format libraries.
pub(crate) fn call<'a>(overload: SemverFormat, args: &[Value<'a>]) -> Result<Value<'a>, Error> {
    let bad = || Err(Error::no_such_overload());
    // Arity is checked by dispatch; a missing receiver is a bad one.
    let arg0 = args.first().unwrap_or(&Value::Null);
    match overload {
        SemverFormat::StringToSemver
        | SemverFormat::StringBoolToSemver
        | SemverFormat::IsSemverString
        | SemverFormat::IsSemverStringBool => {
            let Some(s) = arg0.as_str() else {
                return bad();
            };
            let normalize = matches!(args.get(1), Some(Value::Bool(true)));
            let parsed = if normalize {
                normalize_and_parse(s)
            } else {
                parse(s)
            };
            if let SemverFormat::IsSemverString | SemverFormat::IsSemverStringBool = overload {
                Ok(Value::Bool(parsed.is_ok()))
            } else {
                parsed
                    .map(|v| Value::Ext(Ext::Semver(std::sync::Arc::new(v))))
                    .map_err(Error::msg)
            }
        }
        SemverFormat::SemverMajor | SemverFormat::SemverMinor | SemverFormat::SemverPatch => {
            let Some(v) = sv(arg0) else {
                return bad();
            };
            let n = match overload {
                SemverFormat::SemverMajor => v.major,
                SemverFormat::SemverMinor => v.minor,
                _ => v.patch,
            };
            Ok(Value::Int(n as i64))
        }
        SemverFormat::SemverIsGreaterThan
        | SemverFormat::SemverIsLessThan
        | SemverFormat::SemverCompareTo => {
            let (Some(a), Some(b)) = (sv(arg0), args.get(1).and_then(sv)) else {
                return bad();
            };
            let o = compare(&a, &b);
            Ok(match overload {
                SemverFormat::SemverIsGreaterThan => Value::Bool(o == Ordering::Greater),
                SemverFormat::SemverIsLessThan => Value::Bool(o == Ordering::Less),
                _ => Value::Int(o as i64),
            })
        }
        SemverFormat::FormatByte => named_format("byte"),
        SemverFormat::FormatDate => named_format("date"),
        SemverFormat::FormatDatetime => named_format("datetime"),
        SemverFormat::FormatDns1035Label => named_format("dns1035Label"),
        SemverFormat::FormatDns1035LabelPrefix => named_format("dns1035LabelPrefix"),
        SemverFormat::FormatDns1123Label => named_format("dns1123Label"),
        SemverFormat::FormatDns1123LabelPrefix => named_format("dns1123LabelPrefix"),
        SemverFormat::FormatDns1123Subdomain => named_format("dns1123Subdomain"),
        SemverFormat::FormatDns1123SubdomainPrefix => named_format("dns1123SubdomainPrefix"),
        SemverFormat::FormatLabelValue => named_format("labelValue"),
        SemverFormat::FormatQualifiedName => named_format("qualifiedName"),
        SemverFormat::FormatUri => named_format("uri"),
        SemverFormat::FormatUuid => named_format("uuid"),
        SemverFormat::FormatNamed => {
            let Some(s) = arg0.as_str() else {
                return bad();
            };
            Ok(match FORMATS.iter().position(|(n, _)| *n == s) {
                Some(i) => Value::some(Value::Ext(Ext::Format(i))),
                None => Value::Optional(None),
            })
        }
        SemverFormat::FormatValidate => {
            let (Value::Ext(Ext::Format(i)), Some(s)) = (arg0, args.get(1).and_then(Value::as_str))
            else {
                return bad();
            };
            let errs = validate(FORMATS.get(*i).map_or("", |f| f.0), s);
            Ok(if errs.is_empty() {
                Value::Optional(None)
            } else {
                Value::some(Value::list(errs.into_iter().map(Value::str).collect()))
            })
        }
    }
}
