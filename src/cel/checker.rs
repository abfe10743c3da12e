//! A static type checker over the `cel` crate's AST, following cel-go's
//! `checker` package: overload resolution with type-parameter unification,
//! qualified-name resolution, optional field selection and (two-variable)
//! comprehension scoping. Errors carry the id of the node they are reported
//! at; [`super::compile`] turns ids into cel-go's `line:column` locations.

use super::overload::{Interpreted, Overload};
use super::stdlib::{Declarations, FunctionDecl};
use super::types::{self, Kind, Type};
use super::unify::{Mapping, internal_is_assignable, most_general, substitute};
use ::cel::common::ast::{
    CallExpr, ComprehensionExpr, EntryExpr, Expr, IdedExpr, ListExpr, LiteralValue, MapExpr,
    SelectExpr, StructExpr,
};
use std::collections::{HashMap, HashSet};

/// A checker (or validator) error at an expression node.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// Id of the node the error is reported at.
    pub id: u64,
    /// cel-go's message for it.
    pub message: String,
}

/// How a call node was resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedCall {
    /// The resolved function name (namespaced functions fully qualified).
    pub function: String,
    /// Whether the call keeps its target as receiver (`false` for namespaced
    /// functions such as `sets.contains`, whose "target" was the namespace).
    pub keeps_target: bool,
    /// The overloads that matched.
    pub overloads: Vec<Overload>,
}

/// The outcome of type-checking an expression.
#[derive(Debug, Default)]
pub struct Checked {
    /// The final type of every node (type parameters bound or made `dyn`).
    pub types: HashMap<u64, Type>,
    /// Call resolutions, by call node id.
    pub calls: HashMap<u64, ResolvedCall>,
    /// Select nodes that resolved as qualified identifiers (e.g. `net.CIDR`).
    pub qualified_idents: HashSet<u64>,
    /// Type errors, in the order they were found.
    pub errors: Vec<Issue>,
}

impl Checked {
    /// The final type of a node (`dyn` if unknown).
    pub fn type_of(&self, id: u64) -> Type {
        self.types.get(&id).cloned().unwrap_or(Type::Dyn)
    }
}

/// Type-checks `expr` against `decls`.
pub fn check(expr: &IdedExpr, decls: &Declarations) -> Checked {
    let mut c = Checker {
        decls,
        mappings: Mapping::new(),
        counter: 0,
        scopes: Vec::new(),
        out: Checked::default(),
    };
    c.check(expr);
    let mappings = c.mappings;
    let mut out = c.out;
    for t in out.types.values_mut() {
        *t = substitute(&mappings, t, true);
    }
    out
}

struct Checker<'a> {
    decls: &'a Declarations,
    mappings: Mapping,
    counter: usize,
    scopes: Vec<HashMap<String, Type>>,
    out: Checked,
}

/// `a.b.c` as a qualified name, if the expression spells one.
pub fn qualified_name(e: &IdedExpr) -> Option<String> {
    match &e.expr {
        Expr::Ident(name) => Some(name.clone()),
        Expr::Select(sel) if !sel.test => {
            qualified_name(&sel.operand).map(|q| format!("{q}.{}", sel.field))
        }
        _ => None,
    }
}

fn literal_type(lit: &LiteralValue) -> Type {
    match lit {
        LiteralValue::Boolean(_) => Type::Bool,
        LiteralValue::Bytes(_) => Type::Bytes,
        LiteralValue::Double(_) => Type::Double,
        LiteralValue::Int(_) => Type::Int,
        LiteralValue::Null => Type::Null,
        LiteralValue::String(_) => Type::String,
        LiteralValue::UInt(_) => Type::Uint,
    }
}

fn mismatch(expected: &Type, actual: &Type) -> String {
    format!(
        "expected type '{}' but found '{}'",
        expected.format_cel(),
        actual.format_cel()
    )
}

impl<'a> Checker<'a> {
    fn error(&mut self, id: u64, message: String) {
        self.out.errors.push(Issue { id, message });
    }

    fn set_type(&mut self, id: u64, t: Type) {
        self.out.types.insert(id, t);
    }

    fn get_type(&self, id: u64) -> Type {
        self.out.types.get(&id).cloned().unwrap_or(Type::Error)
    }

    fn new_type_var(&mut self) -> Type {
        let t = Type::TypeParam(format!("_var{}", self.counter));
        self.counter += 1;
        t
    }

    fn is_assignable(&mut self, t1: &Type, t2: &Type) -> bool {
        let mark = self.mappings.mark();
        let ok = internal_is_assignable(&mut self.mappings, t1, t2);
        if !ok {
            self.mappings.rollback(mark);
        }
        ok
    }

