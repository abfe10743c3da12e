//! Function and identifier declarations of the environment kube-apiserver
//! compiles authorization `matchConditions` in: the CEL standard library and
//! the cel-go extensions it enables (optional types, strings v2, sets,
//! two-variable comprehensions, lists v3; tables in [`super::ext_libs`]).
//! The Kubernetes libraries are in [`super::k8s_libs`].

use super::types::{self, Type, parse_type};
use super::{ext_libs, k8s_libs};
use std::collections::HashMap;
use std::sync::OnceLock;

/// One overload of a function.
#[derive(Debug, Clone)]
pub struct OverloadDecl {
    /// cel-go's overload id, e.g. `size_list`.
    pub id: String,
    /// Whether the overload is called as `target.f(args)`.
    pub member: bool,
    /// Argument types, the receiver first for member overloads.
    pub args: Vec<Type>,
    /// Result type.
    pub result: Type,
    /// Names of the type parameters occurring in the signature.
    pub type_params: Vec<String>,
}

/// A function and its overloads, in declaration order.
#[derive(Debug, Clone)]
pub struct FunctionDecl {
    /// The function name, e.g. `_==_` or `sets.contains`.
    pub name: String,
    /// The overloads.
    pub overloads: Vec<OverloadDecl>,
}

/// All declarations of the environment.
#[derive(Debug, Default)]
pub struct Declarations {
    functions: HashMap<String, FunctionDecl>,
    idents: HashMap<String, Type>,
}

impl Declarations {
    /// The function of that exact name.
    pub fn function(&self, name: &str) -> Option<&FunctionDecl> {
        self.functions.get(name)
    }

    /// The declared (global) identifier of that exact name.
    pub fn ident(&self, name: &str) -> Option<&Type> {
        self.idents.get(name)
    }

    /// Adds an overload written in the compact type notation of
    /// [`parse_type`]; `args` include the receiver of member overloads.
    pub fn add(&mut self, name: &str, id: &str, member: bool, args: &[&str], result: &str) {
        let args: Vec<Type> = args.iter().map(|a| parse_type(a)).collect();
        let result = parse_type(result);
        let mut type_params = Vec::new();
        for t in args.iter().chain(std::iter::once(&result)) {
            collect_params(t, &mut type_params);
        }
        let decl = self
            .functions
            .entry(name.to_string())
            .or_insert_with(|| FunctionDecl {
                name: name.to_string(),
                overloads: Vec::new(),
            });
        if decl.overloads.iter().any(|o| o.id == id) {
            return;
        }
        decl.overloads.push(OverloadDecl {
            id: id.to_string(),
            member,
            args,
            result,
            type_params,
        });
    }

    /// Adds a global overload.
    pub fn global(&mut self, name: &str, id: &str, args: &[&str], result: &str) {
        self.add(name, id, false, args, result);
    }

    /// Adds a member overload (`args[0]` is the receiver).
    pub fn member(&mut self, name: &str, id: &str, args: &[&str], result: &str) {
        self.add(name, id, true, args, result);
    }

    /// Declares a global identifier.
    pub fn ident_decl(&mut self, name: &str, t: Type) {
        self.idents.insert(name.to_string(), t);
    }

    /// Every declared function (for table checks).
    #[cfg(test)]
    pub fn functions(&self) -> impl Iterator<Item = &FunctionDecl> {
        self.functions.values()
    }
}

fn collect_params(t: &Type, out: &mut Vec<String>) {
    if let Type::TypeParam(name) = t
        && !out.contains(name)
    {
        out.push(name.clone());
    }
    for p in t.params() {
        collect_params(p, out);
    }
}

/// The environment's declarations, built once.
pub fn declarations() -> &'static Declarations {
    static DECLS: OnceLock<Declarations> = OnceLock::new();
    DECLS.get_or_init(|| {
        let mut d = Declarations::default();
        standard(&mut d);
        k8s_libs::urls_regex_lists_authz(&mut d);
        ext_libs::optional(&mut d);
        k8s_libs::quantity(&mut d);
        ext_libs::strings_v2(&mut d);
        ext_libs::sets(&mut d);
        k8s_libs::ip_cidr_format_selectors(&mut d);
        ext_libs::two_var_comprehensions(&mut d);
        k8s_libs::semver(&mut d);
        ext_libs::lists_v3(&mut d);
        idents(&mut d);
        d
    })
}

/// Comparable element types of the list libraries.
pub const COMPARABLE: [&str; 8] = [
    "int",
    "uint",
    "double",
    "bool",
    "duration",
    "timestamp",
    "string",
    "bytes",
];

