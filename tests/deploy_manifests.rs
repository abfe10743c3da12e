//! `deploy/` agrees with the code it deploys: both AuthorizationConfigurations (kube-apiserver's
//! and the ConfigMap's) pass `authz-chain check`; the ClusterRole grants `list` and `watch` on
//! exactly the kinds the live source watches; the Deployment's flags are `serve`'s, and its
//! ports, probes, volumes and grace period line up with the Service, the NetworkPolicy and the
//! flags; the mutual-TLS pieces fit (the kubeconfig's client certificate, the Secrets the
//! Deployment mounts, the name `--allowed-client-names` admits and the CN that README.md's
//! openssl commands and `cert-manager/` issue); the HorizontalPodAutoscaler and the
//! PodDisruptionBudget fit the Deployment; and the Deployment's own command line, run on loopback
//! with generated certificates, answers kube-apiserver's client certificate, refuses other
//! callers, and stops cleanly.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::https::{client_config, send};
use common::pki::Ca;
use common::*;
use serde_json::{Value, json};

/// Where kube-apiserver's files go on a control-plane node, as they name each other.
const APISERVER_DIR: &str = "/etc/kubernetes/authz-chain";

/// The kinds the live source lists and watches: (API group, resource).
const WATCHED: [(&str, &str); 9] = [
    ("rbac.authorization.k8s.io", "roles"),
    ("rbac.authorization.k8s.io", "clusterroles"),
    ("rbac.authorization.k8s.io", "rolebindings"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"),
    ("", "pods"),
    ("", "persistentvolumes"),
    ("storage.k8s.io", "volumeattachments"),
    ("resource.k8s.io", "resourceslices"),
    ("certificates.k8s.io", "podcertificaterequests"),
];

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every YAML document of a file (empty documents dropped).
fn documents(path: &Path) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(&read(path))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into_iter()
        .filter(|doc| !doc.is_null())
        .collect()
}

/// The objects of every file `dir/kustomization.yaml` lists, which must be every YAML file at
/// the top of `dir` (so `kubectl apply -k` leaves none out).
fn kustomized(dir: &Path) -> Vec<Value> {
    let kustomization = documents(&dir.join("kustomization.yaml"));
    let listed: BTreeSet<String> = strings(&kustomization[0]["resources"], "resources")
        .into_iter()
        .collect();
    let present: BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .into_string()
                .expect("utf-8")
        })
        .filter(|name| name.ends_with(".yaml") && name != "kustomization.yaml")
        .collect();
    assert_eq!(
        listed,
        present,
        "{}/kustomization.yaml must list every manifest",
        dir.display()
    );
    listed
        .iter()
        .flat_map(|name| documents(&dir.join(name)))
        .collect()
}

/// The in-cluster objects (`kubectl apply -k deploy/`).
fn cluster_objects() -> Vec<Value> {
    kustomized(&deploy_dir())
}

/// The one object of `kind`.
fn the<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    let found: Vec<&Value> = objects.iter().filter(|o| o["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "expected exactly one {kind}");
    found[0]
}

fn text<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what}: expected a string, found {value}"))
}

fn strings(value: &Value, what: &str) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{what}: expected a list, found {value}"))
        .iter()
        .map(|v| text(v, what).to_owned())
        .collect()
}

/// The Deployment's only container.
fn container(objects: &[Value]) -> &Value {
    let containers = the(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers");
    assert_eq!(containers.len(), 1);
    &containers[0]
}

/// `serve`'s flags from the container's args (`--flag=value`), in order.
fn serve_flags(container: &Value) -> Vec<(String, String)> {
    let args = strings(&container["args"], "args");
    assert_eq!(args[0], "serve", "the container must run `serve`: {args:?}");
    args[1..]
        .iter()
        .map(|arg| {
            let (flag, value) = arg
                .split_once('=')
                .unwrap_or_else(|| panic!("write flags as --flag=value: {arg}"));
            assert!(flag.starts_with("--"), "not a flag: {arg}");
            (flag.to_owned(), value.to_owned())
        })
        .collect()
}

fn flag<'a>(flags: &'a [(String, String)], name: &str) -> &'a str {
    flags
        .iter()
        .find(|(flag, _)| flag == name)
        .map(|(_, value)| value.as_str())
        .unwrap_or_else(|| panic!("the Deployment does not pass {name}"))
}

/// A container port given by number or by name.
fn resolve_port(container: &Value, port: &Value) -> u64 {
    if let Some(number) = port.as_u64() {
        return number;
    }
    let name = text(port, "port");
    container["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no container port named {name}"))["containerPort"]
        .as_u64()
        .expect("containerPort")
}

