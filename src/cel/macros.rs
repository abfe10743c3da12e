//! The parser: the `cel` crate's parser with the macros kube-apiserver's
//! environment expands. The crate's standard environment provides `has`,
//! `all`, `exists`, `exists_one`/`existsOne`, `map`, `filter`, `optMap` and
//! `optFlatMap`; its lists extension provides `sortBy`. This module adds
//! cel-go's two-variable comprehensions (`ext.TwoVarComprehensions`):
//! `all`, `exists`, `existsOne`/`exists_one`, `transformList`,
//! `transformMap` and `transformMapEntry` with two iteration variables.

use ::cel::common::ast::SourceInfo;
use ::cel::common::ast::{
    CallExpr, ComprehensionExpr, Expr, IdedExpr, ListExpr, LiteralValue, MapExpr, operators,
};
use ::cel::parser::{Macro, MacroExprHelper, ParseError};
use ::cel::{Env, ParseErrors};
use std::sync::OnceLock;

/// The accumulator variable of macro-generated comprehensions.
pub const ACCUMULATOR: &str = "@result";

/// cel-go's earlier accumulator name, still refused as an iteration variable.
const LEGACY_ACCUMULATOR: &str = "__result__";

/// Name of the map-building helper function of `transformMap(Entry)`.
pub const MAP_INSERT: &str = "cel.@mapInsert";

/// cel-go's default parser recursion limit.
pub const MAX_RECURSION_DEPTH: u16 = 250;

/// cel-go's default limit on the expression size, in code points.
pub const MAX_CODE_POINTS: usize = 100_000;

/// Parses `source` with the environment's macros and cel-go's limits.
pub fn parse(source: &str) -> Result<(IdedExpr, SourceInfo), ParseErrors> {
    parser_env()
        .parser()
        .max_recursion_depth(MAX_RECURSION_DEPTH)
        .parse_with_source_info(source)
}

fn parser_env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(build_env)
}

fn build_env() -> Env {
    let mut env = Env::stdlib();
    // The lists extension's overloads are never executed from here; it is
    // added for its `sortBy` macro. Failures would only mean a duplicate
    // declaration, leaving the macro (or the one already there) in place.
    let _ = env.add_extension(::cel::extensions::lists);
    for kind in [
        TwoVar::All,
        TwoVar::Exists,
        TwoVar::ExistsOne,
        TwoVar::TransformList,
        TwoVar::TransformMap,
        TwoVar::TransformMapEntry,
    ] {
        for &(name, arity) in kind.signatures() {
            let _ = env.add_macro(Macro::receiver(name, arity, move |h, t, a| {
                expand(kind, h, t, a)
            }));
        }
    }
    env
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum TwoVar {
    All,
    Exists,
    ExistsOne,
    TransformList,
    TransformMap,
    TransformMapEntry,
}

impl TwoVar {
    fn signatures(self) -> &'static [(&'static str, usize)] {
        match self {
            TwoVar::All => &[("all", 3)],
            TwoVar::Exists => &[("exists", 3)],
            TwoVar::ExistsOne => &[("existsOne", 3), ("exists_one", 3)],
            TwoVar::TransformList => &[("transformList", 3), ("transformList", 4)],
            TwoVar::TransformMap => &[("transformMap", 3), ("transformMap", 4)],
            TwoVar::TransformMapEntry => &[("transformMapEntry", 3), ("transformMapEntry", 4)],
        }
    }
}

struct Builder<'h, 'a> {
    h: &'h mut MacroExprHelper<'a>,
}

impl Builder<'_, '_> {
    fn node(&mut self, expr: Expr) -> IdedExpr {
        self.h.next_expr(expr)
    }

    fn accu(&mut self) -> IdedExpr {
        self.node(Expr::Ident(ACCUMULATOR.to_string()))
    }

    fn ident(&mut self, name: &str) -> IdedExpr {
        self.node(Expr::Ident(name.to_string()))
    }

    fn literal(&mut self, lit: LiteralValue) -> IdedExpr {
        self.node(Expr::Literal(lit))
    }

    fn call(&mut self, name: &str, args: Vec<IdedExpr>) -> IdedExpr {
        self.node(Expr::Call(CallExpr {
            func_name: name.to_string(),
            target: None,
            args,
        }))
    }

    fn list(&mut self, elements: Vec<IdedExpr>) -> IdedExpr {
        self.node(Expr::List(ListExpr::new(elements)))
    }
}

