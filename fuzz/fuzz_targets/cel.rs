//! matchCondition CEL: compile the input as an expression (parse, type-check, validators), and if
//! it compiles, evaluate it against a fixed SubjectAccessReview request with the runtime cost
//! limit, alone (with and without the selector fields) and through a `Matcher`.
#![no_main]

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use authz_chain::cel::{
    COST_LIMIT, EvalError, Matcher, NonResourceView, RequirementView, ResourceView, SarView,
    compile_match_condition,
};
use libfuzzer_sys::fuzz_target;

struct Request {
    groups: Vec<String>,
    extra: BTreeMap<String, Vec<String>>,
    values: Vec<String>,
    none: Vec<String>,
}

fn request() -> &'static Request {
    static REQUEST: OnceLock<Request> = OnceLock::new();
    REQUEST.get_or_init(|| Request {
        groups: vec!["system:authenticated".into(), "team-a".into()],
        extra: BTreeMap::from([
            ("scopes".into(), vec!["read".into(), "write".into()]),
            (
                "authentication.kubernetes.io/pod-name".into(),
                vec!["web-0".into()],
            ),
        ]),
        values: vec!["web".into(), "db".into()],
        none: Vec::new(),
    })
}

fn evaluate(condition: &authz_chain::cel::CompiledCondition, view: &SarView<'_>) {
    for (field, label) in [(false, false), (true, true)] {
        let (result, cost) = condition.evaluate_with_cost(view, field, label);
        match result {
            Ok(_) => assert!(cost <= COST_LIMIT, "a result within the cost limit: {cost}"),
            Err(error) => {
                let _ = (matches!(error, EvalError::NotBool(_)), error.to_string());
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(expression) = std::str::from_utf8(data) else {
        return;
    };
    let condition = match compile_match_condition(expression) {
        Ok(condition) => Arc::new(condition),
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let r = request();
    let fields = [RequirementView {
        key: "spec.nodeName",
        operator: "In",
        values: &r.values[..1],
    }];
    let labels = [
        RequirementView {
            key: "app",
            operator: "In",
            values: &r.values,
        },
        RequirementView {
            key: "tier",
            operator: "Exists",
            values: &r.none,
        },
    ];
    let resource = SarView {
        user: "alice",
        uid: "1234",
        groups: &r.groups,
        extra: &r.extra,
        resource: Some(ResourceView {
            namespace: "team-a",
            verb: "list",
            group: "apps",
            version: "v1",
            resource: "deployments",
            subresource: "",
            name: "",
            field_selector: &fields,
            label_selector: &labels,
        }),
        non_resource: None,
    };
    let non_resource = SarView {
        resource: None,
        non_resource: Some(NonResourceView {
            path: "/healthz",
            verb: "get",
        }),
        ..resource
    };
    for view in [&resource, &non_resource] {
        evaluate(&condition, view);
    }
    let matcher = Matcher::new(vec![condition.clone(), condition]);
    let _ = matcher.evaluate(&resource);
});
