//! Program planning: the checked AST becomes an evaluation tree the way
//! cel-go's planner builds its interpretables with `OptOptimize` and the
//! Kubernetes regex optimisations — attributes with qualifier chains,
//! resolved function calls, constant list/map literals and constant type
//! conversions folded, `in` against a constant list turned into a set test,
//! constant regular expressions compiled once.

use super::checker::{Checked, qualified_name};
use super::cost::{self, CostKind};
use super::eval;
use super::fn_lists::Lists;
use super::fn_regex::{self, CompiledRegex};
use super::overload::Overload;
use super::stdlib::{self, OverloadDecl};
use super::types::Type;
use super::value::Value;
use ::cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue};
use std::sync::Arc;

/// A planned, immutable program.
#[derive(Debug)]
pub(crate) struct Program {
    pub root: Node,
    /// Number of comprehension variable slots.
    pub slots: usize,
}

/// An evaluation node.
#[derive(Debug)]
pub(crate) enum Node {
    Const(Value<'static>),
    /// A variable or expression with field/index qualifiers.
    Attr(Box<Attr>),
    /// `has(...)`: the last qualifier is only tested for presence.
    Has(Box<Attr>),
    And(Box<[Node; 2]>),
    Or(Box<[Node; 2]>),
    Cond(Box<[Node; 3]>),
    Call(Box<Call>),
    List(Vec<Node>, Vec<bool>),
    Map(Vec<(Node, Node, bool)>),
    Fold(Box<Fold>),
    /// `opt.or(other)` / `opt.orValue(v)`: the right side is evaluated only
    /// when the left is empty (no call cost, as cel-go's decorator).
    OptOr(Box<[Node; 2]>, bool),
    /// `x in [constants]`, optimised to a set membership test (no cost).
    SetIn(Box<Node>, Vec<Value<'static>>),
    /// A construct the environment cannot evaluate.
    Fail(&'static str),
}

/// The root of an attribute.
#[derive(Debug)]
pub(crate) enum Root {
    Request,
    Local(usize),
    Expr(Node),
}

/// One qualifier.
#[derive(Debug)]
pub(crate) struct Qual {
    pub kind: QualKind,
    pub optional: bool,
}

/// A qualifier's key.
#[derive(Debug)]
pub(crate) enum QualKind {
    Const(Value<'static>),
    Dyn(Node),
}

/// An attribute: root and qualifiers.
#[derive(Debug)]
pub(crate) struct Attr {
    pub root: Root,
    pub quals: Vec<Qual>,
}

/// A function call with its candidate overloads.
#[derive(Debug)]
pub(crate) struct Call {
    pub function: String,
    /// How the call is charged: by the checker's single resolved overload,
    /// or by function name when several remain (cel-go then passes the
    /// cost model an empty overload id).
    pub cost: CostKind,
    /// Candidate overloads, in declaration order.
    pub candidates: Vec<&'static OverloadDecl>,
    /// Receiver first.
    pub args: Vec<Node>,
    /// A constant pattern compiled at planning time.
    pub regex: Option<Arc<CompiledRegex>>,
    /// The first argument is this comprehension accumulator, which the call
    /// may extend in place (`@result + [x]`, `cel.@mapInsert(@result, ..)`).
    pub accu_arg: Option<usize>,
}

/// A comprehension.
#[derive(Debug)]
pub(crate) struct Fold {
    pub range: Node,
    pub var1: usize,
    pub var2: Option<usize>,
    pub accu: usize,
    pub init: Node,
    pub cond: Node,
    pub step: Node,
    pub result: Node,
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

/// Plans a checked expression.
pub(crate) fn plan(root: &IdedExpr, checked: &Checked) -> Program {
    let mut p = Planner {
        checked,
        scopes: Vec::new(),
        next_slot: 0,
        max_slots: 0,
    };
    let root = p.plan(root);
    Program {
        root,
        slots: p.max_slots,
    }
}

struct Planner<'c> {
    checked: &'c Checked,
    scopes: Vec<(String, usize)>,
    next_slot: usize,
    max_slots: usize,
}

/// The `'static` type name of a type value, for the names the environment
/// can produce.
pub(crate) fn static_type_name(name: &str) -> &'static str {
    const NAMES: [&str; 21] = [
        "bool",
        "bytes",
        "double",
        "google.protobuf.Duration",
        "google.protobuf.Timestamp",
        "int",
        "list",
        "map",
        "null_type",
        "string",
        "type",
        "uint",
        "optional_type",
        "dyn",
        "google.protobuf.Any",
        super::types::IP,
        super::types::CIDR,
        super::types::URL,
        super::types::QUANTITY,
        super::types::SEMVER,
        super::types::NAMED_FORMAT,
    ];
    NAMES.iter().find(|n| **n == name).copied().unwrap_or("dyn")
}

fn literal(lit: &LiteralValue) -> Value<'static> {
    match lit {
        LiteralValue::Boolean(b) => Value::Bool(*b.inner()),
        LiteralValue::Bytes(b) => Value::Bytes(Arc::from(b.inner().to_vec())),
        LiteralValue::Double(d) => Value::Double(*d.inner()),
        LiteralValue::Int(i) => Value::Int(*i.inner()),
        LiteralValue::Null => Value::Null,
        LiteralValue::String(s) => Value::str(s.inner()),
        LiteralValue::UInt(u) => Value::Uint(*u.inner()),
    }
}

fn is_primitive(v: &Value<'_>) -> bool {
    matches!(
        v,
        Value::Bool(_)
            | Value::Bytes(_)
            | Value::Double(_)
            | Value::Int(_)
            | Value::String(_)
            | Value::Uint(_)
    )
}

impl Planner<'_> {
    fn local(&self, name: &str) -> Option<usize> {
        self.scopes
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, s)| *s)
    }

    fn push_var(&mut self, name: &str) -> usize {
        let slot = self.next_slot;
        self.next_slot += 1;
        self.max_slots = self.max_slots.max(self.next_slot);
        self.scopes.push((name.to_string(), slot));
        slot
    }

    fn type_const(&self, id: u64) -> Node {
        match self.checked.type_of(id) {
            Type::TypeOf(Some(inner)) => {
                Node::Const(Value::Type(static_type_name(inner.type_name())))
            }
            Type::TypeOf(None) => Node::Const(Value::Type("type")),
            _ => Node::Fail("unresolved identifier"),
        }
    }

    fn plan(&mut self, e: &IdedExpr) -> Node {
        match &e.expr {
            Expr::Literal(lit) => Node::Const(literal(lit)),
            Expr::Ident(name) => match self.local(name) {
                Some(slot) => attr(Root::Local(slot)),
                None if name == "request" => attr(Root::Request),
                None => self.type_const(e.id),
            },
            Expr::Select(sel) => {
                if self.checked.qualified_idents.contains(&e.id) {
                    let is_request = qualified_name(e).is_some_and(|q| q.starts_with("request."));
                    if !is_request {
                        return self.type_const(e.id);
                    }
                }
                let operand = self.plan(&sel.operand);
                let mut a = into_attr(operand);
                a.quals.push(Qual {
                    kind: QualKind::Const(Value::str(sel.field.as_str())),
                    optional: false,
                });
                if sel.test {
                    Node::Has(a)
                } else {
                    Node::Attr(a)
                }
            }
            Expr::Call(_) => self.plan_call(e),
            Expr::List(list) => {
                let elems: Vec<Node> = list.elements.iter().map(|x| self.plan(x)).collect();
                let opts: Vec<bool> = (0..elems.len())
                    .map(|i| list.optional_indices.contains(&i))
                    .collect();
                let node = Node::List(elems, opts);
                const_fold(node)
            }
            Expr::Map(map) => {
                let mut entries = Vec::new();
                for entry in &map.entries {
                    if let EntryExpr::MapEntry(me) = &entry.expr {
                        entries.push((self.plan(&me.key), self.plan(&me.value), me.optional));
                    }
                }
                const_fold(Node::Map(entries))
            }
            Expr::Struct(_) => Node::Fail("object construction is not supported"),
            Expr::Comprehension(c) => {
                let range = self.plan(&c.iter_range);
                let init = self.plan(&c.accu_init);
                let mark = (self.scopes.len(), self.next_slot);
                let accu = self.push_var(&c.accu_var);
                let var1 = self.push_var(&c.iter_var);
                let var2 = c.iter_var2.as_ref().map(|v| self.push_var(v));
                let cond = self.plan(&c.loop_cond);
                let step = self.plan(&c.loop_step);
                // The result sees the accumulator but not the iteration variables.
                let inner = self.scopes.split_off(mark.0 + 1);
                let result = self.plan(&c.result);
                drop(inner);
                self.scopes.truncate(mark.0);
                self.next_slot = mark.1;
                Node::Fold(Box::new(Fold {
                    range,
                    var1,
                    var2,
                    accu,
                    init,
                    cond,
                    step,
                    result,
                }))
            }
            Expr::Unspecified => Node::Fail("unspecified expression"),
        }
    }

    fn plan_call(&mut self, e: &IdedExpr) -> Node {
        let Expr::Call(call) = &e.expr else {
            return Node::Fail("not a call");
        };
        let resolved = self.checked.calls.get(&e.id);
        let function = resolved.map_or(call.func_name.as_str(), |r| r.function.as_str());
        let keeps_target = resolved.is_none_or(|r| r.keeps_target);
        let mut args: Vec<Node> = Vec::new();
        if keeps_target && let Some(t) = &call.target {
            args.push(self.plan(t));
        }
        if function == "_?._" {
            let (Some(operand), Some(field)) = (call.args.first(), call.args.get(1)) else {
                return Node::Fail("bad optional select");
            };
            let mut a = into_attr(self.plan(operand));
            let Expr::Literal(lit) = &field.expr else {
                return Node::Fail("bad optional select");
            };
            a.quals.push(Qual {
                kind: QualKind::Const(literal(lit)),
                optional: true,
            });
            return Node::Attr(a);
        }
        for a in &call.args {
            args.push(self.plan(a));
        }
        match (function, args.len()) {
            ("_&&_", 2) | ("_||_", 2) => {
                let [l, r]: [Node; 2] = match args.try_into() {
                    Ok(a) => a,
                    Err(_) => return Node::Fail("bad logical operator"),
                };
                let pair = Box::new([l, r]);
                return if function == "_&&_" {
                    Node::And(pair)
                } else {
                    Node::Or(pair)
                };
            }
            ("_?_:_", 3) => {
                return match <[Node; 3]>::try_from(args) {
                    Ok(a) => Node::Cond(Box::new(a)),
                    Err(_) => Node::Fail("bad conditional"),
                };
            }
            ("_[_]", 2) | ("_[?_]", 2) => {
                let mut it = args.into_iter();
                let (Some(operand), Some(index)) = (it.next(), it.next()) else {
                    return Node::Fail("bad index");
                };
                let mut a = into_attr(operand);
                let kind = match index {
                    Node::Const(v) => QualKind::Const(v),
                    other => QualKind::Dyn(other),
                };
                a.quals.push(Qual {
                    kind,
                    optional: function == "_[?_]",
                });
                return Node::Attr(a);
            }
            ("or", 2) | ("orValue", 2)
                if resolved.is_none_or(|r| {
                    !matches!(
                        r.overloads[..],
                        [o] if o != Lists::OptionalOrOptional.into()
                            && o != Lists::OptionalOrValueValue.into()
                    )
                }) =>
            {
                let value = function == "orValue";
                return match <[Node; 2]>::try_from(args) {
                    Ok(a) => Node::OptOr(Box::new(a), value),
                    Err(_) => Node::Fail("bad optional or"),
                };
            }
            ("@in", 2) => {
                if let Node::Const(Value::List(l)) = &args[1]
                    && l.iter().all(|v| is_primitive(&v))
                {
                    let set: Vec<Value<'static>> = l.iter().collect();
                    let arg = args.swap_remove(0);
                    return Node::SetIn(Box::new(arg), set);
                }
            }
            _ => {}
        }
        let overloads: &[Overload] = resolved.map_or(&[], |r| &r.overloads[..]);
        let decl = stdlib::declarations().function(function);
        let candidates: Vec<&'static OverloadDecl> = decl
            .map(|d| {
                d.overloads
                    .iter()
                    .filter(|o| overloads.is_empty() || overloads.contains(&o.overload))
                    .collect()
            })
            .unwrap_or_default();
        if function.starts_with("get")
            && let Some(Node::Const(Value::String(tz))) = args.get(1)
        {
            super::fn_time::preload(tz.as_str());
        }
        let regex = match (function, args.get(1)) {
            ("matches" | "find" | "findAll", Some(Node::Const(Value::String(p)))) => {
                fn_regex::compile_shared(p.as_str()).ok()
            }
            _ => None,
        };
        let accu_arg = match (function, args.first()) {
            ("_+_" | "cel.@mapInsert", Some(Node::Attr(a)))
                if a.quals.is_empty() && self.is_accumulator(&a.root) =>
            {
                match a.root {
                    Root::Local(s) => Some(s),
                    _ => None,
                }
            }
            _ => None,
        };
        let node = Node::Call(Box::new(Call {
            cost: match overloads {
                [o] => o.cost(),
                _ => cost::by_function(function),
            },
            function: function.to_string(),
            candidates,
            args,
            regex,
            accu_arg,
        }));
        if CONVERSIONS.contains(&function) && !keeps_target {
            return const_fold(node);
        }
        node
    }

    fn is_accumulator(&self, root: &Root) -> bool {
        let Root::Local(slot) = root else {
            return false;
        };
        self.scopes
            .iter()
            .rev()
            .find(|(_, s)| s == slot)
            .is_some_and(|(n, _)| n.starts_with('@') || n == "__result__")
    }
}

fn attr(root: Root) -> Node {
    Node::Attr(Box::new(Attr {
        root,
        quals: Vec::new(),
    }))
}

fn into_attr(node: Node) -> Box<Attr> {
    match node {
        Node::Attr(a) => a,
        other => Box::new(Attr {
            root: Root::Expr(other),
            quals: Vec::new(),
        }),
    }
}

/// Evaluates a list, map or conversion whose inputs are all constants, as
/// cel-go's `decOptimize` does; anything else is returned unchanged.
fn const_fold(node: Node) -> Node {
    let all_const = match &node {
        Node::List(elems, _) => elems.iter().all(|e| matches!(e, Node::Const(_))),
        Node::Map(entries) => entries
            .iter()
            .all(|(k, v, _)| matches!(k, Node::Const(_)) && matches!(v, Node::Const(_))),
        Node::Call(c) => c.args.len() == 1 && matches!(c.args[0], Node::Const(_)),
        _ => false,
    };
    if !all_const {
        return node;
    }
    match eval::eval_constant(&node) {
        Some(v) => Node::Const(v),
        None => node,
    }
}
