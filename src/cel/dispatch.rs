//! Runtime overload selection: the first candidate overload whose declared
//! argument types match the runtime values (cel-go's dynamic dispatch),
//! then the library implementing that [`Overload`].

use super::error::Error;
use super::overload::{Interpreted, Overload};
use super::program::Call;
use super::stdlib::OverloadDecl;
use super::types::{OPTIONAL_TYPE, Type};
use super::value::{Value, equals};
use super::{
    fn_lists, fn_net, fn_quantity, fn_regex, fn_semver_format, fn_std, fn_strings, fn_time, fn_url,
};

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

/// Runs overload `o` in the library implementing it.
fn invoke<'a>(o: Overload, c: &Call, args: &mut [Value<'a>]) -> Result<Value<'a>, Error> {
    match o {
        Overload::Interpreted(i) => interpreted(i, args),
        Overload::Std(o) => fn_std::call(o, args),
        Overload::Time(o) => fn_time::call(o, args),
        Overload::Regex(o) => fn_regex::call(o, args, c.regex.as_ref()),
        Overload::Lists(o) => fn_lists::call(o, args),
        Overload::Quantities(o) => fn_quantity::call(o, args),
        Overload::Strings(o) => fn_strings::call(o, args),
        Overload::Net(o) => fn_net::call(o, args),
        Overload::Urls(o) => fn_url::call(o, args),
        Overload::SemverFormat(o) => fn_semver_format::call(o, args),
        // No value of the authorizer library's types exists here.
        Overload::Authz(_) => Err(Error::no_such_overload()),
    }
}

/// Equality; the other interpreted overloads are planned as nodes of their
/// own and never reach a call.
fn interpreted<'a>(o: Interpreted, args: &[Value<'a>]) -> Result<Value<'a>, Error> {
    use Interpreted as I;
    match (o, args) {
        (I::Equals, [a, b]) => Ok(Value::Bool(equals(a, b))),
        (I::NotEquals, [a, b]) => Ok(Value::Bool(!equals(a, b))),
        (
            I::Equals
            | I::NotEquals
            | I::NotStrictlyFalse
            | I::LogicalAnd
            | I::LogicalOr
            | I::Conditional
            | I::SelectOptionalField
            | I::ListOptindexOptionalInt
            | I::OptionalListOptindexOptionalInt
            | I::MapOptindexOptionalValue
            | I::OptionalMapOptindexOptionalValue
            | I::IndexList
            | I::IndexMap
            | I::OptionalListIndexInt
            | I::OptionalMapIndexValue,
            _,
        ) => Err(Error::no_such_overload()),
    }
}

/// Calls the function of `c` on evaluated arguments (receiver first).
pub(crate) fn call<'a>(c: &Call, args: &mut [Value<'a>]) -> Result<Value<'a>, Error> {
    let chosen = c.candidates.iter().find(|o| matches_overload(o, args));
    match chosen {
        Some(o) => invoke(o.overload, c, args),
        None if is_operator(&c.function) => Err(Error::no_such_overload()),
        None => {
            let refs: Vec<&Value<'a>> = args.iter().collect();
            Err(Error::no_overload_for(&c.function, &refs))
        }
    }
}