/// The volume mounted at the directory of `file`, and that file's name in it.
fn volume_of<'a>(objects: &'a [Value], file: &str) -> (&'a Value, String) {
    let (dir, name) = file.rsplit_once('/').expect("absolute path");
    let mount = container(objects)["volumeMounts"]
        .as_array()
        .expect("volumeMounts")
        .iter()
        .find(|m| m["mountPath"] == dir)
        .unwrap_or_else(|| panic!("nothing is mounted at {dir}"));
    // A subPath mount would never see ConfigMap or Secret updates, which serve reloads.
    assert!(mount.get("subPath").is_none(), "{dir}: no subPath");
    assert_eq!(mount["readOnly"], true, "{dir}");
    let volume = the(objects, "Deployment")["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .find(|v| v["name"] == mount["name"])
        .expect("the mount's volume");
    (volume, name.to_owned())
}

/// The optional cert-manager objects (`kubectl apply -k deploy/cert-manager/`).
fn cert_manager_objects() -> Vec<Value> {
    kustomized(&deploy_dir().join("cert-manager"))
}

/// The object of `kind` named `name`.
fn named<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    let found: Vec<&Value> = objects
        .iter()
        .filter(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .collect();
    assert_eq!(found.len(), 1, "expected exactly one {kind} {name}");
    found[0]
}

/// The Secret a file flag's path is read from, and the key in that Secret (through the
/// volume's `items`, when it projects only some keys).
fn secret_file(objects: &[Value], file: &str) -> (String, String) {
    let (volume, name) = volume_of(objects, file);
    let secret = &volume["secret"];
    let secret_name = text(&secret["secretName"], "secretName").to_owned();
    let key = match secret.get("items") {
        None => name,
        Some(items) => items
            .as_array()
            .expect("items")
            .iter()
            .find(|item| item["path"] == name.as_str())
            .map(|item| text(&item["key"], "key").to_owned())
            .unwrap_or_else(|| panic!("{secret_name}'s items do not project {name}")),
    };
    (secret_name, key)
}

/// The user of the kubeconfig's current context.
fn kubeconfig_user(kubeconfig: &Value) -> &Value {
    let context = kubeconfig["contexts"]
        .as_array()
        .expect("contexts")
        .iter()
        .find(|c| c["name"] == kubeconfig["current-context"])
        .expect("current context");
    &kubeconfig["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["name"] == context["context"]["user"])
        .expect("the context's user")["user"]
}

/// The name of a file the kubeconfig expects in [`APISERVER_DIR`].
fn on_node<'a>(value: &'a Value, what: &str) -> &'a str {
    text(value, what)
        .strip_prefix(APISERVER_DIR)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or_else(|| panic!("{what} is a file in {APISERVER_DIR}: {value}"))
}

/// The words of a command line as the shell splits them (quotes removed; `#` starts a comment).
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote = None;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None if c == '#' && !in_word => break,
            None => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "unbalanced quotes: {line}");
    if in_word {
        words.push(word);
    }
    words
}

/// Every command of deploy/README.md's `sh` blocks, as words (continuation lines joined).
fn readme_commands() -> Vec<Vec<String>> {
    let readme = read(&deploy_dir().join("README.md"));
    let mut commands = Vec::new();
    let mut in_block = false;
    let mut line = String::new();
    for raw in readme.lines() {
        if raw.starts_with("```") {
            in_block = !in_block && raw == "```sh";
            continue;
        }
        if !in_block {
            continue;
        }
        match raw.strip_suffix('\\') {
            Some(start) => line.push_str(start),
            None => {
                line.push_str(raw);
                let command = words(&line);
                if !command.is_empty() {
                    commands.push(command);
                }
                line.clear();
            }
        }
    }
    commands
}

/// The word after `option` in `command`.
fn option<'a>(command: &'a [String], option: &str) -> &'a str {
    command
        .iter()
        .position(|word| word == option)
        .and_then(|at| command.get(at + 1))
        .unwrap_or_else(|| panic!("no {option} in {command:?}"))
}

/// The one `openssl <subcommand>` of README.md whose `option` is `value`.
fn openssl<'a>(
    commands: &'a [Vec<String>],
    subcommand: &str,
    option_name: &str,
    value: &str,
) -> &'a [String] {
    let found: Vec<&Vec<String>> = commands
        .iter()
        .filter(|c| c.len() > 2 && c[0] == "openssl" && c[1] == subcommand)
        .filter(|c| c.iter().position(|w| w == option_name).is_some())
        .filter(|c| option(c, option_name) == value)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "README.md: expected one `openssl {subcommand} ... {option_name} {value}`"
    );
    found[0]
}

/// README.md's `kubectl ... create secret <type> <name> ...`.
fn creates_secret<'a>(commands: &'a [Vec<String>], kind: &str, name: &str) -> &'a [String] {
    commands
        .iter()
        .find(|c| c[0] == "kubectl" && c.windows(4).any(|w| w == ["create", "secret", kind, name]))
        .unwrap_or_else(|| panic!("README.md does not create the {kind} Secret {name}"))
}