    fn is_assignable_list(&mut self, l1: &[Type], l2: &[Type]) -> bool {
        let mark = self.mappings.mark();
        let ok = l1.len() == l2.len()
            && l1
                .iter()
                .zip(l2.iter())
                .all(|(a, b)| internal_is_assignable(&mut self.mappings, a, b));
        if !ok {
            self.mappings.rollback(mark);
        }
        ok
    }

    fn lookup_ident(&self, name: &str) -> Option<Type> {
        let name = name.strip_prefix('.').unwrap_or(name);
        for scope in self.scopes.iter().rev() {
            if let Some(t) = scope.get(name) {
                return Some(t.clone());
            }
        }
        if let Some(t) = self.decls.ident(name) {
            return Some(t.clone());
        }
        if types::is_registered_object(name) {
            return Some(Type::type_of(Type::object(name)));
        }
        None
    }

    fn lookup_function(&self, name: &str) -> Option<&'a FunctionDecl> {
        let decls: &'a Declarations = self.decls;
        decls.function(name.strip_prefix('.').unwrap_or(name))
    }

    fn check(&mut self, e: &IdedExpr) {
        match &e.expr {
            Expr::Literal(lit) => self.set_type(e.id, literal_type(lit)),
            Expr::Ident(name) => self.check_ident(e.id, name),
            Expr::Select(sel) => self.check_select(e, sel),
            Expr::Call(call) => self.check_call(e, call),
            Expr::List(list) => self.check_list(e.id, list),
            Expr::Map(map) => self.check_map(e.id, map),
            Expr::Struct(st) => self.check_struct(e.id, st),
            Expr::Comprehension(comp) => self.check_comprehension(e.id, comp),
            Expr::Unspecified => self.set_type(e.id, Type::Error),
        }
    }

    fn check_ident(&mut self, id: u64, name: &str) {
        match self.lookup_ident(name) {
            Some(t) => self.set_type(id, t),
            None => {
                self.set_type(id, Type::Error);
                self.error(id, undeclared(name));
            }
        }
    }

    fn check_select(&mut self, e: &IdedExpr, sel: &SelectExpr) {
        if !sel.test
            && let Some(t) = qualified_name(e).and_then(|q| self.lookup_ident(&q))
        {
            self.set_type(e.id, t);
            self.out.qualified_idents.insert(e.id);
            return;
        }
        let mut result = self.check_select_field(e.id, &sel.operand, &sel.field, false);
        if sel.test {
            result = Type::Bool;
        }
        let t = substitute(&self.mappings, &result, false);
        self.set_type(e.id, t);
    }

    fn check_opt_select(&mut self, e: &IdedExpr, call: &CallExpr) {
        self.out.calls.insert(
            e.id,
            ResolvedCall {
                function: call.func_name.clone(),
                keeps_target: false,
                overloads: vec![Interpreted::SelectOptionalField.into()],
            },
        );
        let field = match (&call.target, call.args.as_slice()) {
            (None, [_, field]) => field,
            _ => {
                let n = call.args.len();
                self.error(e.id, format!("incorrect signature. argument count: {n}"));
                self.set_type(e.id, Type::Error);
                return;
            }
        };
        let name = match &field.expr {
            Expr::Literal(LiteralValue::String(s)) => s.inner().to_string(),
            _ => {
                self.error(field.id, "unsupported optional field selection".to_string());
                self.set_type(e.id, Type::Error);
                return;
            }
        };
        let result = self.check_select_field(e.id, &call.args[0], &name, true);
        let t = substitute(&self.mappings, &result, false);
        self.set_type(e.id, t);
    }

    fn check_select_field(&mut self, id: u64, operand: &IdedExpr, field: &str, opt: bool) -> Type {
        self.check(operand);
        let operand_type = substitute(&self.mappings, &self.get_type(operand.id), false);
        let (target, is_opt) = operand_type.unwrap_optional();
        let result = match target {
            Type::Map(_, v) => (**v).clone(),
            Type::Struct(name) => self
                .lookup_field_type(id, name, field)
                .unwrap_or(Type::Error),
            Type::TypeParam(_) => {
                self.is_assignable(&Type::Dyn, target);
                Type::Dyn
            }
            other => {
                if !other.is_dyn_or_error() {
                    let msg = format!(
                        "type '{}' does not support field selection",
                        other.format_cel()
                    );
                    self.error(id, msg);
                }
                Type::Dyn
            }
        };
        if is_opt || opt {
            Type::optional(result)
        } else {
            result
        }
    }

    fn lookup_field_type(&mut self, id: u64, object: &str, field: &str) -> Option<Type> {
        if !types::is_registered_object(object) {
            self.error(id, format!("unexpected failed resolution of '{object}'"));
            return None;
        }
        let found = types::object_field_type(object, field);
        if found.is_none() {
            self.error(id, format!("undefined field '{field}'"));
        }
        found
    }

    fn record_call(&mut self, id: u64, function: &str, keeps_target: bool) {
        self.out.calls.insert(
            id,
            ResolvedCall {
                function: function.to_string(),
                keeps_target,
                overloads: Vec::new(),
            },
        );
    }

    fn check_call(&mut self, e: &IdedExpr, call: &CallExpr) {
        let name = call.func_name.as_str();
        if name == "_?._" {
            self.check_opt_select(e, call);
            return;
        }
        for arg in &call.args {
            self.check(arg);
        }
        let Some(target) = &call.target else {
            self.record_call(e.id, name, false);
            match self.lookup_function(name) {
                Some(f) => self.resolve_or_error(e.id, f, None, &call.args),
                None => {
                    self.error(e.id, undeclared(name));
                    self.set_type(e.id, Type::Error);
                }
            }
            return;
        };
        if let Some(prefix) = qualified_name(target) {
            let qualified = format!("{prefix}.{name}");
            if let Some(f) = self.lookup_function(&qualified) {
                self.record_call(e.id, &f.name, false);
                self.resolve_or_error(e.id, f, None, &call.args);
                return;
            }
        }
        self.check(target);
        self.record_call(e.id, name, true);
        match self.lookup_function(name) {
            Some(f) => self.resolve_or_error(e.id, f, Some(target), &call.args),
            None => {
                self.set_type(e.id, Type::Error);
                self.error(e.id, undeclared(name));
            }
        }
    }

    fn resolve_or_error(
        &mut self,
        id: u64,
        f: &FunctionDecl,
        target: Option<&IdedExpr>,
        args: &[IdedExpr],
    ) {
        match self.resolve_overload(id, f, target, args) {
            Some((t, overloads)) => {
                self.set_type(id, t);
                if let Some(rc) = self.out.calls.get_mut(&id) {
                    rc.overloads = overloads;
                }
            }
            None => self.set_type(id, Type::Error),
        }
    }

    fn resolve_overload(
        &mut self,
        id: u64,
        f: &FunctionDecl,
        target: Option<&IdedExpr>,
        args: &[IdedExpr],
    ) -> Option<(Type, Vec<Overload>)> {
        let nodes: Vec<&IdedExpr> = target.into_iter().chain(args.iter()).collect();
        let arg_types: Vec<Type> = nodes.iter().map(|n| self.get_type(n.id)).collect();
        let mut result: Option<Type> = None;
        let mut refs = Vec::new();
        for o in &f.overloads {
            if target.is_some() != o.member {
                continue;
            }
            if f.name == "_&&_" || f.name == "_||_" {
                let mut failed = false;
                for (node, at) in nodes.iter().zip(arg_types.iter()) {
                    if !self.is_assignable(at, &Type::Bool) {
                        self.error(node.id, mismatch(&Type::Bool, at));
                        failed = true;
                    }
                }
                return (!failed).then(|| (Type::Bool, vec![o.overload]));
            }
            let mut subs = Mapping::new();
            for p in &o.type_params {
                let fresh = self.new_type_var();
                subs.add(p, fresh);
            }
            let params: Vec<Type> = o.args.iter().map(|t| substitute(&subs, t, false)).collect();
            let res = substitute(&subs, &o.result, false);
            if self.is_assignable_list(&arg_types, &params) {
                refs.push(o.overload);
                let fn_result = substitute(&self.mappings, &res, false);
                result = Some(match result {
                    None => fn_result,
                    Some(r) if !r.is_dyn() && fn_result != r => Type::Dyn,
                    Some(r) => r,
                });
            }
        }
        let Some(result) = result else {
            let shown: Vec<String> = arg_types
                .iter()
                .map(|t| substitute(&self.mappings, t, true).format_cel())
                .collect();
            let signature = match target {
                Some(_) => format!("{}.({})", shown[0], shown[1..].join(", ")),
                None => format!("({})", shown.join(", ")),
            };
            self.error(
                id,
                format!(
                    "found no matching overload for '{}' applied to '{signature}'",
                    f.name
                ),
            );
            return None;
        };
        Some((result, refs))
    }

    fn join_types(&mut self, previous: Option<Type>, current: Type) -> Type {
        match previous {
            None => current,
            Some(prev) if self.is_assignable(&prev, &current) => most_general(&prev, &current),
            Some(_) => Type::Dyn,
        }
    }

    fn check_optional_entry(&mut self, id: u64, t: Type) -> Type {
        let (inner, is_opt) = t.unwrap_optional();
        if !is_opt && !inner.is_dyn() {
            let msg = mismatch(&Type::optional(inner.clone()), inner);
            self.error(id, msg);
        }
        inner.clone()
    }

    fn check_list(&mut self, id: u64, list: &ListExpr) {
        let mut elems: Option<Type> = None;
        for (i, e) in list.elements.iter().enumerate() {
            self.check(e);
            let mut t = self.get_type(e.id);
            if list.optional_indices.contains(&i) {
                t = self.check_optional_entry(e.id, t);
            }
            elems = Some(self.join_types(elems, t));
        }
        let elem = match elems {
            Some(t) => t,
            None => self.new_type_var(),
        };
        self.set_type(id, Type::list(elem));
    }

    fn check_map(&mut self, id: u64, map: &MapExpr) {
        let (mut keys, mut values): (Option<Type>, Option<Type>) = (None, None);
        for entry in &map.entries {
            let EntryExpr::MapEntry(me) = &entry.expr else {
                continue;
            };
            self.check(&me.key);
            let kt = self.get_type(me.key.id);
            keys = Some(self.join_types(keys, kt));
            self.check(&me.value);
            let mut vt = self.get_type(me.value.id);
            if me.optional {
                vt = self.check_optional_entry(me.value.id, vt);
            }
            values = Some(self.join_types(values, vt));
        }
        let t = match (keys, values) {
            (Some(k), Some(v)) => Type::map(k, v),
            _ => {
                let k = self.new_type_var();
                let v = self.new_type_var();
                Type::map(k, v)
            }
        };
        self.set_type(id, t);
    }

    fn check_struct(&mut self, id: u64, st: &StructExpr) {
        let Some(ident) = self.lookup_ident(&st.type_name) else {
            self.error(id, undeclared(&st.type_name));
            self.set_type(id, Type::Error);
            return;
        };
        let mut result = Type::Error;
        match &ident {
            Type::Error => {}
            Type::TypeOf(Some(inner)) if matches!(**inner, Type::Struct(_)) => {
                result = (**inner).clone();
            }
            Type::TypeOf(Some(inner)) => {
                self.error(id, format!("'{inner}' is not a message type"));
            }
            other => self.error(id, format!("'{other}' is not a type")),
        }
        self.set_type(id, result.clone());
        for entry in &st.entries {
            let EntryExpr::StructField(field) = &entry.expr else {
                continue;
            };
            self.check(&field.value);
            let field_type = match &result {
                Type::Struct(name) => self
                    .lookup_field_type(entry.id, name, &field.field)
                    .unwrap_or(Type::Error),
                _ => Type::Error,
            };
            let mut vt = self.get_type(field.value.id);
            if field.optional {
                vt = self.check_optional_entry(field.value.id, vt);
            }
            if !self.is_assignable(&field_type, &vt) {
                let msg = format!(
                    "expected type of field '{}' is '{}' but provided type is '{}'",
                    field.field,
                    field_type.format_cel(),
                    vt.format_cel()
                );
                self.error(entry.id, msg);
            }
        }
    }

    fn check_comprehension(&mut self, id: u64, comp: &ComprehensionExpr) {
        self.check(&comp.iter_range);
        self.check(&comp.accu_init);
        let range = substitute(&self.mappings, &self.get_type(comp.iter_range.id), false);
        let accu = self.get_type(comp.accu_init.id);
        self.scopes
            .push(HashMap::from([(comp.accu_var.clone(), accu.clone())]));
        let two = comp.iter_var2.is_some();
        let (var1, var2) = match &range {
            Type::List(elem) if two => (Type::Int, (**elem).clone()),
            Type::List(elem) => ((**elem).clone(), Type::Error),
            Type::Map(k, v) => ((**k).clone(), (**v).clone()),
            t if t.is_dyn_or_error() || t.kind() == Kind::TypeParam => {
                self.is_assignable(&Type::Dyn, t);
                (Type::Dyn, Type::Dyn)
            }
            other => {
                let msg = format!(
                    "expression of type '{}' cannot be range of a comprehension \
                     (must be list, map, or dynamic)",
                    other.format_cel()
                );
                self.error(comp.iter_range.id, msg);
                (Type::Error, Type::Error)
            }
        };
        let mut loop_scope = HashMap::from([(comp.iter_var.clone(), var1)]);
        if let Some(v2) = &comp.iter_var2 {
            loop_scope.insert(v2.clone(), var2);
        }
        self.scopes.push(loop_scope);
        self.check(&comp.loop_cond);
        self.assert_type(comp.loop_cond.id, &Type::Bool);
        self.check(&comp.loop_step);
        self.assert_type(comp.loop_step.id, &accu);
        self.scopes.pop();
        self.check(&comp.result);
        self.scopes.pop();
        let t = substitute(&self.mappings, &self.get_type(comp.result.id), false);
        self.set_type(id, t);
    }

    fn assert_type(&mut self, id: u64, expected: &Type) {
        let actual = self.get_type(id);
        if !self.is_assignable(expected, &actual) {
            self.error(id, mismatch(expected, &actual));
        }
    }
}

fn undeclared(name: &str) -> String {
    format!("undeclared reference to '{name}' (in container '')")
}
