//! The core of `authz-chain eval`: answer SubjectAccessReviews read from a file or stdin, one response per line,
//! through the same chain and the same conversions as the server.

use crate::authz::Chain;
use crate::review;

/// The answer to one input document: a response line, or the reason it could not be answered.
#[derive(Debug)]
pub struct EvalLine {
    /// The JSON text to print (a SubjectAccessReview with `status`, or a Kubernetes `Status` for
    /// input that is not a valid review).
    pub output: String,
    /// Set when the input could not be answered.
    pub error: Option<String>,
}

/// Splits input into SubjectAccessReview documents: JSON lines (one object per non-blank line), a
/// single JSON document, or YAML documents.
pub fn split_documents(input: &str) -> Result<Vec<serde_json::Value>, String> {
    let lines: Vec<&str> = input.lines().filter(|l| !l.trim().is_empty()).collect();
    let as_lines: Result<Vec<serde_json::Value>, _> =
        lines.iter().map(|l| serde_json::from_str(l)).collect();
    if let Ok(values) = as_lines
        && values.iter().all(|v| v.is_object())
    {
        return Ok(values);
    }
    if input.trim_start().starts_with('{') {
        let values: Result<Vec<serde_json::Value>, _> = serde_json::Deserializer::from_str(input)
            .into_iter()
            .collect();
        return values.map_err(|e| format!("input is not valid JSON: {e}"));
    }
    let values: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(input).map_err(|e| format!("input is not valid YAML: {e}"))?;
    Ok(values.into_iter().filter(|v| !v.is_null()).collect())
}

/// Answers one document.
pub async fn eval_document(chain: &Chain, document: &serde_json::Value) -> EvalLine {
    let body = document.to_string();
    let result = async {
        let review = review::decode(body.as_bytes())?;
        let request = review::to_request(&review)?;
        let outcome = chain.evaluate(&request).await;
        Ok::<_, review::ReviewError>(review::answer(&review, &request, &outcome.verdict))
    }
    .await;
    match result {
        Ok(answer) => EvalLine {
            output: serde_json::to_string(&answer).unwrap_or_default(),
            error: None,
        },
        Err(error) => EvalLine {
            output: serde_json::json!({
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "message": error.to_string(),
                "code": error.http_status(),
            })
            .to_string(),
            error: Some(error.to_string()),
        },
    }
}