/// The file `printf ... > FILE` writes a line `KEY=...` of.
fn printed_line<'a>(commands: &'a [Vec<String>], file: &str, key: &str) -> &'a str {
    commands
        .iter()
        .filter(|c| c[0] == "printf" && c.ends_with(&[">".to_owned(), file.to_owned()]))
        .flat_map(|c| c.iter())
        .find_map(|word| word.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("README.md writes no {key} to {file}"))
}

/// What README.md's openssl commands issue to kube-apiserver: its client certificate's CN, the
/// file of the CA that signs it, and the serving CA's file. Followed from the file names
/// kube-apiserver's kubeconfig uses.
struct Issued {
    client_name: String,
    client_ca_file: String,
    serving_ca_file: String,
}

fn issued() -> Issued {
    let commands = readme_commands();
    let kubeconfig = &documents(&deploy_dir().join("kube-apiserver/kubeconfig.yaml"))[0];
    let user = kubeconfig_user(kubeconfig);
    let key = on_node(&user["client-key"], "client-key");
    let cert = on_node(&user["client-certificate"], "client-certificate");

    let request = openssl(&commands, "req", "-keyout", key);
    let subject = option(request, "-subj");
    let client_name = subject
        .strip_prefix("/CN=")
        .filter(|name| !name.contains('/') && !name.is_empty())
        .unwrap_or_else(|| panic!("README.md: the client's subject is one CN: {subject}"))
        .to_owned();
    let signing = openssl(&commands, "x509", "-out", cert);
    assert_eq!(option(signing, "-in"), option(request, "-out"));
    let client_ca_file = option(signing, "-CA").to_owned();
    let usage = option(signing, "-extfile");
    assert_eq!(
        printed_line(&commands, usage, "extendedKeyUsage"),
        "clientAuth"
    );
    // A CA of its own, not the serving CA.
    assert!(openssl(&commands, "req", "-out", &client_ca_file).contains(&"-x509".to_owned()));

    let serving_ca_file = on_node(
        &kubeconfig["clusters"][0]["cluster"]["certificate-authority"],
        "certificate-authority",
    )
    .to_owned();
    assert_ne!(serving_ca_file, client_ca_file, "two CAs");
    Issued {
        client_name,
        client_ca_file,
        serving_ca_file,
    }
}

/// Seconds of a duration flag as the Deployment writes it (`30s`).
fn seconds(value: &str) -> u64 {
    value
        .strip_suffix('s')
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("write durations in whole seconds: {value}"))
}

#[test]
fn kube_apiservers_configuration_is_valid_and_points_at_the_service() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node_dir = dir.path().to_str().expect("utf-8");
    // The files as they sit in /etc/kubernetes/authz-chain/ on a node, with the CA the operator
    // copies next to them.
    for name in ["authorization-config.yaml", "kubeconfig.yaml"] {
        let original = read(&deploy_dir().join("kube-apiserver").join(name));
        assert!(
            original.contains(APISERVER_DIR),
            "{name} names {APISERVER_DIR}"
        );
        write_file(dir.path(), name, &original.replace(APISERVER_DIR, node_dir));
    }
    write_file(dir.path(), "ca.crt", &Ca::new("authz-chain-ca").pem);
    let kubeconfig = &documents(&deploy_dir().join("kube-apiserver/kubeconfig.yaml"))[0];
    let user = kubeconfig_user(kubeconfig);
    let client = Ca::new("authz-chain-client-ca").client(&issued().client_name);
    write_file(
        dir.path(),
        on_node(&user["client-certificate"], "client-certificate"),
        &client.cert_pem,
    );
    write_file(
        dir.path(),
        on_node(&user["client-key"], "client-key"),
        &client.key_pem,
    );
    assert_checks(
        &dir.path().join("authorization-config.yaml"),
        "kube-apiserver/authorization-config.yaml",
    );

    let config = &documents(&deploy_dir().join("kube-apiserver/authorization-config.yaml"))[0];
    assert_eq!(config["apiVersion"], "apiserver.config.k8s.io/v1");
    let authorizers = config["authorizers"].as_array().expect("authorizers");
    let types: Vec<&str> = authorizers
        .iter()
        .map(|a| text(&a["type"], "type"))
        .collect();
    assert_eq!(types, ["Node", "RBAC", "Webhook"]);
    let webhook = &authorizers[2]["webhook"];
    assert_eq!(webhook["subjectAccessReviewVersion"], "v1");
    assert_eq!(webhook["matchConditionSubjectAccessReviewVersion"], "v1");
    assert_eq!(webhook["connectionInfo"]["type"], "KubeConfigFile");
    assert_eq!(
        webhook["connectionInfo"]["kubeConfigFile"],
        format!("{APISERVER_DIR}/kubeconfig.yaml")
    );
    for field in [
        "timeout",
        "failurePolicy",
        "authorizedTTL",
        "unauthorizedTTL",
    ] {
        assert!(webhook[field].is_string(), "webhook.{field} is set");
    }

    // The kubeconfig's server is the Service, on its port, and the route reviews are served on.
    let objects = cluster_objects();
    let service = the(&objects, "Service");
    let context = kubeconfig["contexts"]
        .as_array()
        .expect("contexts")
        .iter()
        .find(|c| c["name"] == kubeconfig["current-context"])
        .expect("current context");
    let cluster = kubeconfig["clusters"]
        .as_array()
        .expect("clusters")
        .iter()
        .find(|c| c["name"] == context["context"]["cluster"])
        .expect("the context's cluster");
    let ports = service["spec"]["ports"].as_array().expect("service ports");
    assert_eq!(ports.len(), 1);
    assert_eq!(
        cluster["cluster"]["server"],
        format!(
            "https://{}.{}.svc:{}/authorize",
            text(&service["metadata"]["name"], "service name"),
            text(&service["metadata"]["namespace"], "service namespace"),
            ports[0]["port"]
        )
    );
    assert_eq!(
        cluster["cluster"]["certificate-authority"],
        format!("{APISERVER_DIR}/ca.crt")
    );

    // kube-apiserver authenticates with a client certificate, and nothing else.
    let fields: BTreeSet<&str> = user
        .as_object()
        .expect("user")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from(["client-certificate", "client-key"]),
        "kube-apiserver's credentials"
    );

    // README.md copies every file the two name to the node, the client key readable by its
    // owner only.
    let commands = readme_commands();
    let installs: Vec<&Vec<String>> = commands
        .iter()
        .filter(|c| {
            c.first().is_some_and(|w| w == "sudo") && c.get(1).is_some_and(|w| w == "install")
        })
        .filter(|c| {
            c.last()
                .is_some_and(|w| w.trim_end_matches('/') == APISERVER_DIR)
        })
        .collect();
    let installed_with = |file: &str| -> &str {
        let found: Vec<&&Vec<String>> = installs
            .iter()
            .filter(|c| c.iter().any(|w| w.rsplit('/').next() == Some(file)))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "README.md installs {file} once in {APISERVER_DIR}"
        );
        option(found[0], "-m")
    };
    for file in ["authorization-config.yaml", "kubeconfig.yaml"] {
        assert_eq!(installed_with(file), "0644", "{file}");
    }
    for (field, mode) in [
        ("certificate-authority", "0644"),
        ("client-certificate", "0644"),
        ("client-key", "0600"),
    ] {
        let value = match field {
            "certificate-authority" => &cluster["cluster"][field],
            _ => &user[field],
        };
        assert_eq!(installed_with(on_node(value, field)), mode, "{field}");
    }
}

