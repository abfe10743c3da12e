//! Values of the Kubernetes library types: `net.IP`, `net.CIDR`,
//! `kubernetes.URL`, `kubernetes.Quantity`, `kubernetes.Semver` and
//! `kubernetes.NamedFormat`, with their equality.

use super::fn_net::Cidr;
use super::fn_semver_format::{Semver, compare};
use super::fn_url::Url;
use super::quantity::Quantity;
use super::types::{CIDR, IP, NAMED_FORMAT, QUANTITY, SEMVER, URL};
use std::net::IpAddr;
use std::sync::Arc;

/// A Kubernetes library value.
#[derive(Debug, Clone)]
pub(crate) enum Ext {
    Ip(IpAddr),
    Cidr(Cidr),
    Url(Arc<Url>),
    Quantity(Arc<Quantity>),
    Semver(Arc<Semver>),
    /// Index into [`super::fn_semver_format::FORMATS`].
    Format(usize),
}

impl Ext {
    /// The CEL type name.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Ext::Ip(_) => IP,
            Ext::Cidr(_) => CIDR,
            Ext::Url(_) => URL,
            Ext::Quantity(_) => QUANTITY,
            Ext::Semver(_) => SEMVER,
            Ext::Format(_) => NAMED_FORMAT,
        }
    }

    /// The library types' `Equal`.
    pub(crate) fn equals(&self, other: &Ext) -> bool {
        match (self, other) {
            (Ext::Ip(a), Ext::Ip(b)) => a == b,
            (Ext::Cidr(a), Ext::Cidr(b)) => a == b,
            (Ext::Url(a), Ext::Url(b)) => a == b,
            (Ext::Quantity(a), Ext::Quantity(b)) => a == b,
            (Ext::Semver(a), Ext::Semver(b)) => compare(a, b).is_eq(),
            (Ext::Format(a), Ext::Format(b)) => a == b,
            _ => false,
        }
    }
}
