//! apimachinery's `utilerrors.NewAggregate(...).Error()`: one message alone, several de-duplicated
//! by text (first occurrence kept), joined with `", "` and wrapped in brackets.

/// Formats messages as a Kubernetes error aggregate.
///
/// ```
/// use authz_chain::go::format_aggregate;
/// assert_eq!(format_aggregate(["a"]), "a");
/// assert_eq!(format_aggregate(["a", "b", "a"]), "[a, b]");
/// assert_eq!(format_aggregate(["a", "a"]), "a");
/// ```
pub fn format_aggregate<I, S>(messages: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut seen: Vec<S> = Vec::new();
    for message in messages {
        if !seen.iter().any(|s| s.as_ref() == message.as_ref()) {
            seen.push(message);
        }
    }
    match seen.len() {
        0 => String::new(),
        1 => seen[0].as_ref().to_owned(),
        _ => {
            let mut out = String::from("[");
            for (i, message) in seen.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(message.as_ref());
            }
            out.push(']');
            out
        }
    }
}
