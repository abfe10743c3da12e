//! Readiness: named checks that components (state sources, the reloaders, shutdown) turn on
//! and off, and the server reports. Health checks, answered as kube-apiserver's `/livez` and `/readyz` do: `ok` when every check
//! passes; otherwise HTTP 503 listing each check (`[+]name ok`, `[-]name failed: reason
//! withheld`) and `readyz check failed`. `?verbose` lists the checks in either case.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A named check that some component turns on when it is ready.
#[derive(Clone, Debug)]
pub struct ReadyFlag {
    name: Arc<str>,
    ready: Arc<AtomicBool>,
}

impl ReadyFlag {
    /// Marks the check passing or failing.
    pub fn set(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }

    /// Whether the check passes.
    pub fn is_set(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// The check's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The checks behind one endpoint.
#[derive(Debug, Default)]
pub struct Checks {
    flags: Mutex<Vec<ReadyFlag>>,
}

impl Checks {
    /// Adds a check, failing until set.
    pub fn register(&self, name: &str) -> ReadyFlag {
        let flag = ReadyFlag {
            name: name.into(),
            ready: Arc::new(AtomicBool::new(false)),
        };
        self.flags
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(flag.clone());
        flag
    }

    /// Whether every check passes.
    pub fn all_pass(&self) -> bool {
        self.flags
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .all(ReadyFlag::is_set)
    }

    /// The answer for `endpoint` (`livez`, `readyz`): status code and body.
    pub fn report(&self, endpoint: &str, verbose: bool) -> (u16, String) {
        let flags = self.flags.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let passing = flags.iter().all(ReadyFlag::is_set);
        if passing && !verbose {
            return (200, "ok".to_owned());
        }
        let mut body = String::from("[+]ping ok\n");
        for flag in &flags {
            if flag.is_set() {
                body.push_str(&format!("[+]{} ok\n", flag.name()));
            } else {
                body.push_str(&format!("[-]{} failed: reason withheld\n", flag.name()));
            }
        }
        if passing {
            body.push_str(&format!("{endpoint} check passed\n"));
            (200, body)
        } else {
            body.push_str(&format!("{endpoint} check failed\n"));
            (503, body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Checks;

    #[test]
    fn reports_like_kube_apiserver() {
        let checks = Checks::default();
        assert_eq!(checks.report("readyz", false), (200, "ok".to_owned()));
        let sync = checks.register("rbac-sync");
        let config = checks.register("authorization-config");
        config.set(true);
        assert_eq!(
            checks.report("readyz", false),
            (
                503,
                "[+]ping ok\n[-]rbac-sync failed: reason withheld\n[+]authorization-config ok\nreadyz check failed\n".to_owned()
            )
        );
        sync.set(true);
        assert_eq!(checks.report("readyz", false), (200, "ok".to_owned()));
        assert_eq!(
            checks.report("readyz", true),
            (
                200,
                "[+]ping ok\n[+]rbac-sync ok\n[+]authorization-config ok\nreadyz check passed\n"
                    .to_owned()
            )
        );
    }
}
