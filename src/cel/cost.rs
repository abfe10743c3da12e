//! Runtime cost of calls, as cel-go's `CostTracker` computes it. Each
//! overload declares its [`CostKind`] in its library's table (cel-go's
//! order folded in: the extension libraries' overload trackers, then the
//! Kubernetes estimator `library.CostEstimator.CallCost`, then cel-go's
//! defaults); a call left with several overloads is charged by function
//! name ([`by_function`]).

use super::ext_types::Ext;
use super::fn_semver_format::FORMATS;
use super::value::Value;

/// Cost of an identifier, a field selection or an index.
pub(crate) const SELECT_AND_IDENT: u64 = 1;
/// Cost of building a list.
pub(crate) const LIST_CREATE: u64 = 10;
/// Cost of building a map.
pub(crate) const MAP_CREATE: u64 = 30;
/// Cost per byte of a string scan.
pub(crate) const STRING_TRAVERSAL: f64 = 0.1;
const REGEX_LENGTH: f64 = 0.25;

fn size(args: &[Value<'_>], i: usize) -> u64 {
    args.get(i).map_or(1, Value::cost_size)
}

fn ceil(x: f64) -> u64 {
    x.ceil() as u64
}

/// k8s `traversalCost`: byte lengths of strings, summed over lists/maps.
fn traversal(v: &Value<'_>) -> u64 {
    match v {
        Value::String(s) => (s.as_str().len() as f64 * STRING_TRAVERSAL) as u64,
        Value::Bytes(b) => (b.len() as f64 * STRING_TRAVERSAL) as u64,
        Value::List(l) => l.iter().map(|e| traversal(&e)).sum(),
        Value::Map(m) => m
            .entries()
            .iter()
            .map(|(k, v)| traversal(k) + traversal(v))
            .sum(),
        _ => 1,
    }
}

fn allocating_list(factor: f64, n: u64) -> u64 {
    (n as f64 * factor) as u64 + 1 + LIST_CREATE
}

fn self_compare(list: Option<&Value<'_>>) -> u64 {
    let Some(Value::List(l)) = list else {
        return allocating_list(2.0, 0);
    };
    let n = l.len() as u64;
    let mut factor = 2.0;
    if matches!(l.get(0), Some(Value::String(_) | Value::Bytes(_))) {
        factor += STRING_TRAVERSAL;
    }
    allocating_list(factor, n * n)
}

/// How a call is charged, decided once while planning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CostKind {
    /// cel-go's default (and the Kubernetes nominal functions): 1.
    One,
    // Overload trackers of cel-go's lists (v3) and sets libraries.
    ListOutput,
    Flatten,
    SelfCompare(usize),
    Sets(f64),
    // The Kubernetes library estimator.
    Traversal,
    Scan(f64),
    Join,
    Regex,
    ContainsIp(bool),
    ContainsCidr(bool),
    Validate,
    Equality,
    // cel-go's built-in model.
    InList,
    MinSize,
    SumSizes,
    ContainsString,
}

/// How a call is charged when the checker left several overloads: the
/// Kubernetes estimator's rules by function name, else cel-go's default.
/// A call resolved to one overload is charged by [`Overload::cost`], its
/// declared cost.
///
/// [`Overload::cost`]: super::overload::Overload::cost
pub(crate) fn by_function(function: &str) -> CostKind {
    use CostKind as K;
    match function {
        "isSorted" | "sum" | "max" | "min" | "indexOf" | "lastIndexOf" => K::Traversal,
        "url" | "lowerAscii" | "upperAscii" | "substring" | "trim" | "cidr" | "isIP" | "isCIDR"
        | "quantity" | "isQuantity" | "semver" | "isSemver" | "ip" => K::Scan(STRING_TRAVERSAL),
        "replace" | "split" | "ip.isCanonical" => K::Scan(2.0 * STRING_TRAVERSAL),
        "join" => K::Join,
        "find" | "findAll" => K::Regex,
        "containsIP" => K::ContainsIp(false),
        "containsCIDR" => K::ContainsCidr(false),
        "validate" => K::Validate,
        "_==_" => K::Equality,
        "_!=_" => K::MinSize,
        _ => K::One,
    }
}

/// The cost of a call with its argument values (receiver first) and result;
/// `failed` when an argument was an error (trackers then do not apply).
pub(crate) fn call_cost(
    kind: CostKind,
    args: &[Value<'_>],
    result: Option<&Value<'_>>,
    failed: bool,
) -> u64 {
    use CostKind as K;
    let (s0, s1) = (size(args, 0), size(args, 1));
    let result_size = || result.map_or(1, Value::cost_size);
    match kind {
        K::ListOutput | K::Flatten | K::SelfCompare(_) | K::Sets(_) if failed => 1,
        K::One => 1,
        K::ListOutput => allocating_list(1.0, result_size()),
        K::Flatten => {
            let depth = match args.get(1) {
                Some(Value::Int(d)) => *d as f64,
                _ => 1.0,
            };
            allocating_list(depth, s0)
        }
        K::SelfCompare(i) => self_compare(args.get(i)),
        K::Sets(f) => 1 + ((s0 * s1) as f64 * f) as u64,
        K::Traversal => args.first().map_or(0, traversal),
        K::Scan(f) => ceil(s0 as f64 * f),
        K::Join => ceil(result_size() as f64 * 2.0 * STRING_TRAVERSAL),
        K::Regex => ceil((1.0 + s0 as f64) * STRING_TRAVERSAL) * ceil(s1 as f64 * REGEX_LENGTH),
        K::ContainsIp(string) | K::ContainsCidr(string) => {
            let mut cost = ceil((s0 + s0) as f64 * STRING_TRAVERSAL);
            if matches!(kind, K::ContainsCidr(_)) {
                cost += ceil(s0 as f64 * STRING_TRAVERSAL) + 1;
            }
            if string {
                cost += ceil(s1 as f64 * STRING_TRAVERSAL);
            }
            cost
        }
        K::Validate => match args.first() {
            Some(Value::Ext(Ext::Format(i))) => {
                let regex = FORMATS.get(*i).map_or(0, |f| f.1);
                ceil((1.0 + s1 as f64) * STRING_TRAVERSAL) * ceil(regex as f64 * REGEX_LENGTH)
            }
            _ => 1,
        },
        K::Equality if matches!(args.first(), Some(Value::Ext(_))) => 1,
        K::Equality | K::MinSize => ceil(s0.min(s1) as f64 * STRING_TRAVERSAL),
        K::InList => s1,
        K::SumSizes => ceil((s0 + s1) as f64 * STRING_TRAVERSAL),
        K::ContainsString => {
            ceil(s0 as f64 * STRING_TRAVERSAL) * ceil(s1 as f64 * STRING_TRAVERSAL)
        }
    }
}
