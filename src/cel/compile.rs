//! The public entry point: compiles one authorization `matchConditions`
//! expression the way kube-apiserver's `CompileCELExpression` does (parse,
//! type-check, AST validators, `bool` result, program instantiation), with
//! its error details.

use super::checker::{self, Issue};
use super::error::EvalError;
use super::eval::{self, COST_LIMIT};
use super::program::{self, Program};
use super::request::SarView;
use super::types::Type;
use super::value::{Map, Obj, Value};
use super::{fold, macros, stdlib, validators};
use ::cel::ParseErrors;
use ::cel::common::ast::SourceInfo;
use ::cel::common::ast::{Expr, IdedExpr, LiteralValue};
use std::fmt;

/// A successfully compiled `matchConditions` expression.
pub struct CompiledCondition {
    expr: IdedExpr,
    program: Program,
    source_info: SourceInfo,
    expression: String,
    /// Whether the expression selects `fieldSelector` (`.fieldSelector` or
    /// `.?fieldSelector`), so the request must carry it (spec 4.1).
    pub uses_field_selector: bool,
    /// Whether the expression selects `labelSelector`.
    pub uses_label_selector: bool,
}

impl CompiledCondition {
    /// The expression's source text.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The parsed expression (macros expanded, including cel-go's
    /// two-variable comprehensions), for evaluation.
    pub fn expr(&self) -> &IdedExpr {
        &self.expr
    }

    /// Source positions of the parsed expression's nodes.
    pub fn source_info(&self) -> &SourceInfo {
        &self.source_info
    }

    /// Evaluates the condition against `request` with cel-go's semantics and
    /// the runtime cost limit; selector fields are visible when this
    /// condition selects them.
    pub fn evaluate(&self, request: &SarView<'_>) -> Result<bool, EvalError> {
        self.evaluate_with(request, self.uses_field_selector, self.uses_label_selector)
    }

    /// [`CompiledCondition::evaluate`], with the selector fields included as
    /// the matcher decides (any condition of the webhook selecting them).
    pub fn evaluate_with(
        &self,
        request: &SarView<'_>,
        field_selector: bool,
        label_selector: bool,
    ) -> Result<bool, EvalError> {
        self.evaluate_with_cost(request, field_selector, label_selector)
            .0
    }

    /// Evaluates and also returns the actual cost, as cel-go tracks it.
    pub fn evaluate_with_cost(
        &self,
        request: &SarView<'_>,
        field_selector: bool,
        label_selector: bool,
    ) -> (Result<bool, EvalError>, u64) {
        let root = Value::Map(Map::Obj(Obj::Request(
            request,
            field_selector,
            label_selector,
        )));
        let (result, cost) = eval::run(&self.program, root, COST_LIMIT);
        let result = match result {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(other) => Err(EvalError::NotBool(other.type_name().to_string())),
            Err(e) => Err(e.into()),
        };
        (result, cost)
    }
}

impl fmt::Debug for CompiledCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledCondition")
            .field("expression", &self.expression)
            .field("uses_field_selector", &self.uses_field_selector)
            .field("uses_label_selector", &self.uses_label_selector)
            .finish_non_exhaustive()
    }
}

/// Why an expression did not compile, with kube-apiserver's detail text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompileError {
    /// kube-apiserver reports these as `Invalid value: "<expr>": <detail>`:
    /// `compilation failed: ...` or `must evaluate to bool but got <type>`.
    #[error("{detail}")]
    Invalid {
        /// The detail, e.g. `compilation failed: ERROR: <input>:1:8: ...`.
        detail: String,
    },
    /// kube-apiserver reports these as `Internal error: <detail>`, e.g.
    /// `program instantiation failed: integer overflow`.
    #[error("{detail}")]
    Internal {
        /// The detail.
        detail: String,
    },
}

impl CompileError {
    /// The detail text, as kube-apiserver prints it after the field path.
    pub fn detail(&self) -> &str {
        match self {
            CompileError::Invalid { detail } | CompileError::Internal { detail } => detail,
        }
    }
}

/// Stack reserved for compiling: the `cel` crate's ANTLR parser recurses
/// deeply (cel-go's nesting limit of 250 needs ~64 MiB in debug builds).
/// The memory is only committed as it is used.
const COMPILER_STACK: usize = 128 << 20;

