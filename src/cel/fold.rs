//! The program-planning checks kube-apiserver performs when it instantiates
//! the program (cel-go `env.Program` with `OptOptimize` and the Kubernetes
//! regex optimizations): type conversions of constants are folded, so a
//! failing one (`int(9223372036854775807.0)`, `string(b'\xff')`) fails the
//! program; constant patterns of `matches`, `find` and `findAll` are compiled
//! with Go's regexp syntax. The first failure in planning order (children
//! before parents, receivers before arguments) is reported.

use super::checker::Checked;
use super::golang;
use super::types::Type;
use super::validators::{children, function_name, timestamp_in_range};
use ::cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue};
use std::collections::HashSet;

/// A constant value, as far as planning needs one.
#[derive(Debug, Clone, PartialEq)]
enum Const {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Double(f64),
    String(String),
    Bytes(Vec<u8>),
    /// Nanoseconds.
    Duration(i64),
    /// Unix seconds and nanoseconds.
    Timestamp(i64, u32),
    /// A type value, by type name.
    Type(String),
    List(Vec<Const>),
    Map(Vec<(Const, Const)>),
}

impl Const {
    fn type_name(&self) -> &str {
        match self {
            Const::Null => "null_type",
            Const::Bool(_) => "bool",
            Const::Int(_) => "int",
            Const::Uint(_) => "uint",
            Const::Double(_) => "double",
            Const::String(_) => "string",
            Const::Bytes(_) => "bytes",
            Const::Duration(_) => "google.protobuf.Duration",
            Const::Timestamp(_, _) => "google.protobuf.Timestamp",
            Const::Type(_) => "type",
            Const::List(_) => "list",
            Const::Map(_) => "map",
        }
    }
}

/// Plans the checked expression; `Err` carries cel-go's error text.
pub fn plan(root: &IdedExpr, checked: &Checked) -> Result<(), String> {
    Planner {
        checked,
        locals: Vec::new(),
    }
    .plan(root)
    .map(|_| ())
}

struct Planner<'c> {
    checked: &'c Checked,
    locals: Vec<HashSet<String>>,
}

const CONVERSIONS: [&str; 10] = [
    "bool",
    "bytes",
    "double",
    "duration",
    "dyn",
    "int",
    "string",
    "timestamp",
    "type",
    "uint",
];

impl Planner<'_> {
    fn is_local(&self, name: &str) -> bool {
        self.locals.iter().any(|scope| scope.contains(name))
    }

    fn type_constant(&self, id: u64) -> Option<Const> {
        match self.checked.type_of(id) {
            Type::TypeOf(Some(inner)) => Some(Const::Type(inner.type_name().to_string())),
            Type::TypeOf(None) => Some(Const::Type("type".to_string())),
            _ => None,
        }
    }

    fn plan(&mut self, e: &IdedExpr) -> Result<Option<Const>, String> {
        match &e.expr {
            Expr::Literal(lit) => Ok(Some(literal(lit))),
            Expr::Ident(name) if !self.is_local(name) => Ok(self.type_constant(e.id)),
            Expr::Select(_) if self.checked.qualified_idents.contains(&e.id) => {
                Ok(self.type_constant(e.id))
            }
            Expr::Call(_) => self.plan_call(e),
            Expr::List(list) => {
                let mut values = Vec::new();
                for elem in &list.elements {
                    values.push(self.plan(elem)?);
                }
                Ok(values
                    .into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(Const::List))
            }
            Expr::Map(map) => {
                let mut entries = Vec::new();
                for entry in &map.entries {
                    if let EntryExpr::MapEntry(me) = &entry.expr {
                        let k = self.plan(&me.key)?;
                        let v = self.plan(&me.value)?;
                        entries.push(k.zip(v));
                    }
                }
                Ok(entries
                    .into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(Const::Map))
            }
            Expr::Comprehension(c) => {
                self.plan(&c.accu_init)?;
                self.plan(&c.iter_range)?;
                self.locals.push(HashSet::from([c.accu_var.clone()]));
                let mut loop_vars = HashSet::from([c.iter_var.clone()]);
                loop_vars.extend(c.iter_var2.clone());
                self.locals.push(loop_vars);
                self.plan(&c.loop_cond)?;
                self.plan(&c.loop_step)?;
                self.locals.pop();
                self.plan(&c.result)?;
                self.locals.pop();
                Ok(None)
            }
            _ => {
                for child in children(e, self.checked) {
                    self.plan(child)?;
                }
                Ok(None)
            }
        }
    }

    fn plan_call(&mut self, e: &IdedExpr) -> Result<Option<Const>, String> {
        let mut args = Vec::new();
        for child in children(e, self.checked) {
            args.push(self.plan(child)?);
        }
        let name = function_name(e, self.checked).unwrap_or_default();
        let member = matches!(&e.expr, Expr::Call(c) if c.target.is_some())
            && self.checked.calls.get(&e.id).is_none_or(|c| c.keeps_target);
        if !member
            && CONVERSIONS.contains(&name)
            && let [Some(value)] = args.as_slice()
        {
            return convert(name, value.clone()).map(Some);
        }
        if matches!(name, "matches" | "find" | "findAll")
            && let Some(Some(Const::String(pattern))) = args.get(1)
        {
            super::goregex::check(pattern)?;
        }
        Ok(None)
    }
}

