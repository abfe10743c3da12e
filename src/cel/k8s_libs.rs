//! Declarations of the Kubernetes CEL libraries in kube-apiserver's base
//! environment (spec 4.2): URLs, regex, lists (v0), authz (+ selectors),
//! quantity, IP, CIDR, format and semver (v1).

use super::stdlib::{COMPARABLE, Declarations};
use super::types::{CIDR, IP, NAMED_FORMAT, QUANTITY, SEMVER, URL};

const AUTHORIZER: &str = "kubernetes.authorization.Authorizer";
const PATH_CHECK: &str = "kubernetes.authorization.PathCheck";
const GROUP_CHECK: &str = "kubernetes.authorization.GroupCheck";
const RESOURCE_CHECK: &str = "kubernetes.authorization.ResourceCheck";
const DECISION: &str = "kubernetes.authorization.Decision";

/// The named formats of `format.<name>()`.
pub const NAMED_FORMATS: [&str; 13] = [
    "dns1123Label",
    "dns1123Subdomain",
    "dns1035Label",
    "qualifiedName",
    "dns1123LabelPrefix",
    "dns1123SubdomainPrefix",
    "dns1035LabelPrefix",
    "labelValue",
    "uri",
    "uuid",
    "byte",
    "date",
    "datetime",
];

/// The libraries enabled from 1.0 and 1.27: URLs, regex, lists v0, authz.
pub fn urls_regex_lists_authz(d: &mut Declarations) {
    d.global("url", "string_to_url", &["string"], URL);
    for (f, id) in [
        ("getScheme", "url_get_scheme"),
        ("getHost", "url_get_host"),
        ("getHostname", "url_get_hostname"),
        ("getPort", "url_get_port"),
        ("getEscapedPath", "url_get_escaped_path"),
    ] {
        d.member(f, id, &[URL], "string");
    }
    d.member(
        "getQuery",
        "url_get_query",
        &[URL],
        "map(string, list(string))",
    );
    d.global("isURL", "is_url_string", &["string"], "bool");

    d.member(
        "find",
        "string_find_string",
        &["string", "string"],
        "string",
    );
    d.member(
        "findAll",
        "string_find_all_string",
        &["string", "string"],
        "list(string)",
    );
    d.member(
        "findAll",
        "string_find_all_string_int",
        &["string", "string", "int"],
        "list(string)",
    );

    for t in COMPARABLE {
        let lt = format!("list({t})");
        d.member(
            "isSorted",
            &format!("list_{t}_is_sorted_bool"),
            &[&lt],
            "bool",
        );
    }
    for t in ["int", "uint", "double", "duration"] {
        let lt = format!("list({t})");
        d.member("sum", &format!("list_{t}_sum_{t}"), &[&lt], t);
    }
    for f in ["max", "min"] {
        for t in COMPARABLE {
            let lt = format!("list({t})");
            d.member(f, &format!("list_{t}_{f}_{t}"), &[&lt], t);
        }
    }
    d.member("indexOf", "list_a_index_of_int", &["list(A)", "A"], "int");
    d.member(
        "lastIndexOf",
        "list_a_last_index_of_int",
        &["list(A)", "A"],
        "int",
    );

    d.member(
        "path",
        "authorizer_path",
        &[AUTHORIZER, "string"],
        PATH_CHECK,
    );
    d.member(
        "group",
        "authorizer_group",
        &[AUTHORIZER, "string"],
        GROUP_CHECK,
    );
    d.member(
        "serviceAccount",
        "authorizer_serviceaccount",
        &[AUTHORIZER, "string", "string"],
        AUTHORIZER,
    );
    d.member(
        "resource",
        "groupcheck_resource",
        &[GROUP_CHECK, "string"],
        RESOURCE_CHECK,
    );
    for (f, id) in [
        ("subresource", "resourcecheck_subresource"),
        ("namespace", "resourcecheck_namespace"),
        ("name", "resourcecheck_name"),
    ] {
        d.member(f, id, &[RESOURCE_CHECK, "string"], RESOURCE_CHECK);
    }
    d.member(
        "check",
        "pathcheck_check",
        &[PATH_CHECK, "string"],
        DECISION,
    );
    d.member(
        "check",
        "resourcecheck_check",
        &[RESOURCE_CHECK, "string"],
        DECISION,
    );
    d.member("errored", "decision_errored", &[DECISION], "bool");
    d.member("error", "decision_error", &[DECISION], "string");
    d.member("allowed", "decision_allowed", &[DECISION], "bool");
    d.member("reason", "decision_reason", &[DECISION], "string");
}

