//! Type unification as cel-go's checker does it (`checker/types.go`):
//! assignability with type-parameter substitutions, the most general of two
//! unifiable types, the occurs check and substitution.

use super::types::{Kind, Type};
use std::collections::HashMap;

/// Type-parameter substitutions, by parameter name, with an undo trail so
/// that a failed assignability test can be rolled back without copying.
#[derive(Debug, Default)]
pub struct Mapping {
    map: HashMap<String, Type>,
    trail: Vec<(String, Option<Type>)>,
}

impl Mapping {
    /// An empty mapping.
    pub fn new() -> Self {
        Self::default()
    }

    /// Binds the type parameter `name` to `t`.
    pub fn add(&mut self, name: &str, t: Type) {
        let old = self.map.insert(name.to_string(), t);
        self.trail.push((name.to_string(), old));
    }

    /// A point to [`Mapping::rollback`] to.
    pub fn mark(&self) -> usize {
        self.trail.len()
    }

    /// Undoes every binding made since `mark`.
    pub fn rollback(&mut self, mark: usize) {
        while self.trail.len() > mark {
            if let Some((name, old)) = self.trail.pop() {
                match old {
                    Some(t) => self.map.insert(name, t),
                    None => self.map.remove(&name),
                };
            }
        }
    }
}

fn find<'m>(m: &'m Mapping, t: &Type) -> Option<&'m Type> {
    match t {
        Type::TypeParam(name) => m.map.get(name),
        _ => None,
    }
}

/// cel-go's `internalIsAssignable`: whether `t1` is assignable to `t2`,
/// recording type-parameter substitutions in `m`.
pub fn internal_is_assignable(m: &mut Mapping, t1: &Type, t2: &Type) -> bool {
    let (k1, k2) = (t1.kind(), t2.kind());
    if k2 == Kind::TypeParam {
        let (valid, has_sub) = is_valid_type_substitution(m, t1, t2);
        if valid {
            return true;
        }
        if has_sub {
            return false;
        }
    }
    if k1 == Kind::TypeParam {
        return is_valid_type_substitution(m, t2, t1).0;
    }
    if t1.is_dyn_or_error() || t2.is_dyn_or_error() {
        return true;
    }
    if k1 == Kind::Null {
        return is_assignable_null(t2);
    }
    if k2 == Kind::Null {
        return is_assignable_null(t1);
    }
    match k1 {
        Kind::Bool
        | Kind::Bytes
        | Kind::Double
        | Kind::Int
        | Kind::String
        | Kind::Uint
        | Kind::Any
        | Kind::Duration
        | Kind::Timestamp
        | Kind::Struct => t1.is_assignable_type(t2),
        Kind::Type => k2 == Kind::Type,
        Kind::Opaque | Kind::List | Kind::Map => {
            let (p1, p2) = (t1.params(), t2.params());
            k1 == k2
                && t1.type_name() == t2.type_name()
                && p1.len() == p2.len()
                && p1
                    .iter()
                    .zip(p2.iter())
                    .all(|(a, b)| internal_is_assignable(m, a, b))
        }
        _ => false,
    }
}

fn is_assignable_null(t: &Type) -> bool {
    matches!(
        t.kind(),
        Kind::Opaque | Kind::Struct | Kind::Any | Kind::Duration | Kind::Timestamp | Kind::Null
    )
}

fn is_valid_type_substitution(m: &mut Mapping, t1: &Type, t2: &Type) -> (bool, bool) {
    if t1 == t2 {
        return (true, true);
    }
    if let Some(t2_sub) = find(m, t2).cloned() {
        if *t1 == t2_sub {
            return (true, true);
        }
        if internal_is_assignable(m, t1, &t2_sub) {
            let general = most_general(t1, &t2_sub);
            if not_referenced_in(m, t2, &general)
                && let Type::TypeParam(name) = t2
            {
                m.add(name, general);
            }
            return (true, true);
        }
        return (false, true);
    }
    if not_referenced_in(m, t2, t1) {
        if let Type::TypeParam(name) = t2 {
            m.add(name, t1.clone());
        }
        return (true, false);
    }
    (false, false)
}

fn is_equal_or_less_specific(t1: &Type, t2: &Type) -> bool {
    let (k1, k2) = (t1.kind(), t2.kind());
    if t1.is_dyn() || k1 == Kind::TypeParam {
        return true;
    }
    if t2.is_dyn() || k2 == Kind::TypeParam {
        return false;
    }
    if k1 != k2 {
        return false;
    }
    match k1 {
        Kind::Opaque | Kind::List | Kind::Map => {
            let (p1, p2) = (t1.params(), t2.params());
            t1.type_name() == t2.type_name()
                && p1.len() == p2.len()
                && p1
                    .iter()
                    .zip(p2.iter())
                    .all(|(a, b)| is_equal_or_less_specific(a, b))
        }
        Kind::Type => true,
        _ => t1 == t2,
    }
}

/// The more general of two types known to unify.
pub fn most_general(t1: &Type, t2: &Type) -> Type {
    if is_equal_or_less_specific(t1, t2) {
        t1.clone()
    } else {
        t2.clone()
    }
}

/// The occurs check: whether `t` does not appear within `within`.
fn not_referenced_in(m: &Mapping, t: &Type, within: &Type) -> bool {
    if t == within {
        return false;
    }
    match within.kind() {
        Kind::TypeParam => match find(m, within) {
            Some(sub) => not_referenced_in(m, t, sub),
            None => true,
        },
        Kind::Opaque | Kind::List | Kind::Map => {
            within.params().iter().all(|p| not_referenced_in(m, t, p))
        }
        _ => true,
    }
}

/// Replaces bound type parameters; unbound ones become `dyn` if `to_dyn`.
pub fn substitute(m: &Mapping, t: &Type, to_dyn: bool) -> Type {
    if let Some(sub) = find(m, t) {
        return substitute(m, sub, to_dyn);
    }
    match t {
        Type::TypeParam(_) if to_dyn => Type::Dyn,
        Type::Opaque(_, _) | Type::List(_) | Type::Map(_, _) | Type::TypeOf(Some(_)) => {
            let params = t
                .params()
                .into_iter()
                .map(|p| substitute(m, p, to_dyn))
                .collect();
            t.with_params(params)
        }
        other => other.clone(),
    }
}