/// Compiles one matchCondition expression against the
/// `kubernetes.SubjectAccessReviewSpec` schema of the `request` variable.
///
/// Runs on a short-lived thread with a large stack so that deeply nested
/// expressions are rejected with cel-go's recursion error instead of
/// overflowing the caller's stack; falls back to the calling thread if no
/// thread can be spawned.
pub fn compile_match_condition(expression: &str) -> Result<CompiledCondition, CompileError> {
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("cel-compile".to_string())
            .stack_size(COMPILER_STACK)
            .spawn_scoped(scope, || compile(expression));
        match spawned {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(CompileError::Internal {
                    detail: "unexpected compilation error: compiler panicked".to_string(),
                })
            }),
            Err(_) => compile(expression),
        }
    })
}

fn compile(expression: &str) -> Result<CompiledCondition, CompileError> {
    let invalid = |detail: String| CompileError::Invalid { detail };
    let size = expression.chars().count();
    if size > macros::MAX_CODE_POINTS {
        return Err(invalid(format!(
            "compilation failed: ERROR: <input>:-1:0: expression code point size exceeds limit: \
             size: {size}, limit {}",
            macros::MAX_CODE_POINTS
        )));
    }
    let (expr, source_info) = macros::parse(expression).map_err(|e| {
        invalid(format!(
            "compilation failed: {}",
            render_parse_errors(expression, &e)
        ))
    })?;
    let root = &expr;
    let checked = checker::check(root, stdlib::declarations());
    let locate = Locator::new(expression, &source_info, root);
    if !checked.errors.is_empty() {
        return Err(invalid(format!(
            "compilation failed: {}",
            locate.render(&checked.errors)
        )));
    }
    let issues = validators::validate(root, &checked);
    if !issues.is_empty() {
        return Err(invalid(format!(
            "compilation failed: {}",
            locate.render(&issues)
        )));
    }
    let output = checked.type_of(root.id);
    if output != Type::Bool {
        return Err(invalid(format!("must evaluate to bool but got {output}")));
    }
    fold::plan(root, &checked).map_err(|msg| CompileError::Internal {
        detail: format!("program instantiation failed: {msg}"),
    })?;
    let program = program::plan(root, &checked);
    let (mut uses_field_selector, mut uses_label_selector) = (false, false);
    selected_fields(root, &mut |field| match field {
        "fieldSelector" => uses_field_selector = true,
        "labelSelector" => uses_label_selector = true,
        _ => {}
    });
    Ok(CompiledCondition {
        expression: expression.to_string(),
        program,
        expr,
        source_info,
        uses_field_selector,
        uses_label_selector,
    })
}

/// Calls `f` with every field name selected by a select node or an optional
/// select (`_?._` with a literal field name).
fn selected_fields(e: &IdedExpr, f: &mut dyn FnMut(&str)) {
    match &e.expr {
        Expr::Select(sel) => {
            f(&sel.field);
            selected_fields(&sel.operand, f);
        }
        Expr::Call(call) => {
            if call.func_name == "_?._"
                && let Some(Expr::Literal(LiteralValue::String(s))) =
                    call.args.get(1).map(|a| &a.expr)
            {
                f(s.inner());
            }
            for child in call.target.iter().map(|t| &**t).chain(call.args.iter()) {
                selected_fields(child, f);
            }
        }
        Expr::List(list) => list.elements.iter().for_each(|x| selected_fields(x, f)),
        Expr::Map(map) => {
            for entry in &map.entries {
                if let ::cel::common::ast::EntryExpr::MapEntry(me) = &entry.expr {
                    selected_fields(&me.key, f);
                    selected_fields(&me.value, f);
                }
            }
        }
        Expr::Struct(st) => {
            for entry in &st.entries {
                if let ::cel::common::ast::EntryExpr::StructField(sf) = &entry.expr {
                    selected_fields(&sf.value, f);
                }
            }
        }
        Expr::Comprehension(c) => {
            for child in [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ] {
                selected_fields(child, f);
            }
        }
        _ => {}
    }
}

/// Maps node ids to cel-go locations (1-based line, 0-based column in
/// characters) and renders errors as cel-go's `Errors.ToDisplayString`.
struct Locator<'s> {
    source: &'s str,
    offsets: std::collections::HashMap<u64, usize>,
}