fn iter_var(h: &MacroExprHelper<'_>, e: &IdedExpr) -> Result<String, ParseError> {
    match &e.expr {
        Expr::Ident(name) => Ok(name.clone()),
        _ => Err(h.new_error(e.id, "argument must be a simple name")),
    }
}

fn expand(
    kind: TwoVar,
    h: &mut MacroExprHelper<'_>,
    target: &mut Option<IdedExpr>,
    args: &mut Vec<IdedExpr>,
) -> Result<Option<IdedExpr>, ParseError> {
    if target.is_none() || args.len() < 3 {
        return Ok(None);
    }
    let var1 = iter_var(h, &args[0])?;
    let var2 = iter_var(h, &args[1])?;
    // cel-go's extractIterVars, in its order.
    if var1 == var2 {
        return Err(h.new_error(args[1].id, format!("duplicate variable name: {var1}")));
    }
    for (var, arg) in [(&var1, &args[0]), (&var2, &args[1])] {
        if var == ACCUMULATOR || var == LEGACY_ACCUMULATOR {
            return Err(h.new_error(arg.id, "iteration variable overwrites accumulator variable"));
        }
    }
    let mut rest: Vec<IdedExpr> = args.drain(2..).collect();
    args.clear();
    let Some(range) = target.take() else {
        return Ok(None);
    };
    let (filter, body) = match rest.len() {
        2 => {
            let body = rest.pop();
            (rest.pop(), body)
        }
        _ => (None, rest.pop()),
    };
    let Some(body) = body else {
        return Ok(None);
    };
    let mut b = Builder { h };
    let (init, cond, step, result) = match kind {
        TwoVar::All => {
            let init = b.literal(LiteralValue::Boolean(true.into()));
            let a = b.accu();
            let cond = b.call(operators::NOT_STRICTLY_FALSE, vec![a]);
            let a = b.accu();
            let step = b.call(operators::LOGICAL_AND, vec![a, body]);
            (init, cond, step, b.accu())
        }
        TwoVar::Exists => {
            let init = b.literal(LiteralValue::Boolean(false.into()));
            let a = b.accu();
            let not = b.call(operators::LOGICAL_NOT, vec![a]);
            let cond = b.call(operators::NOT_STRICTLY_FALSE, vec![not]);
            let a = b.accu();
            let step = b.call(operators::LOGICAL_OR, vec![a, body]);
            (init, cond, step, b.accu())
        }
        TwoVar::ExistsOne => {
            let init = b.literal(LiteralValue::Int(0.into()));
            let cond = b.literal(LiteralValue::Boolean(true.into()));
            let (a, one) = (b.accu(), b.literal(LiteralValue::Int(1.into())));
            let plus = b.call(operators::ADD, vec![a, one]);
            let a = b.accu();
            let step = b.call(operators::CONDITIONAL, vec![body, plus, a]);
            let (a, one) = (b.accu(), b.literal(LiteralValue::Int(1.into())));
            let result = b.call(operators::EQUALS, vec![a, one]);
            (init, cond, step, result)
        }
        TwoVar::TransformList | TwoVar::TransformMap | TwoVar::TransformMapEntry => {
            let init = if kind == TwoVar::TransformList {
                b.list(Vec::new())
            } else {
                b.node(Expr::Map(MapExpr::default()))
            };
            let cond = b.literal(LiteralValue::Boolean(true.into()));
            let a = b.accu();
            let mut step = match kind {
                TwoVar::TransformList => {
                    let elem = b.list(vec![body]);
                    b.call(operators::ADD, vec![a, elem])
                }
                TwoVar::TransformMap => {
                    let key = b.ident(&var1);
                    b.call(MAP_INSERT, vec![a, key, body])
                }
                _ => b.call(MAP_INSERT, vec![a, body]),
            };
            if let Some(filter) = filter {
                let a = b.accu();
                step = b.call(operators::CONDITIONAL, vec![filter, step, a]);
            }
            (init, cond, step, b.accu())
        }
    };
    let comprehension = ComprehensionExpr {
        iter_range: range,
        iter_var: var1,
        iter_var2: Some(var2),
        accu_var: ACCUMULATOR.to_string(),
        accu_init: init,
        loop_cond: cond,
        loop_step: step,
        result,
    };
    Ok(Some(b.node(Expr::Comprehension(Box::new(comprehension)))))
}