#[test]
fn the_configmaps_configuration_is_valid_and_is_what_serve_reads() {
    let objects = cluster_objects();
    let container = container(&objects);
    let flags = serve_flags(container);
    let (volume, key) = volume_of(&objects, flag(&flags, "--authorization-config"));
    let config_map = the(&objects, "ConfigMap");
    assert_eq!(volume["configMap"]["name"], config_map["metadata"]["name"]);
    let embedded = text(&config_map["data"][&key], "the ConfigMap's configuration");

    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(dir.path(), &key, embedded);
    assert_checks(&path, "configmap.yaml");
    let config: Value = serde_saphyr::from_str(embedded).expect("embedded YAML");
    let types: Vec<&str> = config["authorizers"]
        .as_array()
        .expect("authorizers")
        .iter()
        .map(|a| text(&a["type"], "type"))
        .collect();
    assert_eq!(types, ["Node", "RBAC"]);
}

/// With the `live` feature, [`WATCHED`] is checked against the code itself: every `watch!` in
/// `LiveState::start`, through the `kube::Resource` impl of the type it names.
#[cfg(feature = "live")]
#[test]
fn watched_kinds_are_the_live_sources() {
    use authz_chain::state::live::objects::*;
    use kube::Resource;

    fn of<K: Resource<DynamicType = ()>>() -> (String, String) {
        (K::group(&()).into_owned(), K::plural(&()).into_owned())
    }

    let source = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/state/live/mod.rs"));
    let pattern = regex::Regex::new(r#"watch!\(\s*(\w+)\s*,\s*"([^"]+)""#).expect("regex");
    let mut watched = BTreeSet::new();
    for found in pattern.captures_iter(&source) {
        let kind = match &found[1] {
            "RoleObject" => of::<RoleObject>(),
            "ClusterRoleObject" => of::<ClusterRoleObject>(),
            "RoleBindingObject" => of::<RoleBindingObject>(),
            "ClusterRoleBindingObject" => of::<ClusterRoleBindingObject>(),
            "PodObject" => of::<PodObject>(),
            "PersistentVolumeObject" => of::<PersistentVolumeObject>(),
            "VolumeAttachmentObject" => of::<VolumeAttachmentObject>(),
            "ResourceSliceObject" => of::<ResourceSliceObject>(),
            "PodCertificateRequestObject" => of::<PodCertificateRequestObject>(),
            other => panic!(
                "src/state/live watches {other}: grant list and watch on it in deploy/rbac.yaml \
                 and add it to WATCHED and to this match"
            ),
        };
        assert_eq!(kind.1, &found[2], "readiness check name of {}", &found[1]);
        watched.insert(kind);
    }
    let expected: BTreeSet<(String, String)> = WATCHED
        .iter()
        .map(|(group, resource)| ((*group).to_owned(), (*resource).to_owned()))
        .collect();
    assert_eq!(watched, expected);
}

#[test]
fn cluster_role_grants_list_and_watch_on_the_watched_kinds_and_nothing_else() {
    let objects = cluster_objects();
    let role = the(&objects, "ClusterRole");
    let mut granted = BTreeSet::new();
    for rule in role["rules"].as_array().expect("rules") {
        for field in ["resourceNames", "nonResourceURLs"] {
            assert!(rule.get(field).is_none(), "no {field}: {rule}");
        }
        for group in strings(&rule["apiGroups"], "apiGroups") {
            for resource in strings(&rule["resources"], "resources") {
                for verb in strings(&rule["verbs"], "verbs") {
                    granted.insert((group.clone(), resource.clone(), verb));
                }
            }
        }
    }
    let expected: BTreeSet<(String, String, String)> = WATCHED
        .iter()
        .flat_map(|(group, resource)| {
            ["list", "watch"].map(|verb| ((*group).into(), (*resource).into(), verb.into()))
        })
        .collect();
    let extra: Vec<_> = granted.difference(&expected).collect();
    let missing: Vec<_> = expected.difference(&granted).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "deploy/rbac.yaml grants more than live mode needs: {extra:?}; misses: {missing:?}"
    );
    assert!(role.get("aggregationRule").is_none());

    // Bound to the Deployment's service account, and only to it.
    let account = the(&objects, "ServiceAccount");
    let binding = the(&objects, "ClusterRoleBinding");
    assert_eq!(
        binding["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
               "name": role["metadata"]["name"]})
    );
    assert_eq!(
        binding["subjects"],
        json!([{"kind": "ServiceAccount", "name": account["metadata"]["name"],
                "namespace": account["metadata"]["namespace"]}])
    );
    let pod = &the(&objects, "Deployment")["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], account["metadata"]["name"]);

    // kube-apiserver's matchCondition names that account.
    let apiserver = read(&deploy_dir().join("kube-apiserver/authorization-config.yaml"));
    let user = format!(
        "system:serviceaccount:{}:{}",
        text(&account["metadata"]["namespace"], "namespace"),
        text(&account["metadata"]["name"], "name")
    );
    assert!(apiserver.contains(&format!("request.user != '{user}'")));
}

