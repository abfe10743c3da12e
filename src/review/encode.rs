//! SubjectAccessReview bodies exactly as kube-apiserver's webhook client writes them (Go
//! `encoding/json` of the v1 or v1beta1 object): field order, omitted empty fields, sorted `extra`
//! keys, HTML-safe escaping, `"metadata":{}` and `"status":{"allowed":false}`, and a final newline.
//!
//! The spec part alone, in v1, is also the webhook decision cache key, as upstream's is.

use crate::authz::selector::{
    RequirementOutput, field_requirements_to_api, label_requirements_to_api,
};
use crate::authz::{Attributes, Request};
use crate::go::write_json_string;

use super::ReviewVersion;

/// The whole request body kube-apiserver would POST for `request`.
pub fn encode_review(request: &Request, version: ReviewVersion) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(r#"{"kind":"SubjectAccessReview","apiVersion":""#);
    out.push_str(version.api_version());
    out.push_str(r#"","metadata":{},"spec":"#);
    write_spec(&mut out, request, version);
    out.push_str(r#","status":{"allowed":false}}"#);
    out.push('\n');
    out
}

/// The v1 spec as JSON: the decision cache key.
pub fn spec_key(request: &Request) -> String {
    let mut out = String::with_capacity(256);
    write_spec(&mut out, request, ReviewVersion::V1);
    out
}

/// Writes `spec` in Go field order, omitting empty fields.
pub fn write_spec(out: &mut String, request: &Request, version: ReviewVersion) {
    out.push('{');
    let mut first = true;
    match &request.attributes {
        Attributes::Resource(r) => {
            field(out, &mut first, "resourceAttributes");
            out.push('{');
            let mut inner = true;
            for (name, value) in [
                ("namespace", &r.namespace),
                ("verb", &r.verb),
                ("group", &r.group),
                ("version", &r.version),
                ("resource", &r.resource),
                ("subresource", &r.subresource),
                ("name", &r.name),
            ] {
                string_field(out, &mut inner, name, value);
            }
            let fields = field_requirements_to_api(&r.field_selector);
            if !fields.is_empty() {
                field(out, &mut inner, "fieldSelector");
                write_requirements(out, &fields);
            }
            let labels = label_requirements_to_api(&r.label_selector);
            if !labels.is_empty() {
                field(out, &mut inner, "labelSelector");
                write_requirements(out, &labels);
            }
            out.push('}');
        }
        Attributes::NonResource(n) => {
            field(out, &mut first, "nonResourceAttributes");
            out.push('{');
            let mut inner = true;
            string_field(out, &mut inner, "path", &n.path);
            string_field(out, &mut inner, "verb", &n.verb);
            out.push('}');
        }
    }
    let user = &request.user;
    string_field(out, &mut first, "user", &user.name);
    if !user.groups.is_empty() {
        let key = match version {
            ReviewVersion::V1 => "groups",
            ReviewVersion::V1beta1 => "group",
        };
        field(out, &mut first, key);
        write_strings(out, &user.groups);
    }
    if !user.extra.is_empty() {
        field(out, &mut first, "extra");
        out.push('{');
        for (i, (key, values)) in user.extra.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_json_string(out, key);
            out.push(':');
            write_strings(out, values);
        }
        out.push('}');
    }
    string_field(out, &mut first, "uid", &user.uid);
    out.push('}');
}

/// `{"requirements":[{"key":..,"operator":..,"values":[..]}]}`; `values` omitted when empty.
fn write_requirements(out: &mut String, requirements: &[RequirementOutput]) {
    out.push_str(r#"{"requirements":["#);
    for (i, r) in requirements.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(r#"{"key":"#);
        write_json_string(out, &r.key);
        out.push_str(r#","operator":""#);
        out.push_str(r.operator.as_str());
        out.push('"');
        if !r.values.is_empty() {
            out.push_str(r#","values":"#);
            write_strings(out, &r.values);
        }
        out.push('}');
    }
    out.push_str("]}");
}

fn write_strings(out: &mut String, values: &[String]) {
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json_string(out, v);
    }
    out.push(']');
}

fn field(out: &mut String, first: &mut bool, name: &str) {
    if !*first {
        out.push(',');
    }
    *first = false;
    out.push('"');
    out.push_str(name);
    out.push_str("\":");
}

fn string_field(out: &mut String, first: &mut bool, name: &str, value: &str) {
    if !value.is_empty() {
        field(out, first, name);
        write_json_string(out, value);
    }
}
