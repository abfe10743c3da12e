//! Runtime values of the evaluator, with cel-go's equality, ordering,
//! sizes and type names. Strings and lists taken from the request are
//! borrowed; values built during evaluation are reference counted.

use super::error::Error;
use super::ext_types::Ext;
pub(crate) use super::request::Obj;
use super::request::RequirementView;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A string, borrowed from the request or owned.
#[derive(Debug, Clone)]
pub(crate) enum Str<'a> {
    /// Borrowed from the request (or the program).
    B(&'a str),
    /// Built during evaluation.
    O(Arc<str>),
}

impl Str<'_> {
    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Str::B(s) => s,
            Str::O(s) => s,
        }
    }
}

/// A timestamp: Unix seconds and nanoseconds, plus the UTC offset (seconds
/// east) it was written with, which `string()` preserves as Go does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ts {
    pub secs: i64,
    pub nanos: u32,
    pub offset: i32,
}

/// A runtime value.
#[derive(Debug, Clone)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Double(f64),
    String(Str<'a>),
    Bytes(Arc<[u8]>),
    List(List<'a>),
    Map(Map<'a>),
    /// Nanoseconds.
    Duration(i64),
    Timestamp(Ts),
    /// A type value, by cel-go type name.
    Type(&'static str),
    Optional(Option<Arc<Value<'a>>>),
    /// Kubernetes library values (IP, CIDR, URL, quantity, semver, format).
    Ext(Ext),
}

/// A list value.
#[derive(Debug, Clone)]
pub(crate) enum List<'a> {
    Vals(Arc<Vec<Value<'a>>>),
    Strs(&'a [String]),
    Reqs(&'a [RequirementView<'a>]),
}

/// A map value.
#[derive(Debug, Clone)]
pub(crate) enum Map<'a> {
    Vals(Arc<MapVal<'a>>),
    Extra(&'a BTreeMap<String, Vec<String>>),
    Obj(Obj<'a>),
}

/// An evaluated map literal or comprehension result, in insertion order,
/// with a hash index over the keys.
#[derive(Debug, Clone, Default)]
pub(crate) struct MapVal<'a> {
    entries: Vec<(Value<'a>, Value<'a>)>,
    index: HashMap<u64, Vec<usize>>,
}

pub(crate) const NULL_TYPE: &str = "null_type";

impl<'a> Value<'a> {
    /// A string value from owned text.
    pub(crate) fn str(s: impl Into<Arc<str>>) -> Self {
        Value::String(Str::O(s.into()))
    }

    /// A list value from elements.
    pub(crate) fn list(v: Vec<Value<'a>>) -> Self {
        Value::List(List::Vals(Arc::new(v)))
    }

    /// An optional holding `v`.
    pub(crate) fn some(v: Value<'a>) -> Self {
        Value::Optional(Some(Arc::new(v)))
    }

    /// cel-go's type name of the value.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Null => NULL_TYPE,
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Uint(_) => "uint",
            Value::Double(_) => "double",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Duration(_) => "google.protobuf.Duration",
            Value::Timestamp(_) => "google.protobuf.Timestamp",
            Value::Type(_) => "type",
            Value::Optional(_) => "optional_type",
            Value::Ext(e) => e.type_name(),
        }
    }

    /// The string, if this is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s.as_str()),
            _ => None,
        }
    }

    /// cel-go's `Sizer` size (code points for strings), if the value has one.
    pub(crate) fn size(&self) -> Option<usize> {
        match self {
            Value::String(s) => Some(s.as_str().chars().count()),
            Value::Bytes(b) => Some(b.len()),
            Value::List(l) => Some(l.len()),
            Value::Map(m) => Some(m.len()),
            _ => None,
        }
    }

    /// The size the cost model charges for (1 for values without a size).
    pub(crate) fn cost_size(&self) -> u64 {
        self.size().map_or(1, |s| s as u64)
    }
}

impl<'a> List<'a> {
    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        match self {
            List::Vals(v) => v.len(),
            List::Strs(s) => s.len(),
            List::Reqs(r) => r.len(),
        }
    }

    /// The element at `i`.
    pub(crate) fn get(&self, i: usize) -> Option<Value<'a>> {
        match self {
            List::Vals(v) => v.get(i).cloned(),
            List::Strs(s) => s.get(i).map(|s| Value::String(Str::B(s))),
            List::Reqs(r) => r.get(i).map(|r| Value::Map(Map::Obj(Obj::Requirement(r)))),
        }
    }

    /// The elements, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Value<'a>> + '_ {
        (0..self.len()).filter_map(move |i| self.get(i))
    }

    /// The elements as a vector.
    pub(crate) fn to_vec(&self) -> Vec<Value<'a>> {
        match self {
            List::Vals(v) => v.as_ref().clone(),
            _ => self.iter().collect(),
        }
    }
}