#[test]
fn deployment_flags_ports_probes_and_volumes_line_up() {
    let objects = cluster_objects();
    let namespace = text(&the(&objects, "Namespace")["metadata"]["name"], "namespace");
    for object in &objects {
        let kind = text(&object["kind"], "kind");
        let cluster_scoped = matches!(kind, "Namespace" | "ClusterRole" | "ClusterRoleBinding");
        assert_eq!(
            object["metadata"].get("namespace").and_then(Value::as_str),
            (!cluster_scoped).then_some(namespace),
            "namespace of {kind}"
        );
    }
    let deployment = the(&objects, "Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let container = container(&objects);
    let flags = serve_flags(container);

    // Every flag is one `serve` takes, given once.
    let help = binary()
        .args(["serve", "--help"])
        .output()
        .expect("serve --help");
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    let known: BTreeSet<&str> = help
        .split_whitespace()
        .filter(|word| word.starts_with("--"))
        .map(|word| word.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()))
        .collect();
    let mut seen = BTreeSet::new();
    for (name, _) in &flags {
        assert!(known.contains(name.as_str()), "serve has no {name}: {help}");
        assert!(seen.insert(name), "{name} given twice");
    }
    assert_eq!(flag(&flags, "--log-format"), "json");

    // The secure port: the container port, the probes, the Service and the NetworkPolicy.
    let secure_port: u64 = flag(&flags, "--secure-port").parse().expect("port");
    let ports = container["ports"].as_array().expect("ports");
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0]["containerPort"], secure_port);
    for (probe, path) in [("livenessProbe", "/livez"), ("readinessProbe", "/readyz")] {
        let get = &container[probe]["httpGet"];
        assert_eq!(get["scheme"], "HTTPS", "{probe}");
        assert_eq!(get["path"], path, "{probe}");
        assert_eq!(
            resolve_port(container, &get["port"]),
            secure_port,
            "{probe}"
        );
    }
    let service = the(&objects, "Service");
    assert_eq!(service["spec"]["type"], "ClusterIP");
    let service_port = &service["spec"]["ports"][0];
    assert_eq!(service_port["port"], 443);
    assert_eq!(
        resolve_port(container, &service_port["targetPort"]),
        secure_port
    );
    let policy = the(&objects, "NetworkPolicy");
    assert_eq!(policy["spec"]["policyTypes"], json!(["Ingress"]));
    let ingress = policy["spec"]["ingress"].as_array().expect("ingress");
    assert_eq!(ingress.len(), 1);
    let allowed = ingress[0]["ports"].as_array().expect("ports");
    assert_eq!(allowed.len(), 1);
    assert_eq!(resolve_port(container, &allowed[0]["port"]), secure_port);

    // Service, PodDisruptionBudget and NetworkPolicy select the Deployment's pods.
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    assert_eq!(deployment["spec"]["selector"]["matchLabels"], *labels);
    assert_eq!(service["spec"]["selector"], *labels);
    let budget = the(&objects, "PodDisruptionBudget");
    assert_eq!(budget["spec"]["selector"]["matchLabels"], *labels);
    assert_eq!(policy["spec"]["podSelector"]["matchLabels"], *labels);

    // The serving pair comes from the authz-chain-serving Secret (a `kubernetes.io/tls` one),
    // the client CA from authz-chain-client-ca.
    for (name, secret, key) in [
        ("--tls-cert-file", "authz-chain-serving", "tls.crt"),
        ("--tls-private-key-file", "authz-chain-serving", "tls.key"),
        ("--client-ca-file", "authz-chain-client-ca", "ca.crt"),
    ] {
        assert_eq!(
            secret_file(&objects, flag(&flags, name)),
            (secret.to_owned(), key.to_owned()),
            "{name}"
        );
    }
    // Every volume is mounted once, every mount has its volume.
    let volumes: BTreeSet<&str> = pod["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .map(|v| text(&v["name"], "volume name"))
        .collect();
    let mounts: Vec<&str> = container["volumeMounts"]
        .as_array()
        .expect("volumeMounts")
        .iter()
        .map(|m| text(&m["name"], "mount name"))
        .collect();
    assert_eq!(
        mounts.iter().copied().collect::<BTreeSet<_>>(),
        volumes,
        "volumes and mounts"
    );
    assert_eq!(mounts.len(), volumes.len(), "each volume mounted once");

    // The kubelet waits long enough for serve's shutdown delay and then its grace period.
    let grace = seconds(flag(&flags, "--shutdown-grace-period"));
    let delay = seconds(flag(&flags, "--shutdown-delay-duration"));
    assert!(delay > 0, "a shutdown delay, so the endpoints catch up");
    let termination = pod["terminationGracePeriodSeconds"]
        .as_u64()
        .expect("terminationGracePeriodSeconds");
    assert!(
        termination > delay + grace,
        "terminationGracePeriodSeconds {termination} must exceed delay {delay} + grace {grace}"
    );

    // Hardened.
    let security = &container["securityContext"];
    assert_eq!(security["runAsNonRoot"], true);
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["capabilities"]["drop"], json!(["ALL"]));
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    for kind in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                container["resources"][kind][resource].is_string(),
                "resources.{kind}.{resource}"
            );
        }
    }
    assert!(
        pod["topologySpreadConstraints"]
            .as_array()
            .expect("topologySpreadConstraints")
            .iter()
            .any(|c| c["topologyKey"] == "kubernetes.io/hostname")
    );
}

