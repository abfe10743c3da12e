//! The CEL conformance suite every CEL implementation shares (google/cel-spec's `simple` test
//! data, vendored in `tests/cel-spec/`, see its README), run through the public matchCondition
//! API for the parts kube-apiserver's environment enables.
//!
//! A matchCondition must be `bool` and sees only `request`, so each test expression `E` is
//! compiled inside `[dyn(E)].all(got, CHECK)`: `CHECK` compares `got` with the expected value
//! written as CEL, type by type and element by element (`type(got) == int && got == 5`, a NaN
//! as `got != got`), because cel-spec's value match is exact (`[1]` does not match `[1u]`). An
//! expected error is met when that evaluation fails (the error text is not normative in
//! cel-spec and is not compared).
//!
//! Nothing is left out silently. A test either runs as written, or is covered by one of four
//! commented lists, each entry checked against the files (an entry matching no test, a rejection
//! that compiles or a difference that passes fails the test):
//! - [`SKIP`]: not run (variables, protobuf messages, containers, ...);
//! - [`COMPILE_REJECTS`]: kube-apiserver's environment rejects the expression when it compiles
//!   (it always type-checks and validates literals); run, and must not compile;
//! - [`CEL_GO_ANSWERS`]: kube-apiserver's cel-go v0.26.0 environment, the reference, answers
//!   otherwise than cel-spec (its options, its versions of the extensions); run against that;
//! - [`KNOWN_DIFFERENCES`]: genuine disagreements of `src/cel` with cel-go v0.26.0, to fix there
//!   (these may also have a cel-go answer).

#[path = "common/textproto.rs"]
mod textproto;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use authz_chain::cel::{NonResourceView, SarView, compile_match_condition, empty_extra};
use textproto::Node;

/// The vendored files, in `tests/cel-spec/<name>.textproto`.
const FILES: &[&str] = &[
    "basic",
    "comparisons",
    "conversions",
    "fields",
    "fp_math",
    "integer_math",
    "lists",
    "logic",
    "macros",
    "macros2",
    "network_ext",
    "optionals",
    "parse",
    "plumbing",
    "string",
    "string_ext",
    "timestamps",
];

/// A list entry: `("file/section/test", reason)`; a test of `*` covers the whole section.
type Entry = (&'static str, &'static str);

