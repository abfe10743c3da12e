//! Label and field selector parsing (`authz_chain::authz::selector`), as `rawSelector` of a
//! SubjectAccessReview reaches it. Invariants: a parsed selector prints to text that parses to the
//! same requirements (label selectors also print the same text again), and field value escaping round-trips.
#![no_main]

use authz_chain::authz::selector::FieldRequirement;
use authz_chain::authz::selector::{
    escape_field_value, field_requirements_to_api, field_selector_string,
    label_requirements_to_api, label_selector_string, parse_field_selector, parse_label_selector,
    unescape_field_value,
};
use libfuzzer_sys::fuzz_target;

fn sorted(mut requirements: Vec<FieldRequirement>) -> Vec<FieldRequirement> {
    requirements.sort_by(|a, b| {
        (&a.field, a.operator.as_str(), &a.value).cmp(&(&b.field, b.operator.as_str(), &b.value))
    });
    requirements
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_label_selector(text) {
        Ok(requirements) => {
            let printed = label_selector_string(&requirements);
            let again = parse_label_selector(&printed).unwrap_or_else(|e| {
                panic!("printed label selector {printed:?} does not parse: {e}")
            });
            assert_eq!(
                label_selector_string(&again),
                printed,
                "label selector printing is stable"
            );
            let _ = label_requirements_to_api(&requirements);
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
    match parse_field_selector(text) {
        Ok(requirements) => {
            let printed = field_selector_string(&requirements);
            let again = parse_field_selector(&printed).unwrap_or_else(|e| {
                panic!("printed field selector {printed:?} does not parse: {e}")
            });
            // apimachinery sorts the raw terms before parsing them, and `a==b` prints as `a=b`,
            // so the order may change on the way round; the requirements may not.
            assert_eq!(
                sorted(again),
                sorted(requirements.clone()),
                "field selector round trip"
            );
            let _ = field_requirements_to_api(&requirements);
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
    let escaped = escape_field_value(text);
    assert_eq!(
        unescape_field_value(&escaped).ok().as_deref(),
        Some(text),
        "escaped field values unescape to themselves"
    );
    let _ = unescape_field_value(text);
});
