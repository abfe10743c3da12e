//! From an audit event to the [`Request`]s kube-apiserver authorized, and how sure we are.
//!
//! * The user is `user`, or `impersonatedUser` when impersonation succeeded; the impersonation
//!   checks are then asked for `user` first (see [`super::impersonation`]).
//! * Resource attributes come from `objectRef` (group, version, resource, subresource), which
//!   kube-apiserver fills from its `RequestInfo`. Namespace and name come from the request URI,
//!   because the audit layer completes `objectRef` from the request body afterwards (a `create`
//!   logs the new object's name, but was authorized without one). List and watch get their name
//!   from a `metadata.name=` field selector, as `NewRequestInfo` does. Field and label selectors
//!   come from the query of list, watch and deletecollection requests.
//! * A request without `objectRef` is a non-resource request: the decoded path without its query.
//! * A refused impersonation leaves only the 403 message; the refused check is read back from it.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::event::{RawEvent, RawUser, Stage};
use super::forbidden;
use super::impersonation::{self, Impersonation};
use super::record::{Class, Recorded};
use super::uri;
use crate::authz::selector::{FieldOperator, parse_field_selector, parse_label_selector};
use crate::authz::{Attributes, NonResourceAttributes, Request, ResourceAttributes, UserInfo};

/// What to ask the chain for one event.
// Almost every event is a `Request`; boxing it would cost an allocation per event.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Plan {
    /// The request, after the impersonation checks when there are any.
    Request {
        /// The request as authorized (as the impersonated user, if any).
        request: Request,
        /// The impersonation, and another reading of the wanted identity when the log allows
        /// two (see [`impersonation::wanted_user`]).
        impersonation: Option<Box<(Impersonation, Option<UserInfo>)>>,
    },
    /// Impersonation was refused: only the refused check is known.
    RefusedCheck(Box<Request>),
    /// Nothing can be asked.
    Nothing,
}

/// The outcome of reconstruction.
#[derive(Clone, Debug)]
pub struct Reconstruction {
    /// What to ask.
    pub plan: Plan,
    /// Exact, approximated or unreplayable, before evaluation (which may lower exact).
    pub class: Class,
    /// Why, when not exact.
    pub note: Option<&'static str>,
    /// The decision kube-apiserver recorded.
    pub recorded: Option<Recorded>,
}

/// Reasons an event is approximated or unreplayable, as counted in the report.
pub mod notes {
    /// Only `RequestReceived` was logged: no decision and no impersonation yet.
    pub const REQUEST_RECEIVED_ONLY: &str = "only the RequestReceived stage was logged";
    /// The stage is not one of the four.
    pub const UNKNOWN_STAGE: &str = "unknown stage";
    /// No user name and no groups.
    pub const NO_USER: &str = "no user";
    /// No verb.
    pub const NO_VERB: &str = "no verb";
    /// No request URI.
    pub const NO_URI: &str = "no requestURI";
    /// The request URI's path does not decode.
    pub const BAD_URI: &str = "the requestURI does not decode";
    /// Impersonation was refused without asking an authorizer.
    pub const REFUSED_INVALID: &str = "impersonation refused by validation, not by an authorizer";
    /// Impersonation was refused and the message does not say how.
    pub const REFUSED_UNREADABLE: &str =
        "impersonation refused; the refused check is not in the response message";
    /// Impersonation was refused; the identity asked for is not logged.
    pub const REFUSED_CHECK: &str = "impersonation refused: the identity asked for is not logged, only the refused check is replayed";
    /// Service-account groups may have been sent or filled in, and the readings disagree.
    pub const AMBIGUOUS_GROUPS: &str = "impersonated service account: groups sent or filled in by kube-apiserver, and the two readings disagree";
    /// `objectRef` and the URI disagree.
    pub const OBJECT_REF_MISMATCH: &str =
        "objectRef does not match the requestURI; namespace and name taken from objectRef";
    /// The decision rests on a webhook that was not called.
    pub const WEBHOOK_SKIPPED: &str =
        "decided past a webhook that was not called (--webhooks skip)";
    /// The decision rests on an assumed webhook answer.
    pub const WEBHOOK_ASSUMED: &str =
        "decided by or past a webhook whose answer was assumed (--webhooks allow|deny|no-opinion)";
}

fn unreplayable(note: &'static str, recorded: Option<Recorded>) -> Reconstruction {
    Reconstruction {
        plan: Plan::Nothing,
        class: Class::Unreplayable,
        note: Some(note),
        recorded,
    }
}

