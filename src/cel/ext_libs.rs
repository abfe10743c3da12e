//! Declarations of the cel-go extension libraries kube-apiserver enables:
//! optional types, strings (v2), sets, two-variable comprehensions and
//! lists (v3).

use super::stdlib::{COMPARABLE, Declarations};

/// The optional types library (`cel.OptionalTypes`, latest version).
pub fn optional(d: &mut Declarations) {
    d.global("optional.of", "optional_of", &["V"], "optional_type(V)");
    d.global(
        "optional.ofNonZeroValue",
        "optional_ofNonZeroValue",
        &["V"],
        "optional_type(V)",
    );
    d.global("optional.none", "optional_none", &[], "optional_type(V)");
    d.member("value", "optional_value", &["optional_type(V)"], "V");
    d.member(
        "hasValue",
        "optional_hasValue",
        &["optional_type(V)"],
        "bool",
    );
    d.member(
        "or",
        "optional_or_optional",
        &["optional_type(V)", "optional_type(V)"],
        "optional_type(V)",
    );
    d.member(
        "orValue",
        "optional_orValue_value",
        &["optional_type(V)", "V"],
        "V",
    );
    d.global(
        "_?._",
        "select_optional_field",
        &["dyn", "string"],
        "optional_type(V)",
    );
    for (id, a, b) in [
        ("list_optindex_optional_int", "list(V)", "int"),
        (
            "optional_list_optindex_optional_int",
            "optional_type(list(V))",
            "int",
        ),
        ("map_optindex_optional_value", "map(K, V)", "K"),
        (
            "optional_map_optindex_optional_value",
            "optional_type(map(K, V))",
            "K",
        ),
    ] {
        d.global("_[?_]", id, &[a, b], "optional_type(V)");
    }
    d.global(
        "_[_]",
        "optional_list_index_int",
        &["optional_type(list(V))", "int"],
        "optional_type(V)",
    );
    d.global(
        "_[_]",
        "optional_map_index_value",
        &["optional_type(map(K, V))", "K"],
        "optional_type(V)",
    );
    d.member("last", "list_last", &["list(V)"], "optional_type(V)");
    d.member("first", "list_first", &["list(V)"], "optional_type(V)");
    d.global(
        "optional.unwrap",
        "optional_unwrap",
        &["list(optional_type(V))"],
        "list(V)",
    );
    d.member(
        "unwrapOpt",
        "optional_unwrapOpt",
        &["list(optional_type(V))"],
        "list(V)",
    );
}

/// cel-go `ext.Strings` version 2 (no string `reverse`).
pub fn strings_v2(d: &mut Declarations) {
    d.member("charAt", "string_char_at_int", &["string", "int"], "string");
    for f in ["indexOf", "lastIndexOf"] {
        let base = if f == "indexOf" {
            "string_index_of"
        } else {
            "string_last_index_of"
        };
        d.member(f, &format!("{base}_string"), &["string", "string"], "int");
        d.member(
            f,
            &format!("{base}_string_int"),
            &["string", "string", "int"],
            "int",
        );
    }
    d.member("lowerAscii", "string_lower_ascii", &["string"], "string");
    d.member(
        "replace",
        "string_replace_string_string",
        &["string", "string", "string"],
        "string",
    );
    d.member(
        "replace",
        "string_replace_string_string_int",
        &["string", "string", "string", "int"],
        "string",
    );
    d.member(
        "split",
        "string_split_string",
        &["string", "string"],
        "list(string)",
    );
    d.member(
        "split",
        "string_split_string_int",
        &["string", "string", "int"],
        "list(string)",
    );
    d.member(
        "substring",
        "string_substring_int",
        &["string", "int"],
        "string",
    );
    d.member(
        "substring",
        "string_substring_int_int",
        &["string", "int", "int"],
        "string",
    );
    d.member("trim", "string_trim", &["string"], "string");
    d.member("upperAscii", "string_upper_ascii", &["string"], "string");
    d.member(
        "format",
        "string_format",
        &["string", "list(dyn)"],
        "string",
    );
    d.global("strings.quote", "strings_quote", &["string"], "string");
    d.member("join", "list_join", &["list(string)"], "string");
    d.member(
        "join",
        "list_join_string",
        &["list(string)", "string"],
        "string",
    );
}

/// cel-go `ext.Sets`.
pub fn sets(d: &mut Declarations) {
    for (f, id) in [
        ("sets.contains", "list_sets_contains_list"),
        ("sets.equivalent", "list_sets_equivalent_list"),
        ("sets.intersects", "list_sets_intersects_list"),
    ] {
        d.global(f, id, &["list(T)", "list(T)"], "bool");
    }
}

/// The helper function of cel-go `ext.TwoVarComprehensions`.
pub fn two_var_comprehensions(d: &mut Declarations) {
    d.global(
        "cel.@mapInsert",
        "@mapInsert_map_key_value",
        &["map(K, V)", "K", "V"],
        "map(K, V)",
    );
    d.global(
        "cel.@mapInsert",
        "@mapInsert_map_map",
        &["map(K, V)", "map(K, V)"],
        "map(K, V)",
    );
}

/// cel-go `ext.Lists` version 3.
pub fn lists_v3(d: &mut Declarations) {
    d.member("slice", "list_slice", &["list(T)", "int", "int"], "list(T)");
    d.member("flatten", "list_flatten", &["list(list(T))"], "list(T)");
    d.member(
        "flatten",
        "list_flatten_int",
        &["list(dyn)", "int"],
        "list(dyn)",
    );
    for t in COMPARABLE {
        let lt = format!("list({t})");
        d.member("sort", &format!("list_{t}_sort"), &[&lt], &lt);
    }
    for u in COMPARABLE {
        let lu = format!("list({u})");
        d.member(
            "@sortByAssociatedKeys",
            &format!("list_{u}_sortByAssociatedKeys"),
            &["list(T)", &lu],
            "list(T)",
        );
    }
    d.global("lists.range", "lists_range", &["int"], "list(int)");
    d.member("reverse", "list_reverse", &["list(T)"], "list(T)");
    d.member("distinct", "list_distinct", &["list(T)"], "list(T)");
}
