//! The `request` variable: a borrowed view of the v1 SubjectAccessReviewSpec
//! as kube-apiserver's webhook authorizer rebuilds it before evaluating
//! matchConditions (`convertObjectToUnstructured`, spec 4.1).
//!
//! The evaluator never materialises the whole map: field selections read
//! straight from these views.

use super::value::{List, Map, Str, Value};
use std::collections::BTreeMap;

/// The request a matchCondition sees. `user`, `groups`, `uid` and `extra`
/// are always present (an absent `extra` is an empty map); exactly one of
/// `resource` / `non_resource` should be set.
#[derive(Debug, Clone, Copy)]
pub struct SarView<'a> {
    /// `user`.
    pub user: &'a str,
    /// `uid`.
    pub uid: &'a str,
    /// `groups`, in order.
    pub groups: &'a [String],
    /// `extra`.
    pub extra: &'a BTreeMap<String, Vec<String>>,
    /// `resourceAttributes`, for resource requests.
    pub resource: Option<ResourceView<'a>>,
    /// `nonResourceAttributes`, for non-resource requests.
    pub non_resource: Option<NonResourceView<'a>>,
}

/// `resourceAttributes`: all seven strings are always present (an empty
/// `version` should already be `"*"`, as kube-apiserver rebuilds it).
#[derive(Debug, Clone, Copy)]
pub struct ResourceView<'a> {
    /// `namespace`.
    pub namespace: &'a str,
    /// `verb`.
    pub verb: &'a str,
    /// `group`.
    pub group: &'a str,
    /// `version`.
    pub version: &'a str,
    /// `resource`.
    pub resource: &'a str,
    /// `subresource`.
    pub subresource: &'a str,
    /// `name`.
    pub name: &'a str,
    /// `fieldSelector.requirements`; empty means no `fieldSelector`.
    pub field_selector: &'a [RequirementView<'a>],
    /// `labelSelector.requirements`; empty means no `labelSelector`.
    pub label_selector: &'a [RequirementView<'a>],
}

/// One selector requirement (`key`, `operator`, `values`).
#[derive(Debug, Clone, Copy)]
pub struct RequirementView<'a> {
    /// `key`.
    pub key: &'a str,
    /// `operator` (`In`, `NotIn`, `Exists`, `DoesNotExist`).
    pub operator: &'a str,
    /// `values` (always present, possibly empty).
    pub values: &'a [String],
}

/// `nonResourceAttributes`.
#[derive(Debug, Clone, Copy)]
pub struct NonResourceView<'a> {
    /// `path`.
    pub path: &'a str,
    /// `verb`.
    pub verb: &'a str,
}

/// An empty `extra` map, for callers without one.
pub fn empty_extra() -> &'static BTreeMap<String, Vec<String>> {
    static EMPTY: BTreeMap<String, Vec<String>> = BTreeMap::new();
    &EMPTY
}

/// Parts of the request, seen as string-keyed maps without being built.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Obj<'a> {
    /// The spec; the flags say whether field/label selectors are included.
    Request(&'a SarView<'a>, bool, bool),
    Resource(&'a ResourceView<'a>, bool, bool),
    NonResource(&'a NonResourceView<'a>),
    /// A field or label selector: `{requirements: [...]}`.
    Selector(&'a [RequirementView<'a>]),
    Requirement(&'a RequirementView<'a>),
}

impl<'a> Obj<'a> {
    /// The keys present, in a fixed order.
    pub(crate) fn keys(&self) -> Vec<&'static str> {
        match self {
            Obj::Request(r, _, _) => {
                let mut k = vec!["user", "groups", "uid", "extra"];
                if r.resource.is_some() {
                    k.push("resourceAttributes");
                }
                if r.non_resource.is_some() {
                    k.push("nonResourceAttributes");
                }
                k
            }
            Obj::Resource(r, f, l) => {
                let mut k = vec![
                    "namespace",
                    "verb",
                    "group",
                    "version",
                    "resource",
                    "subresource",
                    "name",
                ];
                if *f && !r.field_selector.is_empty() {
                    k.push("fieldSelector");
                }
                if *l && !r.label_selector.is_empty() {
                    k.push("labelSelector");
                }
                k
            }
            Obj::NonResource(_) => vec!["verb", "path"],
            Obj::Selector(_) => vec!["requirements"],
            Obj::Requirement(_) => vec!["key", "operator", "values"],
        }
    }

    /// The value of a key.
    pub(crate) fn get(&self, key: &str) -> Option<Value<'a>> {
        let s = |v: &'a str| Some(Value::String(Str::B(v)));
        match *self {
            Obj::Request(r, f, l) => match key {
                "user" => s(r.user),
                "uid" => s(r.uid),
                "groups" => Some(Value::List(List::Strs(r.groups))),
                "extra" => Some(Value::Map(Map::Extra(r.extra))),
                "resourceAttributes" => r
                    .resource
                    .as_ref()
                    .map(|ra| Value::Map(Map::Obj(Obj::Resource(ra, f, l)))),
                "nonResourceAttributes" => r
                    .non_resource
                    .as_ref()
                    .map(|n| Value::Map(Map::Obj(Obj::NonResource(n)))),
                _ => None,
            },
            Obj::Resource(r, f, l) => match key {
                "namespace" => s(r.namespace),
                "verb" => s(r.verb),
                "group" => s(r.group),
                "version" => s(r.version),
                "resource" => s(r.resource),
                "subresource" => s(r.subresource),
                "name" => s(r.name),
                "fieldSelector" if f && !r.field_selector.is_empty() => {
                    Some(Value::Map(Map::Obj(Obj::Selector(r.field_selector))))
                }
                "labelSelector" if l && !r.label_selector.is_empty() => {
                    Some(Value::Map(Map::Obj(Obj::Selector(r.label_selector))))
                }
                _ => None,
            },
            Obj::NonResource(n) => match key {
                "verb" => s(n.verb),
                "path" => s(n.path),
                _ => None,
            },
            Obj::Selector(reqs) => (key == "requirements").then_some(Value::List(List::Reqs(reqs))),
            Obj::Requirement(r) => match key {
                "key" => s(r.key),
                "operator" => s(r.operator),
                "values" => Some(Value::List(List::Strs(r.values))),
                _ => None,
            },
        }
    }
}