fn literal(lit: &LiteralValue) -> Const {
    match lit {
        LiteralValue::Boolean(b) => Const::Bool(*b.inner()),
        LiteralValue::Bytes(b) => Const::Bytes(b.inner().to_vec()),
        LiteralValue::Double(d) => Const::Double(*d.inner()),
        LiteralValue::Int(i) => Const::Int(*i.inner()),
        LiteralValue::Null => Const::Null,
        LiteralValue::String(s) => Const::String(s.inner().to_string()),
        LiteralValue::UInt(u) => Const::Uint(*u.inner()),
    }
}

const INT_OVERFLOW: &str = "integer overflow";
const UINT_OVERFLOW: &str = "unsigned integer overflow";

/// cel-go's `ConvertToType` for the conversion function `to`.
fn convert(to: &str, value: Const) -> Result<Const, String> {
    let target = match to {
        "duration" => "google.protobuf.Duration",
        "timestamp" => "google.protobuf.Timestamp",
        other => other,
    };
    let fail = |v: &Const| {
        format!(
            "type conversion error from '{}' to '{target}'",
            v.type_name()
        )
    };
    let converted = match (to, &value) {
        ("dyn", _) => Some(value.clone()),
        ("type", v) => Some(Const::Type(v.type_name().to_string())),
        ("int", Const::Int(_)) | ("uint", Const::Uint(_)) | ("double", Const::Double(_)) => {
            Some(value.clone())
        }
        ("int", Const::Uint(u)) => Some(Const::Int(i64::try_from(*u).map_err(|_| INT_OVERFLOW)?)),
        ("int", Const::Double(d)) => {
            if !d.is_finite()
                || *d <= -9_223_372_036_854_775_808.0
                || *d >= 9_223_372_036_854_775_808.0
            {
                return Err(INT_OVERFLOW.to_string());
            }
            Some(Const::Int(*d as i64))
        }
        ("int", Const::String(s)) => golang::parse_int(s).map(Const::Int),
        ("int", Const::Timestamp(secs, _)) => Some(Const::Int(*secs)),
        ("int", Const::Duration(ns)) => Some(Const::Int(*ns)),
        ("uint", Const::Int(i)) => Some(Const::Uint(u64::try_from(*i).map_err(|_| UINT_OVERFLOW)?)),
        ("uint", Const::Double(d)) => {
            if !d.is_finite() || *d < 0.0 || *d >= 18_446_744_073_709_551_616.0 {
                return Err(UINT_OVERFLOW.to_string());
            }
            Some(Const::Uint(*d as u64))
        }
        ("uint", Const::String(s)) => golang::parse_uint(s).map(Const::Uint),
        ("double", Const::Int(i)) => Some(Const::Double(*i as f64)),
        ("double", Const::Uint(u)) => Some(Const::Double(*u as f64)),
        ("double", Const::String(s)) => golang::parse_float(s).map(Const::Double),
        ("string", v) => Some(Const::String(to_string(v)?)),
        ("bytes", Const::Bytes(_)) | ("bool", Const::Bool(_)) => Some(value.clone()),
        ("bytes", Const::String(s)) => Some(Const::Bytes(s.as_bytes().to_vec())),
        ("bool", Const::String(s)) => golang::parse_bool(s).map(Const::Bool),
        ("duration", Const::Duration(_)) | ("timestamp", Const::Timestamp(_, _)) => {
            Some(value.clone())
        }
        ("duration", Const::String(s)) => crate::go::Duration::parse(s)
            .ok()
            .map(|d| d.as_nanos())
            .map(Const::Duration),
        ("duration", Const::Int(i)) => Some(Const::Duration(*i)),
        ("timestamp", Const::String(s)) => match golang::parse_rfc3339(s) {
            Some((secs, _)) if !timestamp_in_range(secs) => {
                return Err("timestamp overflow".to_string());
            }
            other => other.map(|(secs, nanos)| Const::Timestamp(secs, nanos)),
        },
        ("timestamp", Const::Int(i)) if !timestamp_in_range(*i) => {
            return Err("timestamp overflow".to_string());
        }
        ("timestamp", Const::Int(i)) => Some(Const::Timestamp(*i, 0)),
        _ => None,
    };
    converted.ok_or_else(|| fail(&value))
}

