//! Runtime overload selection: the first candidate overload whose declared
//! argument types match the runtime values (cel-go's dynamic dispatch),
//! then the implementation for that overload id.

use super::error::Error;
use super::program::Call;
use super::stdlib::OverloadDecl;
use super::types::{OPTIONAL_TYPE, Type};
use super::value::{Value, equals};
use super::{
    fn_lists, fn_net, fn_quantity, fn_regex, fn_semver_format, fn_std, fn_strings, fn_time, fn_url,
};
use std::sync::OnceLock;

fn matches_type(t: &Type, v: &Value<'_>) -> bool {
    match t {
        Type::Dyn | Type::Any | Type::TypeParam(_) | Type::Error => true,
        Type::Null => matches!(v, Value::Null),
        Type::Bool => matches!(v, Value::Bool(_)),
        Type::Int => matches!(v, Value::Int(_)),
        Type::Uint => matches!(v, Value::Uint(_)),
        Type::Double => matches!(v, Value::Double(_)),
        Type::String => matches!(v, Value::String(_)),
        Type::Bytes => matches!(v, Value::Bytes(_)),
        Type::Duration => matches!(v, Value::Duration(_)),
        Type::Timestamp => matches!(v, Value::Timestamp(_)),
        Type::List(_) => matches!(v, Value::List(_)),
        Type::Map(_, _) => matches!(v, Value::Map(_)),
        Type::TypeOf(_) => matches!(v, Value::Type(_)),
        Type::Opaque(name, _) => name == OPTIONAL_TYPE && matches!(v, Value::Optional(_)),
        Type::Struct(name) => matches!(v, Value::Ext(e) if e.type_name() == name),
    }
}

fn matches_overload(o: &OverloadDecl, args: &[Value<'_>]) -> bool {
    o.args.len() == args.len() && o.args.iter().zip(args).all(|(t, v)| matches_type(t, v))
}

fn is_operator(function: &str) -> bool {
    function.starts_with('_') || matches!(function, "-_" | "!_" | "@in" | "size")
}

type Module = for<'a> fn(&str, &mut [Value<'a>], &Call) -> Option<Result<Value<'a>, Error>>;

/// The libraries implementing overloads, tried in this order.
const MODULES: [Module; 9] = [
    |id, a, _| fn_std::call(id, a),
    |id, a, _| fn_time::call(id, a),
    |id, a, _| fn_strings::call(id, a),
    |id, a, c| fn_regex::call(id, a, c.regex.as_ref()),
    |id, a, _| fn_lists::call(id, a),
    |id, a, _| fn_net::call(id, a),
    |id, a, _| fn_url::call(id, a),
    |id, a, _| fn_quantity::call(id, a),
    |id, a, _| fn_semver_format::call(id, a),
];

/// Runs overload `o`; the library implementing it is found on first use
/// and remembered in `route`.
fn invoke<'a>(
    o: &OverloadDecl,
    route: &OnceLock<u8>,
    c: &Call,
    args: &mut [Value<'a>],
) -> Result<Value<'a>, Error> {
    if let Some(m) = route.get().and_then(|i| MODULES.get(usize::from(*i)))
        && let Some(r) = m(&o.id, args, c)
    {
        return r;
    }
    for (i, m) in MODULES.iter().enumerate() {
        if let Some(r) = m(&o.id, args, c) {
            let _ = route.set(i as u8);
            return r;
        }
    }
    Err(Error::msg(format!("no such overload: {}", c.function)))
}

/// Calls the function of `c` on evaluated arguments (receiver first).
pub(crate) fn call<'a>(c: &Call, args: &mut [Value<'a>]) -> Result<Value<'a>, Error> {
    match (c.function.as_str(), &*args) {
        ("_==_", [a, b]) => return Ok(Value::Bool(equals(a, b))),
        ("_!=_", [a, b]) => return Ok(Value::Bool(!equals(a, b))),
        _ => {}
    }
    let chosen = c.candidates.iter().find(|(o, _)| matches_overload(o, args));
    match chosen {
        Some((o, route)) => invoke(o, route, c, args),
        None if is_operator(&c.function) => Err(Error::no_such_overload()),
        None => {
            let refs: Vec<&Value<'a>> = args.iter().collect();
            Err(Error::no_overload_for(&c.function, &refs))
        }
    }
}
