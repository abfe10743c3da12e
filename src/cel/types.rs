//! CEL types as cel-go's type checker sees them, and the schema of the
//! `request` variable of authorization `matchConditions`.
//!
//! Two renderings exist, as in cel-go: [`std::fmt::Display`] is cel-go's
//! `Type.String()` (used by kube-apiserver in "must evaluate to bool but got
//! X"), and [`Type::format_cel`] is cel-go's `FormatCELType` (used in checker
//! messages such as "found no matching overload").

use std::fmt;

/// Name of the `request` variable's type.
pub const SAR_SPEC: &str = "kubernetes.SubjectAccessReviewSpec";
/// Name of `request.resourceAttributes`' type.
pub const RESOURCE_ATTRIBUTES: &str = "kubernetes.ResourceAttributes";
/// Name of `request.nonResourceAttributes`' type.
pub const NON_RESOURCE_ATTRIBUTES: &str = "kubernetes.NonResourceAttributes";
/// Name of `request.resourceAttributes.fieldSelector`'s type.
pub const FIELD_SELECTOR_ATTRIBUTES: &str = "kubernetes.FieldSelectorAttributes";
/// Name of `request.resourceAttributes.labelSelector`'s type.
pub const LABEL_SELECTOR_ATTRIBUTES: &str = "kubernetes.LabelSelectorAttributes";
/// Name of a selector requirement's type.
pub const SELECTOR_REQUIREMENT: &str = "kubernetes.SelectorRequirement";
/// The Kubernetes IP library's object type.
pub const IP: &str = "net.IP";
/// The Kubernetes CIDR library's object type.
pub const CIDR: &str = "net.CIDR";
/// The Kubernetes URL library's object type.
pub const URL: &str = "kubernetes.URL";
/// The Kubernetes quantity library's object type.
pub const QUANTITY: &str = "kubernetes.Quantity";
/// The Kubernetes semver library's object type.
pub const SEMVER: &str = "kubernetes.Semver";
/// The Kubernetes format library's object type (`format.dns1123Label()` ...).
pub const NAMED_FORMAT: &str = "kubernetes.NamedFormat";
/// Type name of optional values.
pub const OPTIONAL_TYPE: &str = "optional_type";

/// The kind of a [`Type`], cel-go's `types.Kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `dyn`.
    Dyn,
    /// The checker's error type.
    Error,
    /// `null_type`.
    Null,
    /// `bool`.
    Bool,
    /// `int`.
    Int,
    /// `uint`.
    Uint,
    /// `double`.
    Double,
    /// `string`.
    String,
    /// `bytes`.
    Bytes,
    /// `google.protobuf.Duration`.
    Duration,
    /// `google.protobuf.Timestamp`.
    Timestamp,
    /// `google.protobuf.Any`.
    Any,
    /// `list(T)`.
    List,
    /// `map(K, V)`.
    Map,
    /// `type` / `type(T)`.
    Type,
    /// Opaque parameterized types such as `optional_type(T)`.
    Opaque,
    /// Object (struct) types.
    Struct,
    /// Type parameters and free type variables.
    TypeParam,
}

/// A CEL type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    /// `dyn`.
    Dyn,
    /// The checker's error type, assignable to and from anything.
    Error,
    /// `null_type`.
    Null,
    /// `bool`.
    Bool,
    /// `int`.
    Int,
    /// `uint`.
    Uint,
    /// `double`.
    Double,
    /// `string`.
    String,
    /// `bytes`.
    Bytes,
    /// `google.protobuf.Duration`.
    Duration,
    /// `google.protobuf.Timestamp`.
    Timestamp,
    /// `google.protobuf.Any`.
    Any,
    /// `list(T)`.
    List(Box<Type>),
    /// `map(K, V)`.
    Map(Box<Type>, Box<Type>),
    /// `type` (no parameter) or `type(T)`.
    TypeOf(Option<Box<Type>>),
    /// An opaque type with parameters, e.g. `optional_type(T)`.
    Opaque(String, Vec<Type>),
    /// An object type, e.g. `kubernetes.ResourceAttributes` or `net.IP`.
    Struct(String),
    /// A type parameter or free type variable.
    TypeParam(String),
}