/// The quantity library (1.28).
pub fn quantity(d: &mut Declarations) {
    d.global("quantity", "string_to_quantity", &["string"], QUANTITY);
    d.global("isQuantity", "is_quantity_string", &["string"], "bool");
    d.global("sign", "quantity_sign", &[QUANTITY], "int");
    d.member(
        "isGreaterThan",
        "quantity_is_greater_than",
        &[QUANTITY, QUANTITY],
        "bool",
    );
    d.member(
        "isLessThan",
        "quantity_is_less_than",
        &[QUANTITY, QUANTITY],
        "bool",
    );
    d.member(
        "compareTo",
        "quantity_compare_to",
        &[QUANTITY, QUANTITY],
        "int",
    );
    d.member(
        "asApproximateFloat",
        "quantity_get_float",
        &[QUANTITY],
        "double",
    );
    d.member("asInteger", "quantity_get_int", &[QUANTITY], "int");
    d.member("isInteger", "quantity_is_integer", &[QUANTITY], "bool");
    for f in ["add", "sub"] {
        d.member(f, &format!("quantity_{f}"), &[QUANTITY, QUANTITY], QUANTITY);
        d.member(
            f,
            &format!("quantity_{f}_int"),
            &[QUANTITY, "int"],
            QUANTITY,
        );
    }
    d.member("mul", "quantity_multiply_int", &[QUANTITY, "int"], QUANTITY);
    d.member(
        "div",
        "quantity_divide_int_default_rounding",
        &[QUANTITY, "int"],
        QUANTITY,
    );
    d.member(
        "div",
        "quantity_divide_int_round",
        &[QUANTITY, "int", "int"],
        QUANTITY,
    );
    d.member(
        "divInt",
        "quantity_divide_int",
        &[QUANTITY, "int"],
        QUANTITY,
    );
}

/// The IP and CIDR (1.30), format and authz selector (1.31) libraries.
pub fn ip_cidr_format_selectors(d: &mut Declarations) {
    d.global("ip", "string_to_ip", &["string"], IP);
    d.member("family", "ip_family", &[IP], "int");
    d.global("ip.isCanonical", "ip_is_canonical", &["string"], "bool");
    for (f, id) in [
        ("isUnspecified", "ip_is_unspecified"),
        ("isLoopback", "ip_is_loopback"),
        ("isLinkLocalMulticast", "ip_is_link_local_multicast"),
        ("isLinkLocalUnicast", "ip_is_link_local_unicast"),
        ("isGlobalUnicast", "ip_is_global_unicast"),
    ] {
        d.member(f, id, &[IP], "bool");
    }
    d.global("isIP", "is_ip", &["string"], "bool");
    d.global("string", "ip_to_string", &[IP], "string");

    d.global("cidr", "string_to_cidr", &["string"], CIDR);
    d.member(
        "containsIP",
        "cidr_contains_ip_string",
        &[CIDR, "string"],
        "bool",
    );
    d.member("containsIP", "cidr_contains_ip_ip", &[CIDR, IP], "bool");
    d.member(
        "containsCIDR",
        "cidr_contains_cidr_string",
        &[CIDR, "string"],
        "bool",
    );
    d.member("containsCIDR", "cidr_contains_cidr", &[CIDR, CIDR], "bool");
    d.member("ip", "cidr_ip", &[CIDR], IP);
    d.member("prefixLength", "cidr_prefix_length", &[CIDR], "int");
    d.member("masked", "cidr_masked", &[CIDR], CIDR);
    d.global("isCIDR", "is_cidr", &["string"], "bool");
    d.global("string", "cidr_to_string", &[CIDR], "string");

    let validated = "optional_type(list(string))";
    d.member(
        "validate",
        "format-validate",
        &[NAMED_FORMAT, "string"],
        validated,
    );
    let named = format!("optional_type({NAMED_FORMAT})");
    d.global("format.named", "format-named", &["string"], &named);
    for name in NAMED_FORMATS {
        let f = format!("format.{name}");
        d.global(&f, &f, &[], NAMED_FORMAT);
    }

    for (f, id) in [
        ("fieldSelector", "authorizer_fieldselector"),
        ("labelSelector", "authorizer_labelselector"),
    ] {
        d.member(f, id, &[RESOURCE_CHECK, "string"], RESOURCE_CHECK);
    }
}

/// The semver library, version 1 (1.33).
pub fn semver(d: &mut Declarations) {
    d.global("semver", "string_to_semver", &["string"], SEMVER);
    d.global(
        "semver",
        "string_bool_to_semver",
        &["string", "bool"],
        SEMVER,
    );
    d.global("isSemver", "is_semver_string", &["string"], "bool");
    d.global(
        "isSemver",
        "is_semver_string_bool",
        &["string", "bool"],
        "bool",
    );
    d.member(
        "isGreaterThan",
        "semver_is_greater_than",
        &[SEMVER, SEMVER],
        "bool",
    );
    d.member(
        "isLessThan",
        "semver_is_less_than",
        &[SEMVER, SEMVER],
        "bool",
    );
    d.member("compareTo", "semver_compare_to", &[SEMVER, SEMVER], "int");
    for f in ["major", "minor", "patch"] {
        d.member(f, &format!("semver_{f}"), &[SEMVER], "int");
    }
}