fn standard(d: &mut Declarations) {
    d.global("_?_:_", "conditional", &["bool", "A", "A"], "A");
    d.global("_&&_", "logical_and", &["bool", "bool"], "bool");
    d.global("_||_", "logical_or", &["bool", "bool"], "bool");
    d.global("!_", "logical_not", &["bool"], "bool");
    d.global(
        "@not_strictly_false",
        "not_strictly_false",
        &["bool"],
        "bool",
    );
    d.global("_==_", "equals", &["A", "A"], "bool");
    d.global("_!=_", "not_equals", &["A", "A"], "bool");
    for (id, a, b, r) in [
        ("add_bytes", "bytes", "bytes", "bytes"),
        ("add_double", "double", "double", "double"),
        ("add_duration_duration", "duration", "duration", "duration"),
        (
            "add_duration_timestamp",
            "duration",
            "timestamp",
            "timestamp",
        ),
        (
            "add_timestamp_duration",
            "timestamp",
            "duration",
            "timestamp",
        ),
        ("add_int64", "int", "int", "int"),
        ("add_list", "list(A)", "list(A)", "list(A)"),
        ("add_string", "string", "string", "string"),
        ("add_uint64", "uint", "uint", "uint"),
    ] {
        d.global("_+_", id, &[a, b], r);
    }
    for t in ["double", "int64", "uint64"] {
        let ty = cel_name(t);
        d.global("_/_", &format!("divide_{t}"), &[ty, ty], ty);
    }
    for t in ["int64", "uint64"] {
        let ty = cel_name(t);
        d.global("_%_", &format!("modulo_{t}"), &[ty, ty], ty);
    }
    for t in ["double", "int64", "uint64"] {
        let ty = cel_name(t);
        d.global("_*_", &format!("multiply_{t}"), &[ty, ty], ty);
    }
    d.global("-_", "negate_double", &["double"], "double");
    d.global("-_", "negate_int64", &["int"], "int");
    for (id, a, b, r) in [
        ("subtract_double", "double", "double", "double"),
        (
            "subtract_duration_duration",
            "duration",
            "duration",
            "duration",
        ),
        ("subtract_int64", "int", "int", "int"),
        (
            "subtract_timestamp_duration",
            "timestamp",
            "duration",
            "timestamp",
        ),
        (
            "subtract_timestamp_timestamp",
            "timestamp",
            "timestamp",
            "duration",
        ),
        ("subtract_uint64", "uint", "uint", "uint"),
    ] {
        d.global("_-_", id, &[a, b], r);
    }
    for (op, prefix) in [
        ("_<_", "less"),
        ("_<=_", "less_equals"),
        ("_>_", "greater"),
        ("_>=_", "greater_equals"),
    ] {
        for (suffix, a, b) in [
            ("bool", "bool", "bool"),
            ("int64", "int", "int"),
            ("int64_double", "int", "double"),
            ("int64_uint64", "int", "uint"),
            ("uint64", "uint", "uint"),
            ("uint64_double", "uint", "double"),
            ("uint64_int64", "uint", "int"),
            ("double", "double", "double"),
            ("double_int64", "double", "int"),
            ("double_uint64", "double", "uint"),
            ("string", "string", "string"),
            ("bytes", "bytes", "bytes"),
            ("timestamp", "timestamp", "timestamp"),
            ("duration", "duration", "duration"),
        ] {
            d.global(op, &format!("{prefix}_{suffix}"), &[a, b], "bool");
        }
    }
    d.global("_[_]", "index_list", &["list(A)", "int"], "A");
    d.global("_[_]", "index_map", &["map(A, B)", "A"], "B");
    d.global("@in", "in_list", &["A", "list(A)"], "bool");
    d.global("@in", "in_map", &["A", "map(A, B)"], "bool");
    for (t, ty) in [
        ("bytes", "bytes"),
        ("list", "list(A)"),
        ("map", "map(A, B)"),
        ("string", "string"),
    ] {
        d.global("size", &format!("size_{t}"), &[ty], "int");
        d.member("size", &format!("{t}_size"), &[ty], "int");
    }
    d.global("type", "type", &["A"], "type(A)");
    conversions(d);
    for (f, id) in [
        ("contains", "contains_string"),
        ("endsWith", "ends_with_string"),
        ("startsWith", "starts_with_string"),
    ] {
        d.member(f, id, &["string", "string"], "bool");
    }
    d.global("matches", "matches", &["string", "string"], "bool");
    d.member("matches", "matches_string", &["string", "string"], "bool");
    for (f, id) in [
        ("getFullYear", "timestamp_to_year"),
        ("getMonth", "timestamp_to_month"),
        ("getDayOfYear", "timestamp_to_day_of_year"),
        ("getDayOfMonth", "timestamp_to_day_of_month"),
        ("getDate", "timestamp_to_day_of_month_1_based"),
        ("getDayOfWeek", "timestamp_to_day_of_week"),
        ("getHours", "timestamp_to_hours"),
        ("getMinutes", "timestamp_to_minutes"),
        ("getSeconds", "timestamp_to_seconds"),
        ("getMilliseconds", "timestamp_to_milliseconds"),
    ] {
        d.member(f, id, &["timestamp"], "int");
        d.member(f, &format!("{id}_with_tz"), &["timestamp", "string"], "int");
    }
    for (f, id) in [
        ("getHours", "duration_to_hours"),
        ("getMinutes", "duration_to_minutes"),
        ("getSeconds", "duration_to_seconds"),
        ("getMilliseconds", "duration_to_milliseconds"),
    ] {
        d.member(f, id, &["duration"], "int");
    }
}