/// A hash consistent with CEL key equality (numbers across int, uint and
/// double), for the key types maps can have.
fn key_hash(k: &Value<'_>) -> Option<u64> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    match k {
        Value::String(s) => (0u8, s.as_str()).hash(&mut h),
        Value::Bool(b) => (1u8, b).hash(&mut h),
        Value::Int(i) => (2u8, i128::from(*i)).hash(&mut h),
        Value::Uint(u) => (2u8, i128::from(*u)).hash(&mut h),
        Value::Double(d) if d.fract() == 0.0 && d.abs() < 1e38 => (2u8, *d as i128).hash(&mut h),
        Value::Double(d) => (3u8, d.to_bits()).hash(&mut h),
        _ => return None,
    }
    Some(h.finish())
}

impl<'a> MapVal<'a> {
    /// A map from entries; later duplicates (identical keys) win.
    pub(crate) fn from_entries(entries: Vec<(Value<'a>, Value<'a>)>) -> Self {
        let mut m = MapVal::default();
        for (k, v) in entries {
            m.insert(k, v);
        }
        m
    }

    fn position(&self, k: &Value<'_>, same: fn(&Value<'_>, &Value<'_>) -> bool) -> Option<usize> {
        match key_hash(k) {
            Some(h) => self
                .index
                .get(&h)?
                .iter()
                .copied()
                .find(|&i| same(&self.entries[i].0, k)),
            None => self.entries.iter().position(|(ek, _)| same(ek, k)),
        }
    }

    /// The value for a key equal to `k` (CEL key equality).
    pub(crate) fn find(&self, k: &Value<'_>) -> Option<&Value<'a>> {
        self.position(k, key_equals).map(|i| &self.entries[i].1)
    }

    /// Whether a key equal to `k` (CEL key equality) exists.
    pub(crate) fn contains_key(&self, k: &Value<'_>) -> bool {
        self.position(k, key_equals).is_some()
    }

    /// Appends an entry whose key is known to be absent.
    pub(crate) fn push(&mut self, k: Value<'a>, v: Value<'a>) {
        if let Some(h) = key_hash(&k) {
            self.index.entry(h).or_default().push(self.entries.len());
        }
        self.entries.push((k, v));
    }

    /// Inserts or replaces (by identical key, as a Go map does) an entry.
    pub(crate) fn insert(&mut self, k: Value<'a>, v: Value<'a>) {
        match self.position(&k, same_key) {
            Some(i) => self.entries[i].1 = v,
            None => self.push(k, v),
        }
    }

    /// Removes the entry with an identical key, if any.
    pub(crate) fn remove(&mut self, k: &Value<'_>) {
        if let Some(i) = self.position(k, same_key) {
            let mut entries = std::mem::take(&mut self.entries);
            entries.remove(i);
            self.index.clear();
            for (k, v) in entries {
                self.push(k, v);
            }
        }
    }
}

/// Key identity as Go's `map[ref.Val]` sees it: same type and value.
fn same_key(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Uint(x), Value::Uint(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => x.as_str() == y.as_str(),
        (Value::Double(x), Value::Double(y)) => x == y,
        _ => false,
    }
}

impl<'a> Map<'a> {
    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        match self {
            Map::Vals(m) => m.entries.len(),
            Map::Extra(e) => e.len(),
            Map::Obj(o) => o.keys().len(),
        }
    }