/// An answer of kube-apiserver's cel-go v0.26.0 environment that differs from cel-spec's:
/// `("file/section/test", want, reason)`, `want` being a CEL expression of the value (compared
/// with its type) or `error`.
type Answer = (&'static str, &'static str, &'static str);

// Reasons shared by several entries.
const VARIABLES: &str =
    "declares variables (type_env/bindings): a matchCondition sees only `request`";
const PROTO: &str = "needs protobuf messages (wrappers, JSON values or cel.expr.conformance types)";
const ALWAYS_CHECKED: &str =
    "disable_check: kube-apiserver always type-checks, and the checker refuses this expression";
const HOMOGENEOUS: &str = "kube-apiserver validates homogeneous aggregate literals (cel-go \
     ValidateHomogeneousAggregateLiterals): mixed literals need dyn()";
const FOLDED: &str = "kube-apiserver plans with cel.OptOptimize, which folds a constant type \
     conversion: its error fails program instantiation";
const LITERALS: &str = "kube-apiserver validates duration()/timestamp() literal arguments (cel-go \
     ValidateDurationLiterals/ValidateTimestampLiterals)";
const ESCAPED_IDENTS: &str = "backquoted field names need cel.EnableIdentifierEscapeSyntax, which \
     kube-apiserver does not enable";
const FORMAT_VALIDATED: &str = "disable_check: kube-apiserver validates constant string.format() \
     calls when it compiles (ext.Strings' stringFormatValidator)";
const FORMAT_V2: &str = "kube-apiserver enables strings ext v2, whose format() (cel-go's legacy \
     formatting.go) takes %f/%e only for doubles and %d only for integers; the constant call is \
     refused when it compiles";
const FORMAT_V2_TEXT: &str = "kube-apiserver enables strings ext v2: format() is cel-go's legacy \
     formatting.go (golang.org/x/text printer for %e/%f, CEL-literal elements for %s of lists and \
     maps), not the cel-spec text of strings v4";
const STRINGS_V2: &str = "kube-apiserver enables strings ext v2: reverse() is version 3";
const IS_IP: &str = "Kubernetes' isIP() takes a string only, so the checker refuses a net.CIDR";
const BAD_PRESENCE: &str = "kube-apiserver does not set cel.EnableErrorOnBadPresenceTest \
     (cel-spec's runner does): an optional selection on a null or an int is optional.none()";
const REPEATED_KEY: &str = "cel-go builds a map literal with the last duplicate key winning \
     (evalMap.Eval); cel-go skips this test in its own run";
const NULL_KEY: &str = "cel-go keys a map literal by any value, so a null key is found \
     (refValMapAccessor.Find); cel-go skips this test in its own run";
const PAST_THE_END: &str = "cel-go v0.26.0 finds nothing (-1) from an offset past the end; cel-go \
     skips this test in its own run";
const KUBE_IP: &str = "Kubernetes' ip() refuses IPv4-mapped IPv6 addresses (cel-go's network ext \
     accepts them)";

/// Tests not run, with the reason.
#[rustfmt::skip]
const SKIP: &[Entry] = &[
    ("basic/variables/self_eval_bound_lookup", VARIABLES),
    ("basic/reserved_const/*", VARIABLES),
    ("comparisons/eq_literal/eq_dyn_json_null", PROTO),
    ("comparisons/eq_literal/not_eq_dyn_proto2_msg_null", PROTO),
    ("comparisons/eq_literal/not_eq_dyn_proto3_msg_null", PROTO),
    ("comparisons/eq_wrapper/*", PROTO),
    ("comparisons/ne_literal/ne_proto2", PROTO),
    ("comparisons/ne_literal/ne_proto3", PROTO),
    ("comparisons/ne_literal/ne_proto2_missing_fields_neq", PROTO),
    ("comparisons/ne_literal/ne_proto3_missing_fields_neq", PROTO),
    ("comparisons/ne_literal/ne_proto_nan_not_equal", PROTO),
    ("comparisons/ne_literal/ne_proto_different_types", PROTO),
    ("comparisons/ne_literal/ne_proto2_any_unpack", PROTO),
    ("comparisons/ne_literal/ne_proto2_any_unpack_bytewise_fallback", PROTO),
    ("comparisons/ne_literal/ne_proto3_any_unpack", PROTO),
    ("comparisons/ne_literal/ne_proto3_any_unpack_bytewise_fallback", PROTO),
    ("comparisons/bound/*", VARIABLES),
    ("fields/map_fields/map_field_access", VARIABLES),
    ("fields/map_fields/map_field_select_no_such_key", VARIABLES),
    ("fields/map_fields/map_field_select_no_such_key_or_false", VARIABLES),
    ("fields/map_fields/map_field_select_no_such_key_or_true", VARIABLES),
    ("fields/map_fields/map_field_select_no_such_key_and_false", VARIABLES),
    ("fields/map_fields/map_field_select_no_such_key_and_true", VARIABLES),
    ("fields/qualified_identifier_resolution/qualified_ident", VARIABLES),
    ("fields/qualified_identifier_resolution/map_field_select", VARIABLES),
    ("fields/qualified_identifier_resolution/qualified_identifier_resolution_unchecked", VARIABLES),
    ("fields/qualified_identifier_resolution/list_field_select_unsupported", VARIABLES),
    ("fields/qualified_identifier_resolution/int64_field_select_unsupported", VARIABLES),
    ("fields/qualified_identifier_resolution/ident_with_longest_prefix_check", VARIABLES),
    ("optionals/optionals/has_optional_ofNonZeroValue_struct_optional_ofNonZeroValue_map_optindex_field", PROTO),
    ("optionals/optionals/optional_ofNonZeroValue_struct_optional_ofNonZeroValue_map_optindex_field", PROTO),
    ("optionals/optionals/struct_map_optindex_field", PROTO),
    ("optionals/optionals/struct_optional_ofNonZeroValue_map_optindex_field", PROTO),
    ("optionals/optionals/struct_map_optindex_field_nested", PROTO),
    ("optionals/optionals/struct_list_optindex_field", PROTO),
    ("optionals/optionals/empty_struct_optindex_hasValue", PROTO),
    ("optionals/optionals/optional_empty_struct_optindex_hasValue", PROTO),
    ("optionals/optionals/struct_optindex_value", PROTO),
    ("optionals/optionals/optional_struct_optindex_value", PROTO),
    ("optionals/optionals/optional_struct_optindex_index_value", PROTO),
    ("parse/nest/list_index", VARIABLES),
    ("parse/nest/message_literal", PROTO),
    ("parse/repeat/select", PROTO),
    ("parse/repeat/message_literal", PROTO),
    ("parse/whitespace/*", PROTO),
    ("parse/comments/*", PROTO),
    ("parse/struct_field_names/*", PROTO),
    ("plumbing/eval_inputs/*", VARIABLES),
    ("string_ext/format/string substitution in a string variable", VARIABLES),
    ("string_ext/format/multiple substitutions in a string variable", VARIABLES),
    ("string_ext/format/substitution inside escaped percent signs in a string variable", VARIABLES),
    ("string_ext/format/fixed point formatting clause in a string variable", VARIABLES),
    ("string_ext/format/binary formatting clause in a string variable", VARIABLES),
    ("string_ext/format/scientific notation formatting clause in a string variable", VARIABLES),
    ("string_ext/format/default precision for fixed-point clause in a string variable", VARIABLES),
    ("string_ext/format_errors/object not allowed", PROTO),
    ("string_ext/format_errors/object inside list", PROTO),
    ("string_ext/format_errors/object inside map", PROTO),
    ("timestamps/duration_converters/get_milliseconds", VARIABLES),
];

/// Tests whose expression kube-apiserver's environment refuses when it compiles; each must fail
/// to compile here. For an expected evaluation error this is where kube-apiserver reports it.
#[rustfmt::skip]
const COMPILE_REJECTS: &[Entry] = &[
    ("basic/variables/self_eval_unbound_lookup", ALWAYS_CHECKED),
    ("basic/variables/unbound_is_runtime_error", ALWAYS_CHECKED),
    ("basic/functions/unbound", ALWAYS_CHECKED),
    ("basic/functions/unbound_is_runtime_error", ALWAYS_CHECKED),
    ("comparisons/eq_literal/not_eq_list_null", HOMOGENEOUS),
    ("comparisons/eq_literal/eq_list_mixed_type_numbers", HOMOGENEOUS),
    ("comparisons/eq_literal/not_eq_list_mixed_type_numbers", HOMOGENEOUS),
    ("comparisons/eq_literal/not_eq_list_length", ALWAYS_CHECKED),
    ("comparisons/eq_literal/not_eq_list_false_vs_types", HOMOGENEOUS),
    ("comparisons/eq_literal/not_eq_map_null", HOMOGENEOUS),
    ("comparisons/eq_literal/eq_map_mixed_type_numbers", HOMOGENEOUS),
    ("comparisons/eq_literal/not_eq_map_false_vs_types", HOMOGENEOUS),
    ("comparisons/eq_literal/eq_mixed_types", ALWAYS_CHECKED),
    ("comparisons/eq_literal/eq_list_elem_mixed_types", ALWAYS_CHECKED),
    ("comparisons/eq_literal/eq_map_value_mixed_types", HOMOGENEOUS),
    ("comparisons/eq_literal/not_eq_list_elem_null", HOMOGENEOUS),
    ("comparisons/eq_literal/not_eq_map_value_null", HOMOGENEOUS),
    ("comparisons/ne_literal/ne_mixed_types", ALWAYS_CHECKED),
    ("comparisons/lt_literal/lt_list_unsupported", ALWAYS_CHECKED),
    ("comparisons/lt_literal/lt_map_unsupported", ALWAYS_CHECKED),
    ("comparisons/lt_literal/lt_mixed_types_error", ALWAYS_CHECKED),
    ("comparisons/gt_literal/gt_list_unsupported", ALWAYS_CHECKED),
    ("comparisons/gt_literal/gt_map_unsupported", ALWAYS_CHECKED),
    ("comparisons/gt_literal/gt_mixed_types_error", ALWAYS_CHECKED),
    ("comparisons/lte_literal/lte_list_unsupported", ALWAYS_CHECKED),
    ("comparisons/lte_literal/lte_map_unsupported", ALWAYS_CHECKED),
    ("comparisons/lte_literal/lte_mixed_types_error", ALWAYS_CHECKED),
    ("comparisons/gte_literal/gte_list_unsupported", ALWAYS_CHECKED),
    ("comparisons/gte_literal/gte_map_unsupported", ALWAYS_CHECKED),
    ("comparisons/gte_literal/gte_mixed_types_error", ALWAYS_CHECKED),
    ("comparisons/in_list_literal/elem_in_mixed_type_list", HOMOGENEOUS),
    ("comparisons/in_list_literal/elem_in_mixed_type_list_cross_type", HOMOGENEOUS),
    ("comparisons/in_map_literal/key_in_mixed_key_type_map", HOMOGENEOUS),
    ("comparisons/in_map_literal/key_in_mixed_key_type_map_cross_type", HOMOGENEOUS),
    ("conversions/dyn/dyn_heterogeneous_list", HOMOGENEOUS),
    ("conversions/int/uint_range", FOLDED),
    ("conversions/int/double_int_max_range", FOLDED),
    ("conversions/int/double_int_min_range", FOLDED),
    ("conversions/int/double_range", FOLDED),
    ("conversions/string/bytes_invalid", FOLDED),
    ("conversions/type/dyn_no_denotation", ALWAYS_CHECKED),
    ("conversions/uint/int_neg", FOLDED),
    ("conversions/uint/double_uint_max_range", FOLDED),
    ("conversions/uint/double_range_beyond_uint", FOLDED),
    ("conversions/bool/string_true_badcase", FOLDED),
    ("conversions/bool/string_false_badcase", FOLDED),
    ("fields/map_fields/map_key_int64", HOMOGENEOUS),
    ("fields/map_fields/map_key_uint64", HOMOGENEOUS),
    ("fields/map_fields/map_key_mixed_type", HOMOGENEOUS),
    ("fields/map_fields/map_key_mixed_numbers_double_key", HOMOGENEOUS),
    ("fields/map_fields/map_key_mixed_numbers_lossy_double_key", HOMOGENEOUS),
    ("fields/map_fields/map_key_mixed_numbers_uint_key", HOMOGENEOUS),
    ("fields/map_fields/map_key_mixed_numbers_int_key", HOMOGENEOUS),
    ("fields/map_fields/map_value_mix_type", HOMOGENEOUS),
    ("fields/quoted_map_fields/*", ESCAPED_IDENTS),
    ("fields/qualified_identifier_resolution/map_key_float", HOMOGENEOUS),
    ("fields/qualified_identifier_resolution/map_value_repeat_key_heterogeneous", HOMOGENEOUS),
    ("fields/in/mixed_numbers_and_keys_present", HOMOGENEOUS),
    ("fields/in/mixed_numbers_and_keys_absent", HOMOGENEOUS),
    ("fp_math/fp_math/mod_not_support", ALWAYS_CHECKED),
    ("integer_math/int64_math/unary_minus_no_overload", ALWAYS_CHECKED),
    ("integer_math/int64_math/unary_minus_not_bool", ALWAYS_CHECKED),
    ("integer_math/uint64_math/negative_no_overload", ALWAYS_CHECKED),
    ("logic/conditional/mixed_type", ALWAYS_CHECKED),
    ("logic/conditional/bad_type", ALWAYS_CHECKED),
    ("logic/AND/short_circuit_type_left", ALWAYS_CHECKED),
    ("logic/AND/short_circuit_type_right", ALWAYS_CHECKED),
    ("logic/AND/no_overload", ALWAYS_CHECKED),
    ("logic/OR/short_circuit_type_left", ALWAYS_CHECKED),
    ("logic/OR/short_circuit_type_right", ALWAYS_CHECKED),
    ("logic/OR/no_overload", ALWAYS_CHECKED),
    ("logic/NOT/no_overload", ALWAYS_CHECKED),
    ("macros/exists/list_elem_type_shortcircuit", HOMOGENEOUS),
    ("macros/exists/list_elem_type_exhaustive", HOMOGENEOUS),
    ("macros/exists/map_key_type_shortcircuit", HOMOGENEOUS),
    ("macros/exists/map_key_type_exhaustive", HOMOGENEOUS),
    ("macros/all/list_elem_type_shortcircuit", HOMOGENEOUS),
    ("macros/all/list_elem_type_exhaustive", HOMOGENEOUS),
    ("macros2/exists/list_elem_type_shortcircuit", HOMOGENEOUS),
    ("macros2/exists/list_elem_type_exhaustive", HOMOGENEOUS),
    ("macros2/exists/map_key_type_shortcircuit", HOMOGENEOUS),
    ("macros2/exists/map_key_type_exhaustive", HOMOGENEOUS),
    ("macros2/all/list_elem_type_shortcircuit", HOMOGENEOUS),
    ("macros2/all/list_elem_type_exhaustive", HOMOGENEOUS),
    ("macros2/all/list_elem_type_error_exhaustive", HOMOGENEOUS),
    ("network_ext/ip_type/is_ip_cidr_compile_error", IS_IP),
    ("optionals/optionals/optional_chaining_13", HOMOGENEOUS),
    ("optionals/optionals/map_key_mixed_type_optindex_value", HOMOGENEOUS),
    ("optionals/optionals/map_key_mixed_numbers_double_key_optindex_value", HOMOGENEOUS),
    ("optionals/optionals/map_key_mixed_numbers_uint_key_optindex_value", HOMOGENEOUS),
    ("optionals/optionals/map_key_mixed_numbers_int_key_optindex_value", HOMOGENEOUS),
    ("parse/receiver_function_names/*", ALWAYS_CHECKED),
    ("plumbing/check_inputs/skip_check", HOMOGENEOUS),
    ("string_ext/format/default precision for fixed-point clause with int", FORMAT_V2),
    ("string_ext/format/default precision for fixed-point clause with uint", FORMAT_V2),
    ("string_ext/format/default precision for scientific notation with int", FORMAT_V2),
    ("string_ext/format/default precision for scientific notation with uint", FORMAT_V2),
    ("string_ext/format/NaN support for decimal", FORMAT_V2),
    ("string_ext/format/positive infinity support for decimal", FORMAT_V2),
    ("string_ext/format/negative infinity support for decimal", FORMAT_V2),
    ("string_ext/format_errors/unrecognized formatting clause", FORMAT_VALIDATED),
    ("string_ext/format_errors/out of bounds arg index", FORMAT_VALIDATED),
    ("string_ext/format_errors/string substitution is not allowed with binary clause", FORMAT_VALIDATED),
    ("string_ext/format_errors/duration substitution not allowed with decimal clause", FORMAT_VALIDATED),
    ("string_ext/format_errors/string substitution not allowed with octal clause", FORMAT_VALIDATED),
    ("string_ext/format_errors/double substitution not allowed with hex clause", FORMAT_VALIDATED),
    ("string_ext/format_errors/uppercase not allowed for scientific clause", FORMAT_VALIDATED),
    ("string_ext/format_errors/null not allowed for %d", FORMAT_VALIDATED),
    ("string_ext/format_errors/null not allowed for %e", FORMAT_VALIDATED),
    ("string_ext/format_errors/null not allowed for %f", FORMAT_VALIDATED),
    ("string_ext/format_errors/null not allowed for %x", FORMAT_VALIDATED),
    ("string_ext/format_errors/null not allowed for %X", FORMAT_VALIDATED),
    ("string_ext/format_errors/null not allowed for %b", FORMAT_VALIDATED),
    ("string_ext/format_errors/null not allowed for %o", FORMAT_VALIDATED),
    ("string_ext/type_errors/*", ALWAYS_CHECKED),
    ("string_ext/reverse/*", STRINGS_V2),
    ("timestamps/timestamp_range/from_string_under", LITERALS),
    ("timestamps/timestamp_range/from_int_under", LITERALS),
    ("timestamps/timestamp_range/from_string_over", LITERALS),
    ("timestamps/timestamp_range/from_int_over", LITERALS),
    ("timestamps/duration_range/*", LITERALS),
];

/// Where kube-apiserver's cel-go v0.26.0 environment (the reference) answers differently from
/// cel-spec: the test expects cel-go's answer instead.
#[rustfmt::skip]
const CEL_GO_ANSWERS: &[Answer] = &[
    ("fields/qualified_identifier_resolution/map_value_repeat_key", "3", REPEATED_KEY),
    ("fields/qualified_identifier_resolution/map_key_null", "false", NULL_KEY),
    ("network_ext/ipv4/ipv4_equals_ipv6", "error", KUBE_IP),
    ("network_ext/ipv4/ipv4_not_equals_ipv6", "error", KUBE_IP),
    ("optionals/optionals/map_null_entry_no_such_key", "false", BAD_PRESENCE),
    ("optionals/optionals/map_present_key_invalid_field", "false", BAD_PRESENCE),
    ("string_ext/value_errors/indexof_out_of_range", "true", PAST_THE_END),
    ("string_ext/value_errors/lastindexof_out_of_range", "true", PAST_THE_END),
    ("string_ext/format/scientific notation formatting clause", "'1.052033×10⁰³'", FORMAT_V2_TEXT),
    ("string_ext/format/default precision for scientific notation", "'2.718280×10⁰⁰'", FORMAT_V2_TEXT),
    ("string_ext/format/dyntype support for scientific notation", "'2.718280×10⁰⁰'", FORMAT_V2_TEXT),
    ("string_ext/format/positive infinity support for scientific notation", "'∞'", FORMAT_V2_TEXT),
    ("string_ext/format/negative infinity support for scientific notation", "'-∞'", FORMAT_V2_TEXT),
    ("string_ext/format/positive infinity support for fixed-point", "'∞'", FORMAT_V2_TEXT),
    ("string_ext/format/negative infinity support for fixed-point", "'-∞'", FORMAT_V2_TEXT),
    (
        "string_ext/format/list support for string",
        r#"'["abc", 3.140000, null, [9, 8, 7, 6], timestamp("2023-02-03T23:31:20Z")]'"#,
        FORMAT_V2_TEXT,
    ),
    (
        "string_ext/format/map support for string",
        r#"'{"key1":b"xyz", "key2":duration("7200s"), "key3":2.718280, "key4":true, "key5":null}'"#,
        FORMAT_V2_TEXT,
    ),
    ("string_ext/format/map support (all key types)", r#"'{1:"value1", 2:"value2", true:"NaN"}'"#, FORMAT_V2_TEXT),
    ("string_ext/format/dyntype NaN/infinity support", r#"'["NaN", "+Inf", "-Inf"]'"#, FORMAT_V2_TEXT),
    ("string_ext/format/dyntype support for maps", r#"'{"strKey":"x", 6:duration("422s"), true:42}'"#, FORMAT_V2_TEXT),
    // cel-go exempts every literal anywhere under a format() call from the homogeneous check
    // (`inExemptFunction` walks all ancestors), so this compiles there; the text is then v2's.
    ("string_ext/format/dyntype support for lists", r#"'[6, 4.200000, "a string"]'"#, FORMAT_V2_TEXT),
];

/// Genuine disagreements between `src/cel` and cel-go v0.26.0, each tolerated until fixed
/// there (the expectation is cel-spec's, or cel-go's where `CEL_GO_ANSWERS` has one); an entry
/// that starts passing fails the test.
#[rustfmt::skip]
const KNOWN_DIFFERENCES: &[Entry] = &[
    // None left: the three the suite found (`lastIndexOf` of a longer needle, literals below
    // `format()`'s `dyn()`, a null map key) were fixed in `src/cel`.
];

// === the test ===

#[test]
fn cel_spec_simple_tests() {
    let mut used: HashMap<(&str, usize), usize> = HashMap::new();
    let mut problems = Vec::new();
    let mut totals = Counts::default();
    let groups: Vec<String> = Vec::new();
    let request = SarView {
        user: "alice",
        uid: "",
        groups: &groups,
        extra: empty_extra(),
        resource: None,
        non_resource: Some(NonResourceView {
            path: "/healthz",
            verb: "get",
        }),
    };
    for &file in FILES {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/cel-spec")
            .join(format!("{file}.textproto"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let root = textproto::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut counts = Counts::default();
        for mut case in cases(file, &root) {
            counts.total += 1;
            let mut find = |list: &'static str, paths: Vec<&'static str>| {
                let found: Vec<usize> = paths
                    .iter()
                    .enumerate()
                    .filter(|(_, path)| covers(path, &case))
                    .map(|(i, _)| i)
                    .collect();
                for &i in &found {
                    *used.entry((list, i)).or_default() += 1;
                }
                found.first().copied()
            };
            let skip = find("SKIP", SKIP.iter().map(|e| e.0).collect());
            let reject = find(
                "COMPILE_REJECTS",
                COMPILE_REJECTS.iter().map(|e| e.0).collect(),
            );
            let answer = find(
                "CEL_GO_ANSWERS",
                CEL_GO_ANSWERS.iter().map(|a| a.0).collect(),
            );
            let known = find(
                "KNOWN_DIFFERENCES",
                KNOWN_DIFFERENCES.iter().map(|e| e.0).collect(),
            );
            let classes = [skip, reject, answer].iter().flatten().count();
            if classes > 1 || (skip.is_some() && known.is_some()) {
                problems.push(format!(
                    "{}: in more than one of SKIP, COMPILE_REJECTS, CEL_GO_ANSWERS",
                    case.id()
                ));
                continue;
            }
            if skip.is_some() {
                counts.skipped += 1;
                continue;
            }
            if !case.needs.is_empty() {
                problems.push(format!(
                    "{}: needs {} (not provided here): add it to SKIP with the reason",
                    case.id(),
                    case.needs.join(", ")
                ));
                continue;
            }
            if let Some(i) = answer {
                let want = CEL_GO_ANSWERS[i].1;
                case.expect = if want == "error" {
                    Expect::Error
                } else {
                    Expect::CelGo(want)
                };
                counts.answered += 1;
            }
            if reject.is_some() {
                case.expect = Expect::CompileError;
                counts.rejected += 1;
            }
            counts.run += 1;
            let outcome = run(&case.wrapped(), &request);
            let met = case.met_by(&outcome);
            match (met, known.is_some()) {
                (true, false) => counts.passed += 1,
                (false, true) => counts.known += 1,
                (true, true) => problems.push(format!(
                    "{}: `{}`: listed in KNOWN_DIFFERENCES but now passes: remove it",
                    case.id(),
                    case.expr
                )),
                (false, false) => {
                    counts.failed += 1;
                    problems.push(format!(
                        "{}: `{}`: want {}, got {}",
                        case.id(),
                        case.expr,
                        case.expect,
                        outcome.describe(&case, &request)
                    ));
                }
            }
        }
        eprintln!("{file}: {counts}");
        totals.add(&counts);
    }
    eprintln!("all files: {totals}");
    let lists: [(&str, Vec<String>); 4] = [
        ("SKIP", SKIP.iter().map(|e| format!("{e:?}")).collect()),
        (
            "COMPILE_REJECTS",
            COMPILE_REJECTS.iter().map(|e| format!("{e:?}")).collect(),
        ),
        (
            "CEL_GO_ANSWERS",
            CEL_GO_ANSWERS.iter().map(|e| format!("{e:?}")).collect(),
        ),
        (
            "KNOWN_DIFFERENCES",
            KNOWN_DIFFERENCES.iter().map(|e| format!("{e:?}")).collect(),
        ),
    ];
    for (list, entries) in lists {
        for (i, e) in entries.iter().enumerate() {
            if !used.contains_key(&(list, i)) {
                problems.push(format!("{list} entry {e} matches no test"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    skipped: usize,
    run: usize,
    passed: usize,
    /// Run with a `COMPILE_REJECTS` expectation.
    rejected: usize,
    /// Run with a `CEL_GO_ANSWERS` expectation.
    answered: usize,
    known: usize,
    failed: usize,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.total += o.total;
        self.skipped += o.skipped;
        self.run += o.run;
        self.passed += o.passed;
        self.rejected += o.rejected;
        self.answered += o.answered;
        self.known += o.known;
        self.failed += o.failed;
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} tests, {} skipped, {} run ({} expecting a compile-time refusal, {} cel-go's \
             answer), {} passed, {} known differences, {} mismatches",
            self.total,
            self.skipped,
            self.run,
            self.rejected,
            self.answered,
            self.passed,
            self.known,
            self.failed
        )
    }
}

/// Whether `path` (`file/section/test`, the test possibly `*`) names this test; test names may
/// hold a `/` themselves.
fn covers(path: &str, case: &Case) -> bool {
    let mut parts = path.splitn(3, '/');
    let (file, section, test) = (parts.next(), parts.next(), parts.next());
    file == Some(case.file)
        && section == Some(case.section.as_str())
        && (test == Some("*") || test == Some(case.name.as_str()))
}

// === cases ===

/// One `SimpleTest`, as far as this harness reads it.
struct Case {
    file: &'static str,
    section: String,
    name: String,
    expr: String,
    /// Whether cel-spec runs it without the type checker (kube-apiserver always checks).
    disable_check: bool,
    expect: Expect,
    /// What the test needs that this harness does not provide (variables, messages, ...).
    needs: Vec<String>,
}

enum Expect {
    /// cel-spec's value.
    Value(Val),
    /// An evaluation error.
    Error,
    /// cel-go's value, as a CEL expression.
    CelGo(&'static str),
    /// A refusal when the expression compiles.
    CompileError,
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expect::Value(v) => write!(f, "{v}"),
            Expect::Error => f.write_str("an evaluation error"),
            Expect::CelGo(want) => write!(f, "{want} (cel-go's answer)"),
            Expect::CompileError => f.write_str("a compile error"),
        }
    }
}

impl Case {
    fn id(&self) -> String {
        let unchecked = if self.disable_check {
            " (disable_check)"
        } else {
            ""
        };
        format!("{}/{}/{}{unchecked}", self.file, self.section, self.name)
    }

    /// The matchCondition run for this test (the line breaks end a trailing `//` comment).
    fn wrapped(&self) -> String {
        let check = match &self.expect {
            Expect::Value(v) => check("got", v, 0),
            Expect::CelGo(want) => format!("type(got) == type({want}) && got == {want}"),
            Expect::Error | Expect::CompileError => "true".to_string(),
        };
        format!("[dyn(\n{}\n)].all(got, {check})", self.expr)
    }

    fn met_by(&self, outcome: &Outcome) -> bool {
        matches!(
            (&self.expect, outcome),
            (Expect::Value(_) | Expect::CelGo(_), Outcome::True)
                | (Expect::Error, Outcome::EvalError(_))
                | (Expect::CompileError, Outcome::CompileError(_))
        )
    }
}

fn cases(file: &'static str, root: &Node) -> Vec<Case> {
    let mut out = Vec::new();
    for section in root.all("section") {
        let section_name = text_field(section, "name");
        for test in section.all("test") {
            let mut needs = Vec::new();
            for field in [
                "type_env",
                "bindings",
                "container",
                "disable_macros",
                "check_only",
                "typed_result",
                "unknown",
                "any_unknowns",
                "locale",
            ] {
                if let Some(v) = test.get(field)
                    && !matches!(v.word(), Ok("false"))
                {
                    needs.push(field.to_string());
                }
            }
            let expect =
                if test.get("eval_error").is_some() || test.get("any_eval_errors").is_some() {
                    Expect::Error
                } else {
                    match test.get("value").map(value) {
                        None => Expect::Value(Val::Bool(true)),
                        Some(Ok(v)) => Expect::Value(v),
                        Some(Err(e)) => {
                            needs.push(e);
                            Expect::Value(Val::Null)
                        }
                    }
                };
            out.push(Case {
                file,
                section: section_name.clone(),
                name: text_field(test, "name"),
                expr: text_field(test, "expr"),
                disable_check: test
                    .get("disable_check")
                    .is_some_and(|v| v.boolean() == Ok(true)),
                expect,
                needs,
            });
        }
    }
    out
}

fn text_field(node: &Node, name: &str) -> String {
    node.get(name)
        .map(|n| n.text().unwrap_or_else(|e| panic!("{name}: {e}")))
        .unwrap_or_default()
}

// === expected values ===

/// A `cel.expr.Value` this harness can write as CEL.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Double(f64),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<Val>),
    Map(Vec<(Val, Val)>),
    /// A type value by name, e.g. `int` or `google.protobuf.Timestamp`.
    Type(String),
    /// A `google.protobuf.Duration`, in nanoseconds.
    Duration(i128),
    /// A `google.protobuf.Timestamp`: seconds and nanoseconds since the epoch.
    Timestamp(i64, i64),
}

/// Reads a `cel.expr.Value`; `Err` names what it holds that this harness cannot express.
fn value(node: &Node) -> Result<Val, String> {
    let [(kind, v)] = node.fields() else {
        return Err(format!("a value of {} fields", node.fields().len()));
    };
    let word = || v.word().map_err(|e| format!("{kind}: {e}"));
    let number = |w: &str| -> Result<i128, String> {
        w.parse::<i128>().map_err(|e| format!("{kind}: `{w}`: {e}"))
    };
    Ok(match kind.as_str() {
        "null_value" => Val::Null,
        "bool_value" => Val::Bool(v.boolean()?),
        "int64_value" => Val::Int(i64::try_from(number(word()?)?).map_err(|e| e.to_string())?),
        "uint64_value" => Val::Uint(u64::try_from(number(word()?)?).map_err(|e| e.to_string())?),
        "double_value" => {
            let w = word()?;
            Val::Double(w.parse::<f64>().map_err(|e| format!("double `{w}`: {e}"))?)
        }
        "string_value" => Val::Str(v.text()?),
        "bytes_value" => Val::Bytes(v.bytes()?.to_vec()),
        "type_value" => Val::Type(v.text()?),
        "list_value" => Val::List(v.all("values").map(value).collect::<Result<_, _>>()?),
        "map_value" => Val::Map(
            v.all("entries")
                .map(|e| {
                    let key = e.get("key").ok_or("a map entry without a key")?;
                    let val = e.get("value").ok_or("a map entry without a value")?;
                    Ok::<_, String>((value(key)?, value(val)?))
                })
                .collect::<Result<_, _>>()?,
        ),
        "object_value" => {
            let [(any, msg)] = v.fields() else {
                return Err("object_value of several fields".to_string());
            };
            let int = |f: &str| -> Result<i128, String> {
                msg.get(f).map_or(Ok(0), |n| number(n.word()?))
            };
            match any.as_str() {
                "[type.googleapis.com/google.protobuf.Duration]" => {
                    Val::Duration(int("seconds")? * 1_000_000_000 + int("nanos")?)
                }
                "[type.googleapis.com/google.protobuf.Timestamp]" => Val::Timestamp(
                    i64::try_from(int("seconds")?).map_err(|e| e.to_string())?,
                    i64::try_from(int("nanos")?).map_err(|e| e.to_string())?,
                ),
                other => return Err(format!("object_value {other}")),
            }
        }
        other => return Err(format!("a value of kind {other}")),
    })
}

/// A CEL expression that is true when `path` (an expression of the `got` value) is exactly
/// `v`: same type at every level, equal scalars, NaN as NaN; `depth` names the map iteration
/// variables.
fn check(path: &str, v: &Val, depth: usize) -> String {
    match v {
        Val::Double(d) if d.is_nan() => format!("type({path}) == double && {path} != {path}"),
        Val::List(items) => {
            let mut out = format!("type({path}) == list && size({path}) == {}", items.len());
            for (i, item) in items.iter().enumerate() {
                write!(out, " && {}", check(&format!("{path}[{i}]"), item, depth)).expect("write");
            }
            out
        }
        Val::Map(entries) => {
            let mut out = format!("type({path}) == map && size({path}) == {}", entries.len());
            let k = format!("k{depth}");
            for (key, val) in entries {
                let key_lit = literal(key);
                write!(
                    out,
                    " && {path}.exists({k}, {}) && {}",
                    check(&k, key, depth + 1),
                    check(&format!("{path}[{key_lit}]"), val, depth + 1)
                )
                .expect("write");
            }
            out
        }
        Val::Type(_) => format!("type({path}) == type && {path} == {}", literal(v)),
        _ => format!(
            "type({path}) == {} && {path} == {}",
            type_name(v),
            literal(v)
        ),
    }
}

fn type_name(v: &Val) -> &'static str {
    match v {
        Val::Null => "null_type",
        Val::Bool(_) => "bool",
        Val::Int(_) => "int",
        Val::Uint(_) => "uint",
        Val::Double(_) => "double",
        Val::Str(_) => "string",
        Val::Bytes(_) => "bytes",
        Val::List(_) => "list",
        Val::Map(_) => "map",
        Val::Type(_) => "type",
        Val::Duration(_) => "google.protobuf.Duration",
        Val::Timestamp(..) => "google.protobuf.Timestamp",
    }
}

/// `v` as a CEL expression (aggregates with `dyn` elements, so mixed ones stay valid).
fn literal(v: &Val) -> String {
    match v {
        Val::Null => "null".to_string(),
        Val::Bool(b) => b.to_string(),
        Val::Int(i64::MIN) => "(-9223372036854775807 - 1)".to_string(),
        Val::Int(i) => i.to_string(),
        Val::Uint(u) => format!("{u}u"),
        Val::Double(d) if d.is_nan() => "double('NaN')".to_string(),
        Val::Double(d) if d.is_infinite() => {
            format!("double('{}Infinity')", if *d < 0.0 { "-" } else { "" })
        }
        // Rust's shortest round-trip form (`1.5`, `1e300`, `-0.0`) is a CEL double literal.
        Val::Double(d) => format!("{d:?}"),
        Val::Str(s) => {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' | '\\' => write!(out, "\\{c}"),
                    ' '..='~' => write!(out, "{c}"),
                    c => write!(out, "\\U{:08x}", u32::from(c)),
                }
                .expect("write");
            }
            out + "\""
        }
        Val::Bytes(b) => {
            let mut out = String::from("b\"");
            for &c in b {
                match c {
                    b'"' | b'\\' => write!(out, "\\{}", c as char),
                    b' '..=b'~' => write!(out, "{}", c as char),
                    c => write!(out, "\\x{c:02x}"),
                }
                .expect("write");
            }
            out + "\""
        }
        Val::List(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|i| format!("dyn({})", literal(i)))
                .collect();
            format!("[{}]", items.join(", "))
        }
        Val::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("dyn({}): dyn({})", literal(k), literal(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        Val::Type(name) => name.clone(),
        Val::Duration(ns) => format!("duration('{ns}ns')"),
        Val::Timestamp(s, ns) => format!("(timestamp({s}) + duration('{ns}ns'))"),
    }
}

impl std::fmt::Display for Val {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", type_name(self), literal(self))
    }
}

// === running ===

enum Outcome {
    CompileError(String),
    EvalError(String),
    /// The check held.
    True,
    /// The check did not hold: another value.
    False,
}

fn run(expression: &str, request: &SarView<'_>) -> Outcome {
    let compiled = match compile_match_condition(expression) {
        Ok(c) => c,
        Err(e) => return Outcome::CompileError(e.detail().to_string()),
    };
    match catch_unwind(AssertUnwindSafe(|| compiled.evaluate(request))) {
        Ok(Ok(true)) => Outcome::True,
        Ok(Ok(false)) => Outcome::False,
        Ok(Err(e)) => Outcome::EvalError(e.to_string()),
        Err(_) => Outcome::EvalError("evaluation panicked".to_string()),
    }
}

/// Types a `got` value is probed for when describing it.
const PROBE_TYPES: &[&str] = &[
    "bool",
    "int",
    "uint",
    "double",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
    "google.protobuf.Duration",
    "google.protobuf.Timestamp",
    "optional_type",
];

impl Outcome {
    /// What happened, for a mismatch report; a value is described by its type and Go's
    /// rendering of it (probed through further conditions, the only output being a bool).
    fn describe(&self, case: &Case, request: &SarView<'_>) -> String {
        match self {
            Outcome::CompileError(e) => {
                format!("a compile error: {}", e.lines().next().unwrap_or_default())
            }
            Outcome::EvalError(e) => format!("an evaluation error: {e}"),
            Outcome::True | Outcome::False => {
                let probe = |check: &str| {
                    run(
                        &format!("[dyn(\n{}\n)].all(got, {check})", case.expr),
                        request,
                    )
                };
                let ty = PROBE_TYPES
                    .iter()
                    .find(|t| matches!(probe(&format!("type(got) == {t}")), Outcome::True))
                    .unwrap_or(&"(another type)");
                // `no such key: <key>` shows a value; `%s` spells out lists and maps first.
                let shown = ["{}['%s'.format([got])] == 0", "{}[got] == 0"]
                    .iter()
                    .find_map(|check| match probe(check) {
                        Outcome::EvalError(e) => {
                            e.strip_prefix("no such key: ").map(str::to_string)
                        }
                        _ => None,
                    })
                    .unwrap_or_else(|| "?".to_string());
                format!("{ty} {shown}")
            }
        }
    }
}