/// The user an event was authorized for, as a [`UserInfo`].
pub fn user_info(user: &RawUser<'_>) -> UserInfo {
    UserInfo {
        name: user.username.as_deref().unwrap_or_default().to_owned(),
        uid: user.uid.as_deref().unwrap_or_default().to_owned(),
        groups: user
            .groups
            .iter()
            .flatten()
            .map(|g| g.to_string())
            .collect(),
        extra: user
            .extra
            .iter()
            .flatten()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    v.iter().flatten().map(|s| s.to_string()).collect(),
                )
            })
            .collect::<BTreeMap<_, _>>(),
    }
}

/// The decision recorded in the event: the authorization annotation, or a refused impersonation
/// (a 403 naming an impersonation verb, with no annotation).
pub fn recorded(event: &RawEvent<'_>) -> Option<Recorded> {
    let annotations = event.annotations.as_ref();
    match annotations.and_then(|a| a.decision.as_deref()) {
        Some("allow") => return Some(Recorded::Allow),
        Some("forbid") => return Some(Recorded::Forbid),
        _ => {}
    }
    refused_impersonation(event).map(|_| Recorded::Forbid)
}

fn refused_impersonation<'e>(event: &'e RawEvent<'_>) -> Option<&'e str> {
    let status = event.response_status.as_ref()?;
    let message = status.message.as_deref()?;
    (status.code == Some(403)
        && event.impersonated_user.is_none()
        && message.contains(" cannot impersonate"))
    .then_some(message)
}

/// Reconstructs what kube-apiserver asked for `event` (at `stage`).
pub fn reconstruct(event: &RawEvent<'_>, stage: Stage) -> Reconstruction {
    let recorded = recorded(event);
    if stage == Stage::RequestReceived {
        return unreplayable(notes::REQUEST_RECEIVED_ONLY, recorded);
    }
    let Some(user) = event.user.as_ref().map(user_info) else {
        return unreplayable(notes::NO_USER, recorded);
    };
    if user.name.is_empty() && user.groups.is_empty() {
        return unreplayable(notes::NO_USER, recorded);
    }
    let Some(verb) = event.verb.as_deref().filter(|v| !v.is_empty()) else {
        return unreplayable(notes::NO_VERB, recorded);
    };
    let Some(uri) = event.request_uri.as_deref() else {
        return unreplayable(notes::NO_URI, recorded);
    };
    let (raw_path, query) = uri::split(uri);
    let Some(path) = uri::decode_path(raw_path) else {
        return unreplayable(notes::BAD_URI, recorded);
    };
    let mut note = None;
    let attributes = match &event.object_ref {
        None => Attributes::NonResource(NonResourceAttributes {
            path: path.into_owned(),
            verb: verb.to_owned(),
        }),
        Some(object) => {
            let (attributes, mismatch) = resource_attributes(object, &path, query, verb);
            if mismatch {
                note = Some(notes::OBJECT_REF_MISMATCH);
            }
            Attributes::Resource(attributes)
        }
    };
    if let Some(message) = refused_impersonation(event) {
        return refused_check(message, user, attributes, recorded);
    }
    let (effective, impersonation) = match &event.impersonated_user {
        Some(raw) => {
            let recorded_user = user_info(raw);
            let constraint = event
                .authentication_metadata
                .as_ref()
                .and_then(|m| m.impersonation_constraint.as_deref())
                .map(str::to_owned);
            let (wanted, other) = impersonation::wanted_user(&recorded_user, constraint.as_deref());
            let imp = Impersonation {
                requestor: user,
                wanted,
                constraint,
            };
            (recorded_user, Some(Box::new((imp, other))))
        }
        None => (user, None),
    };
    Reconstruction {
        plan: Plan::Request {
            request: Request {
                user: effective,
                attributes,
            },
            impersonation,
        },
        class: if note.is_some() {
            Class::Approximated
        } else {
            Class::Exact
        },
        note,
        recorded,
    }
}

