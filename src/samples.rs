//! The quickstart embedded in the binary, so `authz-chain serve` and `eval` work on a fresh machine
//! without flags. The files live in `config-samples/quickstart/`.

/// `config-samples/quickstart/authorization-config.yaml`.
pub const QUICKSTART_CONFIG: &str =
    include_str!("../config-samples/quickstart/authorization-config.yaml");

/// The files of `config-samples/quickstart/state/`, by name.
pub const QUICKSTART_STATE: [(&str, &str); 3] = [
    (
        "bindings.json",
        include_str!("../config-samples/quickstart/state/bindings.json"),
    ),
    (
        "cluster-roles.yaml",
        include_str!("../config-samples/quickstart/state/cluster-roles.yaml"),
    ),
    (
        "roles.yaml",
        include_str!("../config-samples/quickstart/state/roles.yaml"),
    ),
];

/// `config-samples/sars/requests.jsonl`: SubjectAccessReviews about the quickstart cluster, one
/// per line (what `loadgen` sends by default).
pub const SAMPLE_REQUESTS: &str = include_str!("../config-samples/sars/requests.jsonl");
