//! `POST /authorize` without the HTTP around it (src/server/routes.rs): decode a v1 or v1beta1
//! SubjectAccessReview, validate and convert it, decide it with a `[Node, RBAC]` chain over the
//! quickstart state, and encode the answer. Invariants: the answer encodes and decodes again, and
//! the review a webhook step would send downstream (both versions) decodes and converts again.
#![no_main]

use std::sync::OnceLock;

use authz_chain::authz::Chain;
use authz_chain::build::{ChainOptions, Sources, build_chain};
use authz_chain::config::load_data;
use authz_chain::review::{self, ReviewVersion};
use authz_chain::samples::QUICKSTART_STATE;
use authz_chain::state::ClusterState;
use libfuzzer_sys::fuzz_target;

const CONFIG: &str = "apiVersion: apiserver.config.k8s.io/v1
kind: AuthorizationConfiguration
authorizers:
- type: Node
  name: node
- type: RBAC
  name: rbac
";

struct Fixture {
    chain: Chain,
    runtime: tokio::runtime::Runtime,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let config = load_data(CONFIG.as_bytes(), &[]).expect("the fixed configuration loads");
        let state =
            ClusterState::from_texts(&QUICKSTART_STATE).expect("the quickstart state loads");
        let sources = Sources::from_state(&state).expect("the quickstart graph builds");
        let chain =
            build_chain(&config, &sources, &ChainOptions::default()).expect("the chain builds");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        Fixture { chain, runtime }
    })
}

fuzz_target!(|data: &[u8]| {
    let review = match review::decode(data) {
        Ok(review) => review,
        Err(error) => {
            let _ = (error.to_string(), error.http_status());
            return;
        }
    };
    let request = match review::to_request(&review) {
        Ok(request) => request,
        Err(error) => {
            let _ = (error.to_string(), error.http_status());
            return;
        }
    };
    let fixture = fixture();
    let outcome = fixture.runtime.block_on(fixture.chain.evaluate(&request));
    let answer = review::answer(&review, &request, &outcome.verdict);
    let body = serde_json::to_vec(&answer).expect("the answer encodes");
    review::decode(&body).expect("the answer decodes again");
    let _ = review::spec_key(&request);
    for version in [ReviewVersion::V1, ReviewVersion::V1beta1] {
        let sent = review::encode_review(&request, version);
        let again = review::decode(sent.as_bytes()).expect("a review sent downstream decodes");
        let _ = review::to_request(&again);
    }
});
