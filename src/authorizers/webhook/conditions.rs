//! matchConditions for the step wrapper: the CEL matcher over a borrowed view of the request as
//! kube-apiserver's webhook authorizer rebuilds it (selectors as API requirements, built only when
//! some condition reads them).

use std::sync::Arc;

use crate::authz::explain::ConditionCheck;
use crate::authz::guard::{MatchConditions, MatchResult};
use crate::authz::selector::{
    RequirementOutput, field_requirements_to_api, label_requirements_to_api,
};
use crate::authz::{Attributes, Request};
use crate::cel::{
    CompiledCondition, Matcher, NonResourceView, RequirementView, ResourceView, SarView,
};

/// A webhook's compiled matchConditions.
#[derive(Debug)]
pub struct CelConditions {
    matcher: Matcher,
    uses_field_selector: bool,
    uses_label_selector: bool,
}

/// The matchConditions of a webhook as the guard evaluates them; `None` when there are none.
pub fn conditions(compiled: &[Arc<CompiledCondition>]) -> Option<Arc<dyn MatchConditions>> {
    if compiled.is_empty() {
        return None;
    }
    Some(Arc::new(CelConditions {
        uses_field_selector: compiled.iter().any(|c| c.uses_field_selector),
        uses_label_selector: compiled.iter().any(|c| c.uses_label_selector),
        matcher: Matcher::new(compiled.to_vec()),
    }))
}

fn views(requirements: &[RequirementOutput]) -> Vec<RequirementView<'_>> {
    requirements
        .iter()
        .map(|r| RequirementView {
            key: &r.key,
            operator: r.operator.as_str(),
            values: &r.values,
        })
        .collect()
}

impl MatchConditions for CelConditions {
    fn evaluate(&self, request: &Request) -> MatchResult {
        let (outcome, stats) = self.with_view(request, |view| self.matcher.evaluate(view));
        MatchResult {
            outcome,
            had_error: stats.errored,
        }
    }

    fn explain(&self, request: &Request) -> Vec<ConditionCheck> {
        self.with_view(request, |view| self.matcher.explain(view))
    }
}

impl CelConditions {
    /// Calls `f` with the view of `request` the conditions read.
    fn with_view<R>(&self, request: &Request, f: impl FnOnce(&SarView<'_>) -> R) -> R {
        let (fields, labels) = match &request.attributes {
            Attributes::Resource(r) => (
                if self.uses_field_selector {
                    field_requirements_to_api(&r.field_selector)
                } else {
                    Vec::new()
                },
                if self.uses_label_selector {
                    label_requirements_to_api(&r.label_selector)
                } else {
                    Vec::new()
                },
            ),
            Attributes::NonResource(_) => (Vec::new(), Vec::new()),
        };
        let (field_views, label_views) = (views(&fields), views(&labels));
        let view = SarView {
            user: &request.user.name,
            uid: &request.user.uid,
            groups: &request.user.groups,
            extra: &request.user.extra,
            resource: match &request.attributes {
                Attributes::Resource(r) => Some(ResourceView {
                    namespace: &r.namespace,
                    verb: &r.verb,
                    group: &r.group,
                    version: &r.version,
                    resource: &r.resource,
                    subresource: &r.subresource,
                    name: &r.name,
                    field_selector: &field_views,
                    label_selector: &label_views,
                }),
                Attributes::NonResource(_) => None,
            },
            non_resource: match &request.attributes {
                Attributes::NonResource(n) => Some(NonResourceView {
                    path: &n.path,
                    verb: &n.verb,
                }),
                Attributes::Resource(_) => None,
            },
        };
        f(&view)
    }
}