impl Type {
    /// `list(elem)`.
    pub fn list(elem: Type) -> Type {
        Type::List(Box::new(elem))
    }

    /// `map(key, value)`.
    pub fn map(key: Type, value: Type) -> Type {
        Type::Map(Box::new(key), Box::new(value))
    }

    /// `optional_type(inner)`.
    pub fn optional(inner: Type) -> Type {
        Type::Opaque(OPTIONAL_TYPE.to_string(), vec![inner])
    }

    /// `type(inner)`.
    pub fn type_of(inner: Type) -> Type {
        Type::TypeOf(Some(Box::new(inner)))
    }

    /// An object type by name.
    pub fn object(name: &str) -> Type {
        Type::Struct(name.to_string())
    }

    /// This type's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Type::Dyn => Kind::Dyn,
            Type::Error => Kind::Error,
            Type::Null => Kind::Null,
            Type::Bool => Kind::Bool,
            Type::Int => Kind::Int,
            Type::Uint => Kind::Uint,
            Type::Double => Kind::Double,
            Type::String => Kind::String,
            Type::Bytes => Kind::Bytes,
            Type::Duration => Kind::Duration,
            Type::Timestamp => Kind::Timestamp,
            Type::Any => Kind::Any,
            Type::List(_) => Kind::List,
            Type::Map(_, _) => Kind::Map,
            Type::TypeOf(_) => Kind::Type,
            Type::Opaque(_, _) => Kind::Opaque,
            Type::Struct(_) => Kind::Struct,
            Type::TypeParam(_) => Kind::TypeParam,
        }
    }

    /// cel-go's `TypeName()`: the name without parameters.
    pub fn type_name(&self) -> &str {
        match self {
            Type::Dyn => "dyn",
            Type::Error => "error",
            Type::Null => "null_type",
            Type::Bool => "bool",
            Type::Int => "int",
            Type::Uint => "uint",
            Type::Double => "double",
            Type::String => "string",
            Type::Bytes => "bytes",
            Type::Duration => "google.protobuf.Duration",
            Type::Timestamp => "google.protobuf.Timestamp",
            Type::Any => "google.protobuf.Any",
            Type::List(_) => "list",
            Type::Map(_, _) => "map",
            Type::TypeOf(_) => "type",
            Type::Opaque(name, _) | Type::Struct(name) | Type::TypeParam(name) => name,
        }
    }

    /// The type's parameters, in order.
    pub fn params(&self) -> Vec<&Type> {
        match self {
            Type::List(e) => vec![e],
            Type::Map(k, v) => vec![k, v],
            Type::TypeOf(Some(t)) => vec![t],
            Type::Opaque(_, ps) => ps.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// Rebuilds this type with new parameters (same count as [`Type::params`]).
    pub fn with_params(&self, mut params: Vec<Type>) -> Type {
        match self {
            Type::List(_) if params.len() == 1 => Type::list(params.remove(0)),
            Type::Map(_, _) if params.len() == 2 => {
                let v = params.remove(1);
                Type::map(params.remove(0), v)
            }
            Type::TypeOf(Some(_)) if params.len() == 1 => Type::type_of(params.remove(0)),
            Type::Opaque(name, _) => Type::Opaque(name.clone(), params),
            other => other.clone(),
        }
    }

    /// Whether this is `dyn` (or `google.protobuf.Any`), cel-go's `isDyn`.
    pub fn is_dyn(&self) -> bool {
        matches!(self, Type::Dyn | Type::Any)
    }

    /// Whether this is `dyn`, `Any` or the error type.
    pub fn is_dyn_or_error(&self) -> bool {
        self.is_dyn() || matches!(self, Type::Error)
    }

    /// Whether this is `optional_type(T)`.
    pub fn is_optional(&self) -> bool {
        matches!(self, Type::Opaque(name, ps) if name == OPTIONAL_TYPE && ps.len() == 1)
    }

    /// The `T` of `optional_type(T)`, or the type itself.
    pub fn unwrap_optional(&self) -> (&Type, bool) {
        match self {
            Type::Opaque(name, ps) if name == OPTIONAL_TYPE && ps.len() == 1 => (&ps[0], true),
            other => (other, false),
        }
    }

    /// cel-go's `Type.IsAssignableType`, the default (non-wrapper) rule.
    pub fn is_assignable_type(&self, from: &Type) -> bool {
        if self == from || self.is_dyn() {
            return true;
        }
        let (mine, theirs) = (self.params(), from.params());
        self.kind() == from.kind()
            && self.type_name() == from.type_name()
            && mine.len() == theirs.len()
            && mine
                .iter()
                .zip(theirs.iter())
                .all(|(a, b)| a.is_assignable_type(b))
    }

    /// cel-go's `FormatCELType`, used in checker error messages.
    pub fn format_cel(&self) -> String {
        match self {
            Type::Any => "any".to_string(),
            Type::Duration => "duration".to_string(),
            Type::Error => "!error!".to_string(),
            Type::Null => "null".to_string(),
            Type::Timestamp => "timestamp".to_string(),
            Type::TypeParam(name) => name.clone(),
            _ => {
                let params = self.params();
                if params.is_empty() {
                    self.type_name().to_string()
                } else {
                    let inner: Vec<String> = params.iter().map(|p| p.format_cel()).collect();
                    format!("{}({})", self.type_name(), inner.join(", "))
                }
            }
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params = self.params();
        if params.is_empty() {
            return f.write_str(self.type_name());
        }
        write!(f, "{}(", self.type_name())?;
        for (i, p) in params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{p}")?;
        }
        f.write_str(")")
    }
}

/// Parses the compact type notation used by the declaration tables:
/// `int`, `list(A)`, `map(string, list(string))`, `optional_type(V)`,
/// `type(A)`, object names such as `net.IP`; a single upper-case letter is a
/// type parameter. Malformed input yields [`Type::Error`].
pub fn parse_type(text: &str) -> Type {
    let mut p = TypeParser {
        s: text.as_bytes(),
        pos: 0,
    };
    match p.parse() {
        Some(t) if p.pos == p.s.len() => t,
        _ => Type::Error,
    }
}

struct TypeParser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl TypeParser<'_> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos] == b' ' {
            self.pos += 1;
        }
    }

    fn parse(&mut self) -> Option<Type> {
        self.skip_ws();
        let start = self.pos;
        while self.pos < self.s.len() {
            let c = self.s[self.pos];
            if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'@' {
                self.pos += 1;
            } else {
                break;
            }
        }
        let name = std::str::from_utf8(&self.s[start..self.pos])
            .ok()?
            .to_string();
        if name.is_empty() {
            return None;
        }
        let mut params = Vec::new();
        if self.pos < self.s.len() && self.s[self.pos] == b'(' {
            self.pos += 1;
            loop {
                params.push(self.parse()?);
                self.skip_ws();
                match self.s.get(self.pos) {
                    Some(b',') => self.pos += 1,
                    Some(b')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.skip_ws();
        Some(build_type(name, params))
    }
}

fn build_type(name: String, mut params: Vec<Type>) -> Type {
    match (name.as_str(), params.len()) {
        ("dyn", 0) => Type::Dyn,
        ("null_type", 0) => Type::Null,
        ("bool", 0) => Type::Bool,
        ("int", 0) => Type::Int,
        ("uint", 0) => Type::Uint,
        ("double", 0) => Type::Double,
        ("string", 0) => Type::String,
        ("bytes", 0) => Type::Bytes,
        ("duration", 0) => Type::Duration,
        ("timestamp", 0) => Type::Timestamp,
        ("type", 0) => Type::TypeOf(None),
        ("type", 1) => Type::type_of(params.remove(0)),
        ("list", 1) => Type::list(params.remove(0)),
        ("map", 2) => {
            let v = params.remove(1);
            Type::map(params.remove(0), v)
        }
        (_, 0) if name.len() == 1 && name.as_bytes()[0].is_ascii_uppercase() => {
            Type::TypeParam(name)
        }
        (_, 0) => Type::Struct(name),
        _ => Type::Opaque(name, params),
    }
}

/// Whether the object type is known to the type provider, so that a field
/// lookup on it reports "undefined field" rather than a failed resolution.
pub fn is_registered_object(name: &str) -> bool {
    matches!(
        name,
        SAR_SPEC
            | RESOURCE_ATTRIBUTES
            | NON_RESOURCE_ATTRIBUTES
            | FIELD_SELECTOR_ATTRIBUTES
            | LABEL_SELECTOR_ATTRIBUTES
            | SELECTOR_REQUIREMENT
            | IP
            | CIDR
    )
}

/// The type of `field` on the object type `object`, per kube-apiserver's
/// `buildRequestType` (spec 4.1). `None` if the object has no such field.
pub fn object_field_type(object: &str, field: &str) -> Option<Type> {
    let string_list = || Type::list(Type::String);
    match (object, field) {
        (SAR_SPEC, "resourceAttributes") => Some(Type::object(RESOURCE_ATTRIBUTES)),
        (SAR_SPEC, "nonResourceAttributes") => Some(Type::object(NON_RESOURCE_ATTRIBUTES)),
        (SAR_SPEC, "user" | "uid") => Some(Type::String),
        (SAR_SPEC, "groups") => Some(string_list()),
        (SAR_SPEC, "extra") => Some(Type::map(Type::String, string_list())),
        (
            RESOURCE_ATTRIBUTES,
            "namespace" | "verb" | "group" | "version" | "resource" | "subresource" | "name",
        ) => Some(Type::String),
        (RESOURCE_ATTRIBUTES, "fieldSelector") => Some(Type::object(FIELD_SELECTOR_ATTRIBUTES)),
        (RESOURCE_ATTRIBUTES, "labelSelector") => Some(Type::object(LABEL_SELECTOR_ATTRIBUTES)),
        (FIELD_SELECTOR_ATTRIBUTES | LABEL_SELECTOR_ATTRIBUTES, "rawSelector") => {
            Some(Type::String)
        }
        (FIELD_SELECTOR_ATTRIBUTES | LABEL_SELECTOR_ATTRIBUTES, "requirements") => {
            Some(Type::list(Type::object(SELECTOR_REQUIREMENT)))
        }
        (SELECTOR_REQUIREMENT, "key" | "operator") => Some(Type::String),
        (SELECTOR_REQUIREMENT, "values") => Some(string_list()),
        (NON_RESOURCE_ATTRIBUTES, "path" | "verb") => Some(Type::String),
        _ => None,
    }
}

/// The type of the `request` variable.
pub fn request_type() -> Type {
    Type::object(SAR_SPEC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_cel_go() {
        let opt = Type::optional(Type::String);
        assert_eq!(opt.to_string(), "optional_type(string)");
        assert_eq!(opt.format_cel(), "optional_type(string)");
        assert_eq!(Type::Duration.to_string(), "google.protobuf.Duration");
        assert_eq!(Type::Duration.format_cel(), "duration");
        assert_eq!(Type::Null.to_string(), "null_type");
        assert_eq!(Type::Null.format_cel(), "null");
        let m = Type::map(Type::String, Type::list(Type::String));
        assert_eq!(m.to_string(), "map(string, list(string))");
        assert_eq!(Type::type_of(Type::Int).to_string(), "type(int)");
    }

    #[test]
    fn parses_table_notation() {
        assert_eq!(
            parse_type("list(A)"),
            Type::list(Type::TypeParam("A".into()))
        );
        assert_eq!(
            parse_type("map(string, list(string))"),
            Type::map(Type::String, Type::list(Type::String))
        );
        assert_eq!(
            parse_type("optional_type(V)"),
            Type::optional(Type::TypeParam("V".into()))
        );
        assert_eq!(parse_type("net.IP"), Type::object(IP));
        assert_eq!(parse_type("list("), Type::Error);
    }

    #[test]
    fn request_schema() {
        assert_eq!(object_field_type(SAR_SPEC, "usr"), None);
        assert_eq!(
            object_field_type(FIELD_SELECTOR_ATTRIBUTES, "requirements"),
            Some(Type::list(Type::object(SELECTOR_REQUIREMENT)))
        );
        assert_eq!(
            object_field_type(NON_RESOURCE_ATTRIBUTES, "verb"),
            Some(Type::String)
        );
    }
}