/// Resource attributes from `objectRef` and the URI; `true` when the two disagree.
fn resource_attributes(
    object: &super::event::RawObjectRef<'_>,
    path: &str,
    query: &str,
    verb: &str,
) -> (ResourceAttributes, bool) {
    let text = |t: &Option<super::event::Text<'_>>| t.as_deref().unwrap_or_default().to_owned();
    let mut attributes = ResourceAttributes {
        verb: verb.to_owned(),
        group: text(&object.api_group),
        version: text(&object.api_version),
        resource: text(&object.resource),
        subresource: text(&object.subresource),
        namespace: text(&object.namespace),
        name: text(&object.name),
        ..ResourceAttributes::default()
    };
    let mut mismatch = true;
    if let Some(info) = uri::resource_path(path)
        && info.group == attributes.group
        && info.version == attributes.version
        && info.resource == attributes.resource
        && info.subresource == attributes.subresource
        && (info.namespace.is_empty()
            || attributes.namespace.is_empty()
            || info.namespace == attributes.namespace)
    {
        mismatch = false;
        attributes.namespace = info.namespace.to_owned();
        attributes.name = info.name.to_owned();
    }
    if matches!(verb, "list" | "watch" | "deletecollection") {
        let field = uri::query_value(query, "fieldSelector").filter(|s| !s.is_empty());
        let label = uri::query_value(query, "labelSelector").filter(|s| !s.is_empty());
        let mut name_allowed = true;
        if let Some(selector) = &field {
            match parse_field_selector(selector) {
                Ok(requirements) => attributes.field_selector = requirements,
                Err(error) => {
                    name_allowed = false;
                    attributes.field_selector_error = Some(error);
                }
            }
        }
        if let Some(selector) = &label {
            match parse_label_selector(selector) {
                Ok(requirements) => attributes.label_selector = requirements,
                Err(error) => {
                    name_allowed = false;
                    attributes.label_selector_error = Some(error);
                }
            }
        }
        if name_allowed && !mismatch && attributes.name.is_empty() && verb != "deletecollection" {
            let pinned = attributes.field_selector.iter().find(|r| {
                r.field == "metadata.name"
                    && matches!(
                        r.operator,
                        FieldOperator::Equals | FieldOperator::DoubleEquals
                    )
            });
            if let Some(requirement) = pinned
                && uri::is_valid_path_segment_name(&requirement.value)
            {
                attributes.name.clone_from(&requirement.value);
            }
        }
    }
    (attributes, mismatch)
}

fn refused_check(
    message: &str,
    user: UserInfo,
    attributes: Attributes,
    recorded: Option<Recorded>,
) -> Reconstruction {
    let Some(check) = forbidden::parse(message).filter(|c| c.user == user.name) else {
        return unreplayable(notes::REFUSED_UNREADABLE, recorded);
    };
    let validation = check.detail.starts_with("impersonating ")
        || check.detail.starts_with("when impersonating ")
        || check.detail == "all impersonation modes failed";
    if validation {
        return unreplayable(notes::REFUSED_INVALID, recorded);
    }
    let user = if check.verb.contains("associated-node") {
        impersonation::associated_node_requestor(&user)
    } else {
        user
    };
    let attributes = if check.verb.starts_with("impersonate-on:") {
        let mut attributes = attributes;
        match &mut attributes {
            Attributes::Resource(r) => r.verb.clone_from(&check.verb),
            Attributes::NonResource(n) => n.verb.clone_from(&check.verb),
        }
        attributes
    } else if let Some(path) = check.path {
        Attributes::NonResource(NonResourceAttributes {
            path,
            verb: check.verb,
        })
    } else {
        Attributes::Resource(ResourceAttributes {
            verb: check.verb,
            group: check.group,
            version: "v1".into(),
            resource: check.resource,
            subresource: check.subresource,
            namespace: check.namespace,
            name: check.name,
            ..ResourceAttributes::default()
        })
    };
    Reconstruction {
        plan: Plan::RefusedCheck(Box::new(Request { user, attributes })),
        class: Class::Approximated,
        note: Some(notes::REFUSED_CHECK),
        recorded,
    }
}

/// A short description of what an event asked for, for reports: `get pods/log` with its
/// namespace, or the non-resource path.
pub fn describe(event: &RawEvent<'_>) -> (Cow<'static, str>, String, String) {
    match &event.object_ref {
        Some(object) => {
            let mut resource = object.resource.as_deref().unwrap_or_default().to_owned();
            if let Some(group) = object.api_group.as_deref().filter(|g| !g.is_empty()) {
                resource = format!("{resource}.{group}");
            }
            if let Some(sub) = object.subresource.as_deref().filter(|s| !s.is_empty()) {
                resource = format!("{resource}/{sub}");
            }
            let namespace = object.namespace.as_deref().unwrap_or_default().to_owned();
            (Cow::Owned(resource), namespace, String::new())
        }
        None => {
            let raw = event.request_uri.as_deref().unwrap_or_default();
            let path = uri::decode_path(uri::split(raw).0).map(Cow::into_owned);
            (
                Cow::Borrowed(""),
                String::new(),
                path.unwrap_or_else(|| raw.to_owned()),
            )
        }
    }
}
