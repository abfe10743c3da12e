//! The operators' questions, answered by the serving chain and its indexes: `explain` (why a
//! decision), `who-can` (every subject RBAC allows) and `access-matrix` (everything one user
//! may do).

pub mod access_matrix;
pub mod explain;
