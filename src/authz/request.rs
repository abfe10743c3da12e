//! `Request`: what is being asked, by whom. The server, `eval` and `replay` all build one of these
//! from their input; authorizers never see wire formats.

use std::collections::BTreeMap;

use super::selector::{FieldRequirement, LabelRequirement, SelectorError};

/// The user the question is about: `spec.user`, `spec.uid`, `spec.groups` and `spec.extra` of a
/// SubjectAccessReview.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserInfo {
    /// The user name (`system:serviceaccount:ns:name` for service accounts).
    pub name: String,
    /// The user's UID, possibly empty.
    pub uid: String,
    /// Group memberships in the order the authenticator gave them.
    pub groups: Vec<String>,
    /// Extra authentication attributes, sorted by key.
    pub extra: BTreeMap<String, Vec<String>>,
}

/// One authorization question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Who asks.
    pub user: UserInfo,
    /// What is asked for.
    pub attributes: Attributes,
}

/// A request is either about an API resource or about a non-resource URL path.
// Resource requests are the common case; boxing them would cost an allocation per request.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attributes {
    /// An API resource request (`spec.resourceAttributes`).
    Resource(ResourceAttributes),
    /// A non-resource URL request (`spec.nonResourceAttributes`).
    NonResource(NonResourceAttributes),
}

/// The attributes of a resource request, with selectors already parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceAttributes {
    /// The namespace; empty for cluster-scoped and all-namespace requests.
    pub namespace: String,
    /// The verb (`get`, `list`, `impersonate`, ...).
    pub verb: String,
    /// The API group; empty for the core group.
    pub group: String,
    /// The API version; `*` when a SubjectAccessReview left it empty.
    pub version: String,
    /// The resource (`pods`).
    pub resource: String,
    /// The subresource (`log`), possibly empty.
    pub subresource: String,
    /// The object name, possibly empty.
    pub name: String,
    /// Field selector requirements, in the order kube-apiserver produced them.
    pub field_selector: Vec<FieldRequirement>,
    /// Why (part of) the field selector was ignored, if it was.
    pub field_selector_error: Option<SelectorError>,
    /// Label selector requirements, in the order kube-apiserver produced them.
    pub label_selector: Vec<LabelRequirement>,
    /// Why (part of) the label selector was ignored, if it was.
    pub label_selector_error: Option<SelectorError>,
}

/// The attributes of a non-resource request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NonResourceAttributes {
    /// The URL path without the query (`/healthz`).
    pub path: String,
    /// The lower-cased HTTP method (`get`, `post`, ...).
    pub verb: String,
}

impl Request {
    /// A test fixture: `alice` asking to `get` `/healthz`.
    #[cfg(test)]
    pub(crate) fn alice_gets_healthz() -> Self {
        Request {
            user: UserInfo {
                name: "alice".into(),
                ..UserInfo::default()
            },
            attributes: Attributes::NonResource(NonResourceAttributes {
                path: "/healthz".into(),
                verb: "get".into(),
            }),
        }
    }

    /// The verb of either kind of request.
    pub fn verb(&self) -> &str {
        match &self.attributes {
            Attributes::Resource(r) => &r.verb,
            Attributes::NonResource(n) => &n.verb,
        }
    }

    /// The namespace of a resource request, or empty.
    pub fn namespace(&self) -> &str {
        match &self.attributes {
            Attributes::Resource(r) => &r.namespace,
            Attributes::NonResource(_) => "",
        }
    }

    /// The resource attributes, when this is a resource request.
    pub fn resource(&self) -> Option<&ResourceAttributes> {
        match &self.attributes {
            Attributes::Resource(r) => Some(r),
            Attributes::NonResource(_) => None,
        }
    }
}