fn cel_name(go_name: &str) -> &'static str {
    match go_name {
        "int64" => "int",
        "uint64" => "uint",
        _ => "double",
    }
}

fn conversions(d: &mut Declarations) {
    let table: [(&str, &[(&str, &str)]); 9] = [
        (
            "bool",
            &[("bool_to_bool", "bool"), ("string_to_bool", "string")],
        ),
        (
            "bytes",
            &[("bytes_to_bytes", "bytes"), ("string_to_bytes", "string")],
        ),
        (
            "double",
            &[
                ("double_to_double", "double"),
                ("int64_to_double", "int"),
                ("string_to_double", "string"),
                ("uint64_to_double", "uint"),
            ],
        ),
        (
            "duration",
            &[
                ("duration_to_duration", "duration"),
                ("int64_to_duration", "int"),
                ("string_to_duration", "string"),
            ],
        ),
        ("dyn", &[("to_dyn", "A")]),
        (
            "int",
            &[
                ("int64_to_int64", "int"),
                ("double_to_int64", "double"),
                ("duration_to_int64", "duration"),
                ("string_to_int64", "string"),
                ("timestamp_to_int64", "timestamp"),
                ("uint64_to_int64", "uint"),
            ],
        ),
        (
            "string",
            &[
                ("string_to_string", "string"),
                ("bool_to_string", "bool"),
                ("bytes_to_string", "bytes"),
                ("double_to_string", "double"),
                ("duration_to_string", "duration"),
                ("int64_to_string", "int"),
                ("timestamp_to_string", "timestamp"),
                ("uint64_to_string", "uint"),
            ],
        ),
        (
            "timestamp",
            &[
                ("timestamp_to_timestamp", "timestamp"),
                ("int64_to_timestamp", "int"),
                ("string_to_timestamp", "string"),
            ],
        ),
        (
            "uint",
            &[
                ("uint64_to_uint64", "uint"),
                ("double_to_uint64", "double"),
                ("int64_to_uint64", "int"),
                ("string_to_uint64", "string"),
            ],
        ),
    ];
    for (f, overloads) in table {
        for (id, arg) in overloads {
            d.global(f, id, &[arg], f);
        }
    }
}

fn idents(d: &mut Declarations) {
    for (name, t) in [
        ("bool", "bool"),
        ("bytes", "bytes"),
        ("double", "double"),
        ("google.protobuf.Duration", "duration"),
        ("int", "int"),
        ("list", "list(A)"),
        ("map", "map(A, B)"),
        ("null_type", "null_type"),
        ("string", "string"),
        ("google.protobuf.Timestamp", "timestamp"),
        ("type", "type"),
        ("uint", "uint"),
        ("optional_type", "optional_type(T)"),
        (types::CIDR, types::CIDR),
    ] {
        d.ident_decl(name, Type::type_of(parse_type(t)));
    }
    d.ident_decl("request", types::request_type());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_type_parses() {
        for f in declarations().functions() {
            for o in &f.overloads {
                for t in o.args.iter().chain(std::iter::once(&o.result)) {
                    assert!(!contains_error(t), "{}: {} has a bad type", f.name, o.id);
                }
            }
        }
    }

    fn contains_error(t: &Type) -> bool {
        matches!(t, Type::Error) || t.params().into_iter().any(contains_error)
    }

    #[test]
    fn merged_overloads_keep_declaration_order() {
        let index_of = declarations()
            .function("indexOf")
            .map(|f| f.overloads.len());
        assert_eq!(index_of, Some(3));
        assert!(declarations().function("reverse").is_some());
        assert!(declarations().function("math.greatest").is_none());
        assert!(declarations().function("base64.encode").is_none());
        assert!(declarations().function("cel.bind").is_none());
        assert!(declarations().function("now").is_none());
    }
}