impl<'s> Locator<'s> {
    fn new(source: &'s str, info: &SourceInfo, root: &IdedExpr) -> Self {
        let mut offsets = std::collections::HashMap::new();
        collect_offsets(source, info, root, &mut offsets);
        Locator { source, offsets }
    }

    fn location(&self, id: u64) -> (usize, usize) {
        let mut offset = self
            .offsets
            .get(&id)
            .copied()
            .unwrap_or(0)
            .min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.source[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.matches('\n').count() + 1;
        (line, before[line_start..].chars().count())
    }

    fn render(&self, issues: &[Issue]) -> String {
        let mut located: Vec<((usize, usize), &str)> = issues
            .iter()
            .map(|i| (self.location(i.id), i.message.as_str()))
            .collect();
        located.sort_by_key(|(loc, _)| *loc);
        located
            .iter()
            .map(|((line, col), msg)| display_error(self.source, *line, *col, msg))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Byte offsets of every node; a negative numeric literal starts at its sign,
/// as in cel-go.
fn collect_offsets(
    source: &str,
    info: &SourceInfo,
    e: &IdedExpr,
    out: &mut std::collections::HashMap<u64, usize>,
) {
    if let Some((start, _)) = info.offset_for(e.id) {
        let mut start = start as usize;
        let negative = match &e.expr {
            Expr::Literal(LiteralValue::Int(i)) => *i.inner() < 0,
            Expr::Literal(LiteralValue::Double(d)) => d.inner().is_sign_negative(),
            _ => false,
        };
        if negative {
            let before = source.get(..start).unwrap_or_default().trim_end();
            if before.ends_with('-') {
                start = before.len() - 1;
            }
        }
        out.insert(e.id, start);
    }
    let mut visit = |child: &IdedExpr| collect_offsets(source, info, child, out);
    match &e.expr {
        Expr::Select(sel) => visit(&sel.operand),
        Expr::Call(call) => {
            call.target.iter().for_each(|t| visit(t));
            call.args.iter().for_each(&mut visit);
        }
        Expr::List(list) => list.elements.iter().for_each(&mut visit),
        Expr::Map(map) => {
            for entry in &map.entries {
                if let ::cel::common::ast::EntryExpr::MapEntry(me) = &entry.expr {
                    visit(&me.key);
                    visit(&me.value);
                }
            }
        }
        Expr::Struct(st) => {
            for entry in &st.entries {
                if let ::cel::common::ast::EntryExpr::StructField(sf) = &entry.expr {
                    visit(&sf.value);
                }
            }
        }
        Expr::Comprehension(c) => {
            for child in [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ] {
                visit(child);
            }
        }
        _ => {}
    }
}

/// cel-go's `Error.ToDisplayString` for `<input>`: `col` is 0-based, in
/// characters.
fn display_error(source: &str, line: usize, col: usize, message: &str) -> String {
    let mut out = format!("ERROR: <input>:{line}:{}: {message}", col + 1);
    let Some(snippet) = source.split('\n').nth(line.wrapping_sub(1)) else {
        return out;
    };
    if snippet.len() > 16_384 {
        return out;
    }
    let snippet = snippet.replace('\t', " ");
    out.push_str("\n | ");
    out.push_str(&snippet);
    out.push_str("\n | ");
    let mut chars = snippet.chars();
    for _ in 0..col {
        match chars.next() {
            Some(c) if c.len_utf8() > 1 => out.push('\u{ff0e}'),
            Some(_) => out.push('.'),
            None => break,
        }
    }
    match chars.next() {
        Some(c) if c.len_utf8() > 1 => out.push('\u{ff3e}'),
        _ => out.push('^'),
    }
    out
}

fn render_parse_errors(source: &str, errors: &ParseErrors) -> String {
    if errors
        .errors
        .iter()
        .any(|e| e.msg.contains("Recursion limit of"))
    {
        return format!(
            "ERROR: <input>:-1:0: expression recursion limit exceeded: {}",
            macros::MAX_RECURSION_DEPTH
        );
    }
    errors
        .errors
        .iter()
        .map(|e| {
            let (line, col) = e.pos;
            if line < 1 || col < 1 {
                format!("ERROR: <input>:{line}:{col}: {}", e.msg)
            } else {
                display_error(source, line as usize, (col - 1) as usize, &e.msg)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
