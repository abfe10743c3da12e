//! The environment kube-apiserver compiles authorization `matchConditions`
//! in: every function overload, declared by the library implementing it
//! (the CEL standard library, the cel-go extensions kube-apiserver enables —
//! optional types, strings v2, sets, two-variable comprehensions, lists v3 —
//! and the Kubernetes libraries: URLs, regex, lists, authz, quantity, IP,
//! CIDR, format, semver; see [`super::overload`]), and the global
//! identifiers.

use super::overload::Overload;
use super::types::{self, Type, parse_type};
use std::collections::HashMap;
use std::sync::OnceLock;

/// One overload of a function.
#[derive(Debug, Clone)]
pub struct OverloadDecl {
    /// The overload.
    pub overload: Overload,
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

    /// Adds an overload, its signature parsed from the compact type
    /// notation of [`parse_type`].
    pub fn add(&mut self, overload: Overload) {
        let sig = overload.signature();
        let args: Vec<Type> = sig.args.iter().map(|a| parse_type(a)).collect();
        let result = parse_type(sig.result);
        let mut type_params = Vec::new();
        for t in args.iter().chain(std::iter::once(&result)) {
            collect_params(t, &mut type_params);
        }
        let decl = self
            .functions
            .entry(sig.function.to_string())
            .or_insert_with(|| FunctionDecl {
                name: sig.function.to_string(),
                overloads: Vec::new(),
            });
        decl.overloads.push(OverloadDecl {
            overload,
            member: sig.member,
            args,
            result,
            type_params,
        });
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
        for o in Overload::all() {
            d.add(o);
        }
        idents(&mut d);
        d
    })
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
                    assert!(
                        !contains_error(t),
                        "{}: {} has a bad type",
                        f.name,
                        o.overload.id()
                    );
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
