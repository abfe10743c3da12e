//! Decoding a configuration file the way kube-apiserver's codec does (`runtime.Decode` with a
//! strict codec factory), so a file is refused for the same reasons and with the same words:
//!
//! 1. the recognizer picks JSON when the first non-blank byte is `{`, YAML otherwise;
//!    YAML goes through `sigs.k8s.io/yaml.YAMLToJSON` first ([`yaml`]), which is where YAML 1.1
//!    scalars get their types (`yes` is a bool, `'false'` a string);
//! 2. `apiVersion` and `kind` are read with `encoding/json` ([`meta`]);
//! 3. the document is decoded strictly into the versioned Go types ([`typed`]): a scalar of the
//!    wrong type is refused with `json: cannot unmarshal <kind> into Go struct field ...`, and
//!    unknown or duplicate fields become one `strict decoding error: ...`.

mod meta;
mod resolve;
mod typed;
mod value;
mod yaml;

pub(crate) use meta::interpret;

use super::types::AuthorizationConfiguration;
use value::Value;

/// A file read into its JSON document.
#[derive(Debug)]
pub(crate) struct Document {
    /// The JSON document.
    pub value: Value,
    /// The duplicate-key error of the strict YAML pass, for YAML files that have one.
    yaml_strict_error: Option<String>,
}

/// Reads `text` as the recognizing decoder would: JSON when it starts with `{`, YAML otherwise.
pub(crate) fn parse(text: &str) -> Result<Document, String> {
    if text.trim_start().starts_with('{') {
        let value = value::parse_json(text)
            .map_err(|e| format!("couldn't get version/kind; json parse error: {e}"))?;
        Ok(Document {
            value,
            yaml_strict_error: None,
        })
    } else {
        let converted = yaml::to_json(text)?;
        Ok(Document {
            value: converted.value,
            yaml_strict_error: converted.strict_error,
        })
    }
}

/// Decodes the document into the types of API version `package` (`v1`...). `Err` is the text
/// of kube-apiserver's error: a type error, a duration error, or the strict decoding error.
pub(crate) fn decode_strict(
    document: &Document,
    package: &'static str,
) -> Result<AuthorizationConfiguration, String> {
    let decoded = typed::decode(&document.value, package)?;
    let strict: Vec<&str> = document
        .yaml_strict_error
        .iter()
        .map(String::as_str)
        .chain(decoded.strict_errors.iter().map(String::as_str))
        .collect();
    if strict.is_empty() {
        Ok(decoded.config)
    } else {
        Err(format!("strict decoding error: {}", strict.join(", ")))
    }
}
