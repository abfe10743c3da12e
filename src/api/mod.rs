//! Wire types: the Kubernetes objects authz-chain reads and writes, as serde structs. They describe
//! data, not behaviour; the core converts them at the edges.

pub mod de;
pub mod manifest;
pub mod meta;
pub mod pod;
pub mod rbac;
pub mod sar;
pub mod storage;