#[test]
fn only_kube_apiservers_client_certificate_may_ask() {
    let objects = cluster_objects();
    let flags = serve_flags(container(&objects));
    let issued = issued();

    // serve admits exactly the name README.md issues to kube-apiserver.
    assert!(
        !flag(&flags, "--client-ca-file").is_empty(),
        "the Deployment requires client certificates"
    );
    let allowed: Vec<&str> = flag(&flags, "--allowed-client-names").split(',').collect();
    assert_eq!(
        allowed,
        [issued.client_name.as_str()],
        "--allowed-client-names"
    );

    // The Secrets README.md creates are the ones the Deployment mounts, from the files the
    // openssl commands write: the client CA's certificate as `ca.crt`, the serving pair
    // signed by the CA kube-apiserver trusts, for the Service's name.
    let commands = readme_commands();
    let (client_ca_secret, client_ca_key) = secret_file(&objects, flag(&flags, "--client-ca-file"));
    let create = creates_secret(&commands, "generic", &client_ca_secret);
    assert!(
        create.contains(&format!(
            "--from-file={client_ca_key}={}",
            issued.client_ca_file
        )),
        "README.md puts {} in {client_ca_secret} as {client_ca_key}: {create:?}",
        issued.client_ca_file
    );
    let (serving_secret, _) = secret_file(&objects, flag(&flags, "--tls-cert-file"));
    let create = creates_secret(&commands, "tls", &serving_secret);
    let flag_value = |name: &str| -> String {
        create
            .iter()
            .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("README.md: {name} in {create:?}"))
            .to_owned()
    };
    let (serving_cert, serving_key) = (flag_value("--cert"), flag_value("--key"));
    let signing = openssl(&commands, "x509", "-out", &serving_cert);
    assert_eq!(option(signing, "-CA"), issued.serving_ca_file);
    let request = openssl(&commands, "req", "-out", option(signing, "-in"));
    assert_eq!(option(request, "-keyout"), serving_key);
    let extensions = option(signing, "-extfile");
    assert_eq!(
        printed_line(&commands, extensions, "extendedKeyUsage"),
        "serverAuth"
    );
    let service = the(&objects, "Service");
    let service_name = format!(
        "{}.{}.svc",
        text(&service["metadata"]["name"], "service name"),
        text(&service["metadata"]["namespace"], "service namespace")
    );
    let sans: Vec<&str> = printed_line(&commands, extensions, "subjectAltName")
        .split(',')
        .collect();
    assert!(
        sans.contains(&format!("DNS:{service_name}").as_str()),
        "the serving certificate names {service_name}: {sans:?}"
    );

    // cert-manager/ issues the same: the two Secrets the Deployment mounts, kube-apiserver's
    // certificate under the allowed name, each from its own CA.
    let issuers = cert_manager_objects();
    let namespace = the(&objects, "Namespace")["metadata"]["name"].clone();
    for object in &issuers {
        assert_eq!(object["apiVersion"], "cert-manager.io/v1");
        assert_eq!(object["metadata"]["namespace"], namespace);
    }
    let certificate_for = |secret: &str| -> &Value {
        let found: Vec<&Value> = issuers
            .iter()
            .filter(|o| o["kind"] == "Certificate" && o["spec"]["secretName"] == secret)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "cert-manager/: one Certificate for {secret}"
        );
        found[0]
    };
    let ca_secret_of = |certificate: &Value| -> String {
        let issuer = &certificate["spec"]["issuerRef"];
        assert_eq!(issuer["kind"], "Issuer");
        let issuer = named(&issuers, "Issuer", text(&issuer["name"], "issuerRef.name"));
        text(&issuer["spec"]["ca"]["secretName"], "a CA Issuer").to_owned()
    };
    let usages = |certificate: &Value| strings(&certificate["spec"]["usages"], "usages");

    assert_eq!(certificate_for(&client_ca_secret)["spec"]["isCA"], true);
    let clients: Vec<&Value> = issuers
        .iter()
        .filter(|o| o["kind"] == "Certificate" && o["spec"]["commonName"] == issued.client_name)
        .collect();
    assert_eq!(
        clients.len(),
        1,
        "cert-manager/ issues {}",
        issued.client_name
    );
    let client = clients[0];
    assert_eq!(ca_secret_of(client), client_ca_secret);
    assert!(usages(client).contains(&"client auth".to_owned()));
    let client_secret = text(&client["spec"]["secretName"], "secretName");
    assert!(
        commands
            .iter()
            .any(|c| c[0] == "kubectl"
                && c.windows(3).any(|w| w == ["get", "secret", client_secret])),
        "README.md fetches {client_secret} for the nodes"
    );

    let serving = certificate_for(&serving_secret);
    assert_ne!(ca_secret_of(serving), client_ca_secret, "two CAs");
    assert_eq!(
        certificate_for(&ca_secret_of(serving))["spec"]["isCA"],
        true
    );
    assert!(usages(serving).contains(&"server auth".to_owned()));
    assert!(
        strings(&serving["spec"]["dnsNames"], "dnsNames").contains(&service_name),
        "the serving Certificate names {service_name}"
    );
}

