//! A who-can question from kubectl `auth can-i`'s argument forms, or from one line of
//! `--requests`. Both end as a SubjectAccessReview spec that goes through the same validation and
//! conversion as the server's ([`review::to_request`]), so a question means what the same
//! attributes mean in a real review.

use super::{Question, QuestionError, RequestSpec};
use crate::api::sar::{self, SubjectAccessReview, SubjectAccessReviewSpec};
use crate::authz::UserInfo;
use crate::review::{self, Review, ReviewVersion};

/// The user put in reviews built for a question: validation wants a user or a group, and the
/// user is dropped again once the review is converted.
const PLACEHOLDER_USER: &str = "who-can";

/// The command-line form of a question.
#[derive(Clone, Copy, Debug, Default)]
pub struct CanIArgs<'a> {
    /// `VERB RESOURCE[.GROUP][/SUBRESOURCE] [NAME]` or `VERB /NON-RESOURCE/PATH`.
    pub positional: &'a [String],
    /// `-n`: the namespace; without it (or with `-A`) the question is cluster-wide, as a
    /// SubjectAccessReview without a namespace.
    pub namespace: Option<&'a str>,
    /// `-A`: all namespaces (an empty namespace).
    pub all_namespaces: bool,
    /// `--subresource`, kubectl's other way of naming one.
    pub subresource: Option<&'a str>,
}

/// Parses the command-line form, as kubectl `auth can-i` reads its arguments: a target starting
/// with `/` is a non-resource URL; otherwise `RESOURCE[.GROUP]` (lower-cased, the group being
/// everything after the first dot; `*` alone is every resource of the core group, as kubectl
/// sends it) with an optional `/SUBRESOURCE`. Unlike kubectl, the text after the slash is the
/// subresource and the object name is the third argument, and nothing is resolved against a
/// server (no short names, no plural forms: `pods`, not `po` or `pod`).
pub fn parse_args(args: &CanIArgs<'_>) -> Result<Question, QuestionError> {
    let (verb, target, name) = match args.positional {
        [verb, target] => (verb, target, None),
        [verb, target, name] => (verb, target, Some(name)),
        other => return Err(QuestionError::Arguments { count: other.len() }),
    };
    if verb.is_empty() {
        return Err(QuestionError::EmptyVerb);
    }
    if args.namespace.is_some() && args.all_namespaces {
        return Err(QuestionError::NamespaceAndAll);
    }
    if args.namespace == Some("") {
        return Err(QuestionError::EmptyNamespace);
    }
    let mut spec = SubjectAccessReviewSpec::default();
    if target.starts_with('/') {
        let refuse = |what: &'static str| QuestionError::NonResourceWith {
            path: target.clone(),
            what,
        };
        if name.is_some() {
            return Err(refuse("name"));
        }
        if args.namespace.is_some() || args.all_namespaces {
            return Err(refuse("namespace"));
        }
        if args.subresource.is_some() {
            return Err(refuse("subresource"));
        }
        spec.non_resource_attributes = Some(sar::NonResourceAttributes {
            path: target.clone(),
            verb: verb.clone(),
        });
    } else {
        let (kind, subresource) = match target.split_once('/') {
            Some((kind, subresource)) => (kind, Some(subresource)),
            None => (target.as_str(), None),
        };
        let subresource = match (subresource, args.subresource) {
            (Some(_), Some(flag)) => {
                return Err(QuestionError::TwoSubresources {
                    target: target.clone(),
                    flag: flag.to_owned(),
                });
            }
            (Some(""), None) | (None, Some("")) => {
                return Err(QuestionError::EmptySubresource {
                    target: target.clone(),
                });
            }
            (Some(s), None) | (None, Some(s)) => s.to_owned(),
            (None, None) => String::new(),
        };
        let kind = kind.to_lowercase();
        let (resource, group) = match kind.split_once('.') {
            Some((resource, group)) => (resource.to_owned(), group.to_owned()),
            None => (kind.clone(), String::new()),
        };
        if resource.is_empty() {
            return Err(QuestionError::EmptyResource {
                target: target.clone(),
            });
        }
        spec.resource_attributes = Some(sar::ResourceAttributes {
            namespace: args.namespace.unwrap_or_default().to_owned(),
            verb: verb.clone(),
            group,
            resource,
            subresource,
            name: name.cloned().unwrap_or_default(),
            ..sar::ResourceAttributes::default()
        });
    }
    question(Review {
        version: ReviewVersion::V1,
        object: SubjectAccessReview {
            kind: "SubjectAccessReview".into(),
            api_version: sar::V1.into(),
            spec,
            ..SubjectAccessReview::default()
        },
    })
}

/// Parses one line of `--requests`: a whole SubjectAccessReview (v1 or v1beta1), or only its
/// `spec`. Only `resourceAttributes` or `nonResourceAttributes` count; the user, groups, uid,
/// extra and metadata are ignored.
pub fn parse_request_line(line: &str) -> Result<Question, QuestionError> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| QuestionError::Json(e.to_string()))?;
    let Some(object) = value.as_object() else {
        return Err(QuestionError::Json("expected a JSON object".into()));
    };
    let review = if ["spec", "apiVersion", "kind"]
        .iter()
        .any(|key| object.contains_key(*key))
    {
        review::decode(line.as_bytes())?
    } else {
        let spec: SubjectAccessReviewSpec = serde_json::from_value(value)
            .map_err(|e| QuestionError::Json(format!("not a SubjectAccessReview spec: {e}")))?;
        Review {
            version: ReviewVersion::V1,
            object: SubjectAccessReview {
                kind: "SubjectAccessReview".into(),
                api_version: sar::V1.into(),
                spec,
                ..SubjectAccessReview::default()
            },
        }
    };
    question(review)
}

/// Validates and converts `review` with the user replaced by a placeholder, then drops it.
fn question(mut review: Review) -> Result<Question, QuestionError> {
    let object = &mut review.object;
    object.metadata.clear();
    object.status = None;
    let spec = &mut object.spec;
    spec.user = PLACEHOLDER_USER.into();
    spec.groups = None;
    spec.group = None;
    spec.extra = None;
    spec.uid.clear();
    let mut request = review::to_request(&review)?;
    request.user = UserInfo::default();
    let spec = review.object.spec;
    Ok(Question {
        spec: RequestSpec {
            resource_attributes: spec.resource_attributes,
            non_resource_attributes: spec.non_resource_attributes,
        },
        request,
    })
}
