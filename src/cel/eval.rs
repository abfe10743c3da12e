//! The tree-walking interpreter: cel-go's evaluation semantics (error
//! absorption by `&&`/`||`, strict calls, attribute qualification with
//! `no such key` / `index out of bounds`, optional chaining, one- and
//! two-variable comprehensions) with its runtime cost tracking.

use super::cost;
use super::dispatch;
use super::error::Error;
use super::program::{Attr, Call, Fold, Node, Program, QualKind, Root};
use super::value::{Map, MapVal, Value, go_v};
use smallvec::SmallVec;
use std::borrow::Cow;
use std::sync::Arc;

type R<'a> = Result<Value<'a>, Error>;

/// cel-go's per-expression runtime cost limit for authorization
/// matchConditions (`PerCallLimit`).
pub const COST_LIMIT: u64 = 1_000_000;

/// Evaluation state for one run of a program.
pub(crate) struct Evaluator<'a> {
    locals: Vec<Option<R<'a>>>,
    request: Value<'a>,
    /// Actual cost so far.
    pub cost: u64,
    limit: u64,
}

/// Evaluates a program against the `request` value.
pub(crate) fn run<'a>(program: &Program, request: Value<'a>, limit: u64) -> (R<'a>, u64) {
    let mut ev = Evaluator {
        locals: vec![None; program.slots],
        request,
        cost: 0,
        limit,
    };
    let r = ev.eval(&program.root);
    (r, ev.cost)
}

/// Evaluates a node made only of constants at planning time.
pub(crate) fn eval_constant(node: &Node) -> Option<Value<'static>> {
    let mut ev: Evaluator<'static> = Evaluator {
        locals: Vec::new(),
        request: Value::Null,
        cost: 0,
        limit: u64::MAX,
    };
    ev.eval(node).ok()
}

fn go_type(v: &Value<'_>) -> &'static str {
    match v {
        Value::Null => "types.Null",
        Value::Bool(_) => "types.Bool",
        Value::Int(_) => "types.Int",
        Value::Uint(_) => "types.Uint",
        Value::Double(_) => "types.Double",
        Value::String(_) => "types.String",
        Value::Bytes(_) => "types.Bytes",
        Value::Duration(_) => "types.Duration",
        Value::Timestamp(_) => "types.Timestamp",
        Value::Type(_) => "*types.Type",
        Value::Optional(_) => "*types.Optional",
        _ => "ref.Val",
    }
}

/// cel-go's `IndexOrError`.
fn list_index(key: &Value<'_>) -> Result<i64, Error> {
    match key {
        Value::Int(i) => Ok(*i),
        Value::Uint(u) => i64::try_from(*u)
            .map_err(|_| Error::msg(format!("unsupported index value {u} in list"))),
        Value::Double(d) => {
            if d.fract() == 0.0 && *d >= -9.223_372_036_854_776e18 && *d < 9.223_372_036_854_776e18
            {
                Ok(*d as i64)
            } else {
                Err(Error::msg(format!(
                    "unsupported index value {} in list",
                    go_v(key)
                )))
            }
        }
        other => Err(Error::msg(format!(
            "unsupported index type '{}' in list",
            other.type_name()
        ))),
    }
}

/// Qualifies `obj` by `key`; `Ok(None)` when absent and `presence` is set.
fn qualify<'a>(
    obj: &Value<'a>,
    key: &Value<'_>,
    presence: bool,
) -> Result<Option<Value<'a>>, Error> {
    match obj {
        Value::Map(m) => match m.get(key) {
            Some(v) => Ok(Some(v)),
            None if presence => Ok(None),
            None => Err(Error::msg(format!("no such key: {}", go_v(key)))),
        },
        Value::List(l) => {
            let i = list_index(key)?;
            match usize::try_from(i).ok().and_then(|i| l.get(i)) {
                Some(v) => Ok(Some(v)),
                None if presence => Ok(None),
                None => Err(Error::msg(format!("index out of bounds: {}", go_v(key)))),
            }
        }
        _ if presence => Ok(None),
        _ => Err(Error::msg(format!("no such key: {}", go_v(key)))),
    }
}

impl<'a> Evaluator<'a> {
    /// Adds cost; cancels evaluation beyond the limit.
    pub(crate) fn charge(&mut self, n: u64) -> Result<(), Error> {
        self.cost = self.cost.saturating_add(n);
        if self.cost > self.limit {
            return Err(Error::Cancelled);
        }
        Ok(())
    }