#[test]
fn autoscaler_and_disruption_budget_fit_the_deployment() {
    let objects = cluster_objects();
    let deployment = the(&objects, "Deployment");
    let replicas = deployment["spec"]["replicas"].as_u64().expect("replicas");

    let autoscaler = the(&objects, "HorizontalPodAutoscaler");
    assert_eq!(autoscaler["apiVersion"], "autoscaling/v2");
    assert_eq!(
        autoscaler["spec"]["scaleTargetRef"],
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "name": deployment["metadata"]["name"]})
    );
    let min = autoscaler["spec"]["minReplicas"]
        .as_u64()
        .expect("minReplicas");
    let max = autoscaler["spec"]["maxReplicas"]
        .as_u64()
        .expect("maxReplicas");
    assert_eq!(min, replicas, "minReplicas is the Deployment's replicas");
    assert!(min <= max, "minReplicas {min} <= maxReplicas {max}");

    // CPU utilization is measured against the container's CPU request.
    let metrics = autoscaler["spec"]["metrics"].as_array().expect("metrics");
    assert_eq!(metrics.len(), 1);
    assert_eq!(metrics[0]["type"], "Resource");
    assert_eq!(metrics[0]["resource"]["name"], "cpu");
    assert_eq!(metrics[0]["resource"]["target"]["type"], "Utilization");
    let target = metrics[0]["resource"]["target"]["averageUtilization"]
        .as_u64()
        .expect("averageUtilization");
    assert!((1..100).contains(&target), "averageUtilization {target}");
    assert!(
        container(&objects)["resources"]["requests"]["cpu"].is_string(),
        "the HPA needs a CPU request"
    );

    // Drains take one replica at a time, whatever the HPA runs, and never the last one.
    let budget = the(&objects, "PodDisruptionBudget");
    assert!(budget["spec"].get("minAvailable").is_none());
    let unavailable = budget["spec"]["maxUnavailable"]
        .as_u64()
        .expect("maxUnavailable as a number");
    assert_eq!(unavailable, 1);
    assert!(unavailable < min, "a drain leaves a replica answering");
    // A rolling update never goes below the replicas there are.
    assert_eq!(
        deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"],
        0
    );
}