    /// Looks a key up with CEL's heterogeneous key equality; string-keyed
    /// request maps only match string keys.
    pub(crate) fn get(&self, key: &Value<'_>) -> Option<Value<'a>> {
        match self {
            Map::Vals(m) => m.find(key).cloned(),
            Map::Extra(e) => {
                let (k, v) = e.get_key_value(key.as_str()?)?;
                let _ = k;
                Some(Value::List(List::Strs(v)))
            }
            Map::Obj(o) => o.get(key.as_str()?),
        }
    }

    /// The keys, in iteration order.
    pub(crate) fn keys(&self) -> Vec<Value<'a>> {
        match self {
            Map::Vals(m) => m.entries.iter().map(|(k, _)| k.clone()).collect(),
            Map::Extra(e) => e.keys().map(|k| Value::String(Str::B(k))).collect(),
            Map::Obj(o) => o
                .keys()
                .into_iter()
                .map(|k| Value::String(Str::B(k)))
                .collect(),
        }
    }

    /// The entries, in iteration order.
    pub(crate) fn entries(&self) -> Vec<(Value<'a>, Value<'a>)> {
        match self {
            Map::Vals(m) => m.entries.to_vec(),
            _ => self
                .keys()
                .into_iter()
                .filter_map(|k| {
                    let v = self.get(&k)?;
                    Some((k, v))
                })
                .collect(),
        }
    }
}

/// Key lookup equality: numeric keys compare across int, uint and double.
pub(crate) fn key_equals(stored: &Value<'_>, probe: &Value<'_>) -> bool {
    match (stored, probe) {
        (Value::String(a), Value::String(b)) => a.as_str() == b.as_str(),
        (Value::Bool(a), Value::Bool(b)) => a == b,
        // cel-go finds a null key of a literal map (a Go map lookup).
        (Value::Null, Value::Null) => true,
        (
            Value::Int(_) | Value::Uint(_) | Value::Double(_),
            Value::Int(_) | Value::Uint(_) | Value::Double(_),
        ) => equals(stored, probe),
        _ => false,
    }
}

/// cel-go's `types.Equal`: heterogeneous equality that never fails.
pub(crate) fn equals(a: &Value<'_>, b: &Value<'_>) -> bool {
    use Value as V;
    match (a, b) {
        (V::Null, V::Null) => true,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::String(x), V::String(y)) => x.as_str() == y.as_str(),
        (V::Bytes(x), V::Bytes(y)) => x == y,
        (V::Int(_) | V::Uint(_) | V::Double(_), V::Int(_) | V::Uint(_) | V::Double(_)) => {
            if matches!(a, V::Double(d) if d.is_nan()) || matches!(b, V::Double(d) if d.is_nan()) {
                return false;
            }
            compare_numbers(a, b) == Some(Ordering::Equal)
        }
        (V::Duration(x), V::Duration(y)) => x == y,
        (V::Timestamp(x), V::Timestamp(y)) => x.secs == y.secs && x.nanos == y.nanos,
        (V::Type(x), V::Type(y)) => x == y,
        (V::Optional(x), V::Optional(y)) => match (x, y) {
            (None, None) => true,
            (Some(x), Some(y)) => equals(x, y),
            _ => false,
        },
        (V::List(x), V::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equals(&p, &q))
        }
        (V::Map(x), V::Map(y)) => {
            x.len() == y.len()
                && x.entries()
                    .iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| equals(v, &w)))
        }
        (V::Ext(x), V::Ext(y)) => x.equals(y),
        _ => false,
    }
}

