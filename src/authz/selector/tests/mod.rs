//! Ported apimachinery / kubernetes test tables plus wire-data checks.

mod field_tests;
mod label_tests;
mod requirement_tests;
mod sar_tests;
mod webhook_tests;
mod wire_tests;
