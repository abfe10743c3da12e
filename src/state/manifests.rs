//! Reading Kubernetes manifests exactly as `kubectl get -o yaml|json` prints them: YAML with
//! several documents or JSON (one or several concatenated objects), single objects or `List`s, from
//! one file or a directory read recursively in name order.

use std::path::{Path, PathBuf};

use serde_json::Value;
use thiserror::Error;

pub use crate::api::manifest::Manifest;

/// A file that could not be read or parsed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The file or directory could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A document is not valid YAML or JSON, or is not a Kubernetes object.
    #[error("`{}`, document {document}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The 1-based document number within the file.
        document: usize,
        /// What is wrong.
        message: String,
    },
}

/// Reads every manifest under `path` (a file, or a directory walked recursively in name order;
/// only `.yaml`, `.yml` and `.json` files are read from directories).
pub fn read_manifests(path: &Path) -> Result<Vec<Manifest>, ManifestError> {
    let mut files = Vec::new();
    collect_files(path, &mut files, true)?;
    let mut manifests = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|source| ManifestError::Read {
            path: file.clone(),
            source,
        })?;
        parse_text(&text, &file, &mut manifests)?;
    }
    Ok(manifests)
}

/// The manifest files under `path` with their sizes and modification times: equal fingerprints
/// mean nothing to re-read. Unreadable paths give an empty fingerprint.
pub fn fingerprint(path: &Path) -> Vec<(PathBuf, u64, Option<std::time::SystemTime>)> {
    let mut files = Vec::new();
    if collect_files(path, &mut files, true).is_err() {
        return Vec::new();
    }
    files
        .into_iter()
        .map(|file| {
            let meta = std::fs::metadata(&file).ok();
            let len = meta.as_ref().map(|m| m.len()).unwrap_or(0);
            let modified = meta.and_then(|m| m.modified().ok());
            (file, len, modified)
        })
        .collect()
}

fn collect_files(
    path: &Path,
    files: &mut Vec<PathBuf>,
    explicit: bool,
) -> Result<(), ManifestError> {
    let read_error = |source| ManifestError::Read {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_error)?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(read_error)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(read_error)?;
        entries.sort();
        for entry in entries {
            let hidden = entry
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if !hidden {
                collect_files(&entry, files, false)?;
            }
        }
    } else if explicit
        || matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        )
    {
        files.push(path.to_owned());
    }
    Ok(())
}

/// Parses one file's text into objects, unwrapping lists.
pub(crate) fn parse_text(
    text: &str,
    file: &Path,
    out: &mut Vec<Manifest>,
) -> Result<(), ManifestError> {
    let parse_error = |document: usize, message: String| ManifestError::Parse {
        path: file.to_owned(),
        document,
        message,
    };
    let documents: Vec<Value> = if text.trim_start().starts_with(['{', '[']) {
        serde_json::Deserializer::from_str(text)
            .into_iter::<Value>()
            .enumerate()
            .map(|(i, doc)| doc.map_err(|e| parse_error(i + 1, e.to_string())))
            .collect::<Result<_, _>>()?
    } else {
        serde_saphyr::from_multiple::<Value>(text)
            .map_err(|e| parse_error(yaml_document_of(text, &e.to_string()), e.to_string()))?
    };
    for (i, document) in documents.into_iter().enumerate() {
        match document {
            Value::Null => continue,
            Value::Array(items) => {
                for item in items {
                    push_object(item, None, (file, i + 1), out)
                        .map_err(|m| parse_error(i + 1, m))?;
                }
            }
            object => {
                push_object(object, None, (file, i + 1), out).map_err(|m| parse_error(i + 1, m))?
            }
        }
    }
    Ok(())
}

fn push_object(
    object: Value,
    list_kind: Option<&str>,
    (file, document): (&Path, usize),
    out: &mut Vec<Manifest>,
) -> Result<(), String> {
    let Value::Object(map) = &object else {
        return Err(format!(
            "expected a Kubernetes object, found {}",
            type_name(&object)
        ));
    };
    let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
    let kind = text("kind")
        .or_else(|| {
            list_kind
                .and_then(|k| k.strip_suffix("List"))
                .map(str::to_owned)
        })
        .ok_or_else(|| "object has no `kind`".to_owned())?;
    let api_version = text("apiVersion").unwrap_or_default();
    if kind == "List" || (kind.ends_with("List") && map.contains_key("items")) {
        let items = match map.get("items") {
            Some(Value::Array(items)) => items.clone(),
            Some(Value::Null) | None => Vec::new(),
            Some(other) => {
                return Err(format!(
                    "`items` of a {kind} is {}, not a list",
                    type_name(other)
                ));
            }
        };
        for item in items {
            push_object(item, Some(&kind), (file, document), out)?;
        }
        return Ok(());
    }
    out.push(Manifest {
        kind,
        api_version,
        object,
        file: file.to_owned(),
        document,
    });
    Ok(())
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Which YAML document a parse error's line falls in (1-based), from the `line N` in its message.
fn yaml_document_of(text: &str, message: &str) -> usize {
    let line = message
        .split("line ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<usize>().ok());
    let Some(line) = line else { return 1 };
    let separators = text
        .lines()
        .take(line.saturating_sub(1))
        .enumerate()
        .filter(|(i, l)| l.starts_with("---") && *i > 0)
        .count();
    separators + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Manifest>, ManifestError> {
        let mut out = Vec::new();
        parse_text(text, Path::new("test.yaml"), &mut out).map(|_| out)
    }

    #[test]
    fn reads_documents_lists_and_json() {
        let yaml = "apiVersion: v1\nkind: List\nitems:\n- kind: Role\n  metadata: {name: a}\n---\nkind: ClusterRole\nmetadata: {name: b}\n---\n";
        let kinds: Vec<String> = parse(yaml).unwrap().into_iter().map(|m| m.kind).collect();
        assert_eq!(kinds, ["Role", "ClusterRole"]);
        let json =
            r#"{"kind":"RoleBindingList","items":[{"metadata":{"name":"x"}}]} {"kind":"Pod"}"#;
        let kinds: Vec<String> = parse(json).unwrap().into_iter().map(|m| m.kind).collect();
        assert_eq!(kinds, ["RoleBinding", "Pod"]);
    }

    #[test]
    fn names_the_document_of_an_error() {
        let yaml = "kind: Role\n---\nkind: [unclosed\n";
        let error = parse(yaml).unwrap_err().to_string();
        assert!(error.starts_with("`test.yaml`, document 2:"), "{error}");
        let error = parse("- 1\n").unwrap_err().to_string();
        assert!(error.contains("expected a Kubernetes object"), "{error}");
        let error = parse("metadata: {}\n").unwrap_err().to_string();
        assert!(error.contains("no `kind`"), "{error}");
    }
}