/// A child process killed (if still running) and waited for when dropped, so a failing
/// assertion leaves no server behind.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The Deployment's exact command line, with its files replaced by local copies (the ConfigMap's
/// configuration, a serving pair, a client CA), the address by a loopback port and the shutdown
/// delay by a shorter one, outside a cluster so the embedded quickstart state stands in for live
/// mode: it serves /livez and /readyz to anyone, /authorize to a client certificate with the name
/// README.md issues to kube-apiserver (401 without a certificate, 403 for another name, a
/// refused handshake for another CA), and SIGTERM stops it with status 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployments_command_line_serves_and_stops() {
    let objects = cluster_objects();
    let container = container(&objects);
    let flags = serve_flags(container);
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::new("authz-chain-test-ca");
    let (cert, key) = ca.server().write(dir.path(), "serving");
    let client_ca = Ca::new("authz-chain-test-client-ca");
    let client_ca_file = write_file(dir.path(), "client-ca.crt", &client_ca.pem);
    let client_name = issued().client_name;
    let config_map = the(&objects, "ConfigMap");
    let (_, config_key) = volume_of(&objects, flag(&flags, "--authorization-config"));
    let config = write_file(
        dir.path(),
        &config_key,
        text(&config_map["data"][&config_key], "configuration"),
    );
    let replaced: BTreeMap<&str, String> = [
        ("--authorization-config", config.display().to_string()),
        ("--tls-cert-file", cert.display().to_string()),
        ("--tls-private-key-file", key.display().to_string()),
        ("--client-ca-file", client_ca_file.display().to_string()),
        ("--bind-address", "127.0.0.1".to_owned()),
        ("--secure-port", "0".to_owned()),
        // Shorter, so the test does not wait ten seconds; the delay itself is tested in
        // tests/operations.rs.
        ("--shutdown-delay-duration", "1s".to_owned()),
    ]
    .into();
    let mut args = vec!["serve".to_owned()];
    for (name, value) in &flags {
        let value = replaced.get(name.as_str()).unwrap_or(value);
        args.push(format!("{name}={value}"));
    }

    let mut child = Reaped(
        binary()
            .args(&args)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve"),
    );
    let stderr = child.0.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    let log = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(entry) = serde_json::from_str::<Value>(&line)
                && let Some(address) = entry["fields"]["address"].as_str()
            {
                let _ = tx.send(address.to_owned());
            }
            lines.push(line);
        }
        lines
    });
    let address: std::net::SocketAddr = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(address) => address.parse().expect("address"),
        Err(_) => {
            drop(child);
            panic!(
                "serve did not start with {args:?}:\n{}",
                log.join().expect("log").join("\n")
            );
        }
    };

    let alpn: &[&[u8]] = &[b"h2", b"http/1.1"];
    let anonymous = client_config(&ca.pem, None, alpn);
    for path in ["/livez", "/readyz"] {
        let reply = send(anonymous.clone(), address, "GET", path, Vec::new())
            .await
            .expect(path);
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    }
    let review = json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"user": "nobody", "resourceAttributes": {"verb": "get", "resource": "secrets"}},
    })
    .to_string()
    .into_bytes();
    let ask = |tls| {
        send(
            tls,
            address,
            "POST",
            "/authorize?timeout=3s",
            review.clone(),
        )
    };

    let kube_apiserver = client_config(&ca.pem, Some(&client_ca.client(&client_name)), alpn);
    let reply = ask(kube_apiserver).await.expect("/authorize");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let answer = reply.json();
    assert_eq!(answer["kind"], "SubjectAccessReview");
    assert_eq!(answer["status"]["allowed"], false);

    let reply = ask(anonymous)
        .await
        .expect("/authorize without a certificate");
    assert_eq!(reply.status, 401, "{}", reply.body);
    let someone_else = client_config(&ca.pem, Some(&client_ca.client("someone-else")), alpn);
    let reply = ask(someone_else).await.expect("/authorize as someone-else");
    assert_eq!(reply.status, 403, "{}", reply.body);
    let other_ca = Ca::new("another-ca").client(&client_name);
    let refused = ask(client_config(&ca.pem, Some(&other_ca), alpn)).await;
    assert!(
        refused.is_err(),
        "a certificate from another CA is refused, got {:?}",
        refused.map(|r| r.status)
    );

    let sent = std::process::Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let status = child.0.wait().expect("wait");
    let lines = log.join().expect("log");
    assert_eq!(status.code(), Some(0), "{}", lines.join("\n"));
}