    pub(crate) fn eval(&mut self, node: &Node) -> R<'a> {
        match node {
            Node::Const(v) => Ok(v.clone()),
            Node::Attr(a) => self.eval_attr(a, true),
            Node::Has(a) => self.eval_has(a),
            Node::And(pair) => self.logical(&pair[0], &pair[1], false),
            Node::Or(pair) => self.logical(&pair[0], &pair[1], true),
            Node::Cond(parts) => {
                let c = self.eval(&parts[0])?;
                let branch = match c {
                    Value::Bool(true) => &parts[1],
                    Value::Bool(false) => &parts[2],
                    _ => return Err(Error::no_such_overload()),
                };
                match branch {
                    Node::Attr(a) => self.eval_attr(a, false),
                    other => self.eval(other),
                }
            }
            Node::Call(c) => self.eval_call(c),
            Node::List(elems, opts) => {
                let r = self.eval_list(elems, opts);
                self.charge(cost::LIST_CREATE)?;
                r
            }
            Node::Map(entries) => {
                let r = self.eval_map(entries);
                self.charge(cost::MAP_CREATE)?;
                r
            }
            Node::Fold(f) => self.eval_fold(f),
            Node::OptOr(pair, value) => match self.eval(&pair[0])? {
                Value::Optional(Some(v)) if *value => Ok(v.as_ref().clone()),
                v @ Value::Optional(Some(_)) => Ok(v),
                Value::Optional(None) => self.eval(&pair[1]),
                other => Ok(other),
            },
            Node::SetIn(arg, set) => {
                let v = self.eval(arg)?;
                Ok(Value::Bool(set.iter().any(|s| super::value::equals(s, &v))))
            }
            Node::Fail(msg) => Err(Error::Static(msg)),
        }
    }

    fn logical(&mut self, lhs: &Node, rhs: &Node, is_or: bool) -> R<'a> {
        let l = self.eval(lhs);
        match &l {
            Err(Error::Cancelled) => return l,
            Ok(Value::Bool(b)) if *b == is_or => return l,
            _ => {}
        }
        let r = self.eval(rhs);
        match &r {
            Err(Error::Cancelled) => return r,
            Ok(Value::Bool(b)) if *b == is_or => return r,
            _ => {}
        }
        for v in [l, r] {
            match v {
                Ok(Value::Bool(_)) => {}
                Ok(_) => return Err(Error::no_such_overload()),
                Err(e) => return Err(e),
            }
        }
        Ok(Value::Bool(!is_or))
    }

    fn eval_list(&mut self, elems: &[Node], opts: &[bool]) -> R<'a> {
        let mut out = Vec::with_capacity(elems.len());
        for (e, opt) in elems.iter().zip(opts) {
            let v = self.eval(e)?;
            if *opt {
                match v {
                    Value::Optional(None) => continue,
                    Value::Optional(Some(inner)) => out.push(inner.as_ref().clone()),
                    other => {
                        return Err(Error::msg(format!(
                            "cannot initialize optional list element from non-optional value {}",
                            go_v(&other)
                        )));
                    }
                }
            } else {
                out.push(v);
            }
        }
        Ok(Value::list(out))
    }

    fn eval_map(&mut self, entries: &[(Node, Node, bool)]) -> R<'a> {
        let mut m = MapVal::default();
        for (k, v, opt) in entries {
            let key = self.eval(k)?;
            let val = self.eval(v)?;
            if *opt {
                match val {
                    Value::Optional(None) => {
                        m.remove(&key);
                        continue;
                    }
                    Value::Optional(Some(inner)) => m.insert(key, inner.as_ref().clone()),
                    other => {
                        return Err(Error::msg(format!(
                            "cannot initialize optional entry '{}' from non-optional value {}",
                            go_v(&key),
                            go_v(&other)
                        )));
                    }
                }
            } else {
                m.insert(key, val);
            }
        }
        Ok(Value::Map(Map::Vals(Arc::new(m))))
    }

    fn root(&mut self, root: &Root, count: bool) -> R<'a> {
        let v = match root {
            Root::Request => Ok(self.request.clone()),
            Root::Local(slot) => self
                .locals
                .get(*slot)
                .cloned()
                .flatten()
                .unwrap_or(Err(Error::Static("no such attribute"))),
            Root::Expr(n) => self.eval(n),
        };
        if matches!(v, Err(Error::Cancelled)) {
            return v;
        }
        if count {
            self.charge(cost::SELECT_AND_IDENT)?;
        }
        v
    }

    fn qual_key<'k>(&mut self, kind: &'k QualKind) -> Result<Cow<'k, Value<'a>>, Error> {
        match kind {
            QualKind::Const(v) => Ok(Cow::Borrowed(v)),
            QualKind::Dyn(Node::Attr(a)) => self.eval_attr(a, false).map(Cow::Owned),
            QualKind::Dyn(n) => self.eval(n).map(Cow::Owned),
        }
    }

    /// Resolves an attribute; `count_root` charges the attribute itself.
    pub(crate) fn eval_attr(&mut self, a: &Attr, count_root: bool) -> R<'a> {
        let mut obj = self.root(&a.root, count_root)?;
        let mut is_opt = false;
        if let Value::Optional(o) = &obj {
            match o {
                None => return Ok(obj),
                Some(inner) => {
                    obj = inner.as_ref().clone();
                    is_opt = true;
                }
            }
        }
        for q in &a.quals {
            let key = self.qual_key(&q.kind);
            self.charge(cost::SELECT_AND_IDENT)?;
            let key = key?;
            is_opt |= q.optional;
            match qualify(&obj, &key, is_opt)? {
                Some(v) => obj = v,
                None => return Ok(Value::Optional(None)),
            }
        }
        Ok(if is_opt { Value::some(obj) } else { obj })
    }

    fn eval_has(&mut self, a: &Attr) -> R<'a> {
        let Some((last, init)) = a.quals.split_last() else {
            return Err(Error::Static("invalid presence test"));
        };
        let mut obj = self.root(&a.root, false)?;
        if let Value::Optional(o) = &obj {
            match o {
                None => return Ok(Value::Bool(false)),
                Some(inner) => obj = inner.as_ref().clone(),
            }
        }
        let mut is_opt = false;
        for q in init {
            let key = self.qual_key(&q.kind);
            self.charge(cost::SELECT_AND_IDENT)?;
            let key = key?;
            is_opt |= q.optional;
            match qualify(&obj, &key, is_opt)? {
                Some(v) => obj = v,
                None => return Ok(Value::Bool(false)),
            }
        }
        let key = self.qual_key(&last.kind);
        self.charge(cost::SELECT_AND_IDENT)?;
        Ok(Value::Bool(qualify(&obj, &*key?, true)?.is_some()))
    }

    fn eval_fold(&mut self, f: &Fold) -> R<'a> {
        let range = self.eval(&f.range)?;
        let init = self.eval(&f.init);
        if matches!(init, Err(Error::Cancelled)) {
            return init;
        }
        let items: Vec<(Value<'a>, Value<'a>)> = match &range {
            Value::List(l) => match f.var2 {
                Some(_) => l
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (Value::Int(i as i64), v))
                    .collect(),
                None => l.iter().map(|v| (v, Value::Null)).collect(),
            },
            Value::Map(m) => match f.var2 {
                Some(_) => m.entries(),
                None => m.keys().into_iter().map(|k| (k, Value::Null)).collect(),
            },
            other => {
                return Err(Error::msg(format!(
                    "got '{}', expected iterable type",
                    go_type(other)
                )));
            }
        };
        self.set(f.accu, init);
        for (v1, v2) in items {
            self.set(f.var1, Ok(v1));
            if let Some(s) = f.var2 {
                self.set(s, Ok(v2));
            }
            let cond = self.eval(&f.cond);
            match cond {
                Err(Error::Cancelled) => return cond,
                Ok(Value::Bool(false)) => break,
                _ => {}
            }
            let step = self.eval(&f.step);
            if matches!(step, Err(Error::Cancelled)) {
                return step;
            }
            self.set(f.accu, step);
        }
        self.clear(f.var1);
        if let Some(s) = f.var2 {
            self.clear(s);
        }
        let result = self.eval(&f.result);
        self.clear(f.accu);
        result
    }

    fn set(&mut self, slot: usize, v: R<'a>) {
        if let Some(s) = self.locals.get_mut(slot) {
            *s = Some(v);
        }
    }

    fn clear(&mut self, slot: usize) {
        if let Some(s) = self.locals.get_mut(slot) {
            *s = None;
        }
    }

    fn eval_call(&mut self, c: &Call) -> R<'a> {
        let varargs = c.args.len() >= 3 || c.regex.is_some();
        let mut vals: SmallVec<[R<'a>; 4]> = SmallVec::new();
        for (i, a) in c.args.iter().enumerate() {
            let v = match c.accu_arg {
                Some(slot) if i == 0 => {
                    let v = self
                        .locals
                        .get_mut(slot)
                        .and_then(Option::take)
                        .unwrap_or(Err(Error::Static("no such attribute")));
                    self.charge(cost::SELECT_AND_IDENT)?;
                    v
                }
                _ => self.eval(a),
            };
            if matches!(v, Err(Error::Cancelled)) {
                return v;
            }
            if varargs && v.is_err() {
                return v;
            }
            vals.push(v);
        }
        if c.function == "@not_strictly_false" {
            self.charge(1)?;
            return Ok(match vals.first() {
                Some(Ok(Value::Bool(b))) => Value::Bool(*b),
                _ => Value::Bool(true),
            });
        }
        let mut args: SmallVec<[Value<'a>; 4]> = SmallVec::new();
        let mut failed = None;
        for v in vals {
            match v {
                Ok(v) => args.push(v),
                Err(e) => {
                    failed.get_or_insert(e);
                    args.push(Value::Null);
                }
            }
        }
        if let Some(e) = failed {
            let n = cost::call_cost(c.cost, &args, None, true);
            self.charge(n)?;
            return Err(e);
        }
        let result = dispatch::call(c, args.as_mut_slice());
        let n = cost::call_cost(c.cost, &args, result.as_ref().ok(), false);
        self.charge(n)?;
        result
    }
}