fn to_string(v: &Const) -> Result<String, String> {
    Ok(match v {
        Const::String(s) => s.clone(),
        Const::Bool(b) => b.to_string(),
        Const::Int(i) => i.to_string(),
        Const::Uint(u) => u.to_string(),
        Const::Double(d) => golang::format_g(*d),
        Const::Bytes(b) => String::from_utf8(b.clone())
            .map_err(|_| "invalid UTF-8 in bytes, cannot convert to string".to_string())?,
        Const::Duration(ns) => format!("{}s", *ns as f64 / 1e9),
        Const::Timestamp(secs, nanos) => format_timestamp(*secs, *nanos),
        Const::Type(name) => name.clone(),
        other => {
            return Err(format!(
                "type conversion error from '{}' to 'string'",
                other.type_name()
            ));
        }
    })
}

/// RFC 3339 with trimmed nanoseconds, in UTC (Go's `RFC3339Nano`).
fn format_timestamp(secs: i64, nanos: u32) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = golang::civil_from_days(days);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_fail_like_cel_go() {
        let err = |to: &str, v: Const| convert(to, v).err();
        assert_eq!(
            err("int", Const::Double(9_223_372_036_854_775_807.0)),
            Some(INT_OVERFLOW.to_string())
        );
        assert_eq!(err("uint", Const::Int(-1)), Some(UINT_OVERFLOW.to_string()));
        assert_eq!(
            err("int", Const::String("x".into())),
            Some("type conversion error from 'string' to 'int'".to_string())
        );
        assert_eq!(
            err("string", Const::Bytes(vec![0xff])),
            Some("invalid UTF-8 in bytes, cannot convert to string".to_string())
        );
        assert_eq!(
            err("timestamp", Const::Int(i64::MAX)),
            Some("timestamp overflow".into())
        );
        assert_eq!(err("double", Const::Int(1)), None);
    }

    #[test]
    fn formats_timestamps() {
        assert_eq!(format_timestamp(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_timestamp(1_704_067_200, 500_000_000),
            "2024-01-01T00:00:00.5Z"
        );
    }
}
