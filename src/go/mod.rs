//! Go-compatible text formats that Kubernetes prints and that authz-chain must reproduce byte for
//! byte: `strconv.Quote` (`%q`), `time.Duration` parsing and printing, `json.Marshal` of strings
//! and of the values field errors show, the apimachinery error aggregate, and `sort.Slice`'s
//! order.

mod aggregate;
mod duration;
mod json;
mod quote;
mod sort;
mod strconv;

pub use aggregate::format_aggregate;
pub use duration::{Duration, DurationError};
pub use json::{GoJson, json_string, json_strings, write_json_string};
pub use quote::{quote, write_quoted};
pub use sort::sort_slice;
pub use strconv::{format_g, parse_bool, parse_float, parse_int, parse_uint};