/// Numeric ordering across int, uint and double as cel-go's comparisons
/// (`None` for NaN or non-numbers).
pub(crate) fn compare_numbers(a: &Value<'_>, b: &Value<'_>) -> Option<Ordering> {
    use Value as V;
    const I64_MIN: f64 = -9_223_372_036_854_775_808.0;
    const I64_MAX: f64 = 9_223_372_036_854_775_807.0;
    const U64_MAX: f64 = 18_446_744_073_709_551_615.0;
    let double_int = |d: f64, i: i64| -> Option<Ordering> {
        if d < I64_MIN {
            Some(Ordering::Less)
        } else if d > I64_MAX {
            Some(Ordering::Greater)
        } else {
            d.partial_cmp(&(i as f64))
        }
    };
    let double_uint = |d: f64, u: u64| -> Option<Ordering> {
        if d < 0.0 {
            Some(Ordering::Less)
        } else if d > U64_MAX {
            Some(Ordering::Greater)
        } else {
            d.partial_cmp(&(u as f64))
        }
    };
    let int_uint = |i: i64, u: u64| -> Ordering {
        if i < 0 {
            Ordering::Less
        } else {
            (i as u64).cmp(&u)
        }
    };
    match (a, b) {
        (V::Int(x), V::Int(y)) => Some(x.cmp(y)),
        (V::Uint(x), V::Uint(y)) => Some(x.cmp(y)),
        (V::Double(x), V::Double(y)) => x.partial_cmp(y),
        (V::Int(x), V::Uint(y)) => Some(int_uint(*x, *y)),
        (V::Uint(x), V::Int(y)) => Some(int_uint(*y, *x).reverse()),
        (V::Double(d), V::Int(i)) => double_int(*d, *i),
        (V::Int(i), V::Double(d)) => double_int(*d, *i).map(Ordering::reverse),
        (V::Double(d), V::Uint(u)) => double_uint(*d, *u),
        (V::Uint(u), V::Double(d)) => double_uint(*d, *u).map(Ordering::reverse),
        _ => None,
    }
}

/// cel-go's `Compare` for the relational operators.
pub(crate) fn compare(a: &Value<'_>, b: &Value<'_>) -> Result<Ordering, Error> {
    use Value as V;
    match (a, b) {
        (V::Double(x), _) if x.is_nan() => Err(Error::msg("NaN values cannot be ordered")),
        (V::Double(_), V::Double(y)) if y.is_nan() => {
            Err(Error::msg("NaN values cannot be ordered"))
        }
        (V::Int(_) | V::Uint(_) | V::Double(_), V::Int(_) | V::Uint(_) | V::Double(_)) => {
            // Int/Uint against NaN compare as cel-go's float comparison: equal.
            Ok(compare_numbers(a, b).unwrap_or(Ordering::Equal))
        }
        (V::Bool(x), V::Bool(y)) => Ok(x.cmp(y)),
        (V::String(x), V::String(y)) => Ok(x.as_str().cmp(y.as_str())),
        (V::Bytes(x), V::Bytes(y)) => Ok(x.cmp(y)),
        (V::Duration(x), V::Duration(y)) => Ok(x.cmp(y)),
        (V::Timestamp(x), V::Timestamp(y)) => Ok((x.secs, x.nanos).cmp(&(y.secs, y.nanos))),
        _ => Err(Error::no_such_overload()),
    }
}

/// Go's `%v` rendering of a value, as used in cel-go error messages.
pub(crate) fn go_v(v: &Value<'_>) -> String {
    match v {
        Value::Null => "NULL_VALUE".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Uint(u) => u.to_string(),
        Value::Double(d) => super::golang::format_g(*d),
        Value::String(s) => s.as_str().to_string(),
        Value::Bytes(b) => {
            let inner: Vec<String> = b.iter().map(u8::to_string).collect();
            format!("[{}]", inner.join(" "))
        }
        Value::Type(t) => t.to_string(),
        other => other.type_name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_stay_small() {
        assert!(std::mem::size_of::<super::Value<'_>>() <= 32);
    }
}
