//! Overload identifiers as one Rust type. Each library declares its overloads
//! with [`overloads!`]: a variant per overload, with cel-go's overload id, the
//! signature the type checker sees and the cost cel-go charges for a call
//! resolved to it. The library's `call` matches its enum exhaustively, so an
//! overload declared without an implementation or a cost does not compile.
//! [`Overload`] gathers the libraries; the declarations ([`super::stdlib`]),
//! the dispatch ([`super::dispatch`]) and the costs ([`super::cost`]) all use
//! it.

use super::cost::CostKind;
use super::fn_lists::Lists;
use super::fn_net::Net;
use super::fn_quantity::Quantities;
use super::fn_regex::Regex;
use super::fn_semver_format::SemverFormat;
use super::fn_std::Std;
use super::fn_strings::Strings;
use super::fn_time::Time;
use super::fn_url::Urls;

/// An overload's signature in the compact type notation of
/// [`super::types::parse_type`]; `args` include the receiver of a member.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signature {
    /// The function name, e.g. `_==_` or `sets.contains`.
    pub function: &'static str,
    /// Whether the overload is called as `target.f(args)`.
    pub member: bool,
    /// Argument types, the receiver first for member overloads.
    pub args: &'static [&'static str],
    /// Result type.
    pub result: &'static str,
}

/// Declares a library's overload enum. Each line reads
/// `Variant = "cel-go id" member|global "function"("arg", ...) -> "result", cost;`
/// where `cost` is a [`CostKind`] (its variants are in scope).
macro_rules! overloads {
    (
        $(#[$doc:meta])*
        $name:ident {
            $($variant:ident = $id:literal $kind:ident $function:literal
                ($($arg:literal),*) -> $result:literal, $cost:expr;)*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(clippy::enum_variant_names)] // cel-go's ids, camel-cased
        pub(crate) enum $name {
            $(
                #[doc = concat!("`", $id, "`")]
                $variant,
            )*
        }

        impl $name {
            /// Every overload of the library, in declaration order.
            pub(crate) const ALL: &'static [Self] = &[$(Self::$variant,)*];

            /// cel-go's overload id.
            pub(crate) const fn id(self) -> &'static str {
                match self {
                    $(Self::$variant => $id,)*
                }
            }

            /// The signature the type checker sees.
            pub(crate) const fn signature(self) -> $crate::cel::overload::Signature {
                match self {
                    $(Self::$variant => $crate::cel::overload::Signature {
                        function: $function,
                        member: $crate::cel::overload::overloads!(@member $kind),
                        args: &[$($arg),*],
                        result: $result,
                    },)*
                }
            }

            /// How a call statically resolved to this overload is charged.
            pub(crate) const fn cost(self) -> $crate::cel::cost::CostKind {
                #[allow(unused_imports)]
                use $crate::cel::cost::{CostKind::*, STRING_TRAVERSAL};
                match self {
                    $(Self::$variant => $cost,)*
                }
            }
        }

        impl From<$name> for $crate::cel::overload::Overload {
            fn from(o: $name) -> Self {
                $crate::cel::overload::Overload::$name(o)
            }
        }
    };
    (@member member) => { true };
    (@member global) => { false };
}
pub(crate) use overloads;

overloads! {
    /// Overloads the planner turns into nodes of their own (logic, the
    /// conditional, indexing, optional selection) and equality, which
    /// applies to every type.
    Interpreted {
        NotStrictlyFalse = "not_strictly_false" global "@not_strictly_false"("bool") -> "bool", One;
        NotEquals = "not_equals" global "_!=_"("A", "A") -> "bool", MinSize;
        LogicalAnd = "logical_and" global "_&&_"("bool", "bool") -> "bool", One;
        Equals = "equals" global "_==_"("A", "A") -> "bool", Equality;
        SelectOptionalField = "select_optional_field" global "_?._"("dyn", "string") -> "optional_type(V)", One;
        Conditional = "conditional" global "_?_:_"("bool", "A", "A") -> "A", One;
        ListOptindexOptionalInt = "list_optindex_optional_int" global "_[?_]"("list(V)", "int") -> "optional_type(V)", One;
        OptionalListOptindexOptionalInt = "optional_list_optindex_optional_int" global "_[?_]"("optional_type(list(V))", "int") -> "optional_type(V)", One;
        MapOptindexOptionalValue = "map_optindex_optional_value" global "_[?_]"("map(K, V)", "K") -> "optional_type(V)", One;
        OptionalMapOptindexOptionalValue = "optional_map_optindex_optional_value" global "_[?_]"("optional_type(map(K, V))", "K") -> "optional_type(V)", One;
        IndexList = "index_list" global "_[_]"("list(A)", "int") -> "A", One;
        IndexMap = "index_map" global "_[_]"("map(A, B)", "A") -> "B", One;
        OptionalListIndexInt = "optional_list_index_int" global "_[_]"("optional_type(list(V))", "int") -> "optional_type(V)", One;
        OptionalMapIndexValue = "optional_map_index_value" global "_[_]"("optional_type(map(K, V))", "K") -> "optional_type(V)", One;
        LogicalOr = "logical_or" global "_||_"("bool", "bool") -> "bool", One;
    }
}

overloads! {
    /// The authorizer library (`authorizer.path(...)`, `.check(...)`,
    /// selectors). It is declared, as kube-apiserver's base environment
    /// declares it, but authorization `matchConditions` bind no
    /// `authorizer` variable, so no value of these types exists and every
    /// call is "no such overload".
    Authz {
        DecisionAllowed = "decision_allowed" member "allowed"("kubernetes.authorization.Decision") -> "bool", One;
        PathcheckCheck = "pathcheck_check" member "check"("kubernetes.authorization.PathCheck", "string") -> "kubernetes.authorization.Decision", One;
        ResourcecheckCheck = "resourcecheck_check" member "check"("kubernetes.authorization.ResourceCheck", "string") -> "kubernetes.authorization.Decision", One;
        DecisionError = "decision_error" member "error"("kubernetes.authorization.Decision") -> "string", One;
        DecisionErrored = "decision_errored" member "errored"("kubernetes.authorization.Decision") -> "bool", One;
        AuthorizerFieldselector = "authorizer_fieldselector" member "fieldSelector"("kubernetes.authorization.ResourceCheck", "string") -> "kubernetes.authorization.ResourceCheck", One;
        AuthorizerGroup = "authorizer_group" member "group"("kubernetes.authorization.Authorizer", "string") -> "kubernetes.authorization.GroupCheck", One;
        AuthorizerLabelselector = "authorizer_labelselector" member "labelSelector"("kubernetes.authorization.ResourceCheck", "string") -> "kubernetes.authorization.ResourceCheck", One;
        ResourcecheckName = "resourcecheck_name" member "name"("kubernetes.authorization.ResourceCheck", "string") -> "kubernetes.authorization.ResourceCheck", One;
        ResourcecheckNamespace = "resourcecheck_namespace" member "namespace"("kubernetes.authorization.ResourceCheck", "string") -> "kubernetes.authorization.ResourceCheck", One;
        AuthorizerPath = "authorizer_path" member "path"("kubernetes.authorization.Authorizer", "string") -> "kubernetes.authorization.PathCheck", One;
        DecisionReason = "decision_reason" member "reason"("kubernetes.authorization.Decision") -> "string", One;
        GroupcheckResource = "groupcheck_resource" member "resource"("kubernetes.authorization.GroupCheck", "string") -> "kubernetes.authorization.ResourceCheck", One;
        AuthorizerServiceaccount = "authorizer_serviceaccount" member "serviceAccount"("kubernetes.authorization.Authorizer", "string", "string") -> "kubernetes.authorization.Authorizer", One;
        ResourcecheckSubresource = "resourcecheck_subresource" member "subresource"("kubernetes.authorization.ResourceCheck", "string") -> "kubernetes.authorization.ResourceCheck", One;
    }
}

/// Every overload of the environment, by the library implementing it.
/// Shown (`{:?}`) as cel-go's overload id.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overload {
    /// Planned as nodes, and equality.
    Interpreted(Interpreted),
    /// The standard library: operators, conversions, sizes.
    Std(Std),
    /// Timestamp and duration accessors.
    Time(Time),
    /// `matches`, `find`, `findAll`.
    Regex(Regex),
    /// Lists, sets and optional values.
    Lists(Lists),
    /// Kubernetes quantities.
    Quantities(Quantities),
    /// cel-go's strings extension.
    Strings(Strings),
    /// IP addresses and CIDRs.
    Net(Net),
    /// URLs.
    Urls(Urls),
    /// Semantic versions and named formats.
    SemverFormat(SemverFormat),
    /// The authorizer library (declared only).
    Authz(Authz),
}

macro_rules! each_library {
    ($self:expr, $o:ident => $e:expr) => {
        match $self {
            Overload::Interpreted($o) => $e,
            Overload::Std($o) => $e,
            Overload::Time($o) => $e,
            Overload::Regex($o) => $e,
            Overload::Lists($o) => $e,
            Overload::Quantities($o) => $e,
            Overload::Strings($o) => $e,
            Overload::Net($o) => $e,
            Overload::Urls($o) => $e,
            Overload::SemverFormat($o) => $e,
            Overload::Authz($o) => $e,
        }
    };
}

impl Overload {
    /// cel-go's overload id.
    pub(crate) fn id(self) -> &'static str {
        each_library!(self, o => o.id())
    }

    /// The signature the type checker sees.
    pub(crate) fn signature(self) -> Signature {
        each_library!(self, o => o.signature())
    }

    /// How a call statically resolved to this overload is charged.
    pub(crate) fn cost(self) -> CostKind {
        each_library!(self, o => o.cost())
    }

    /// Every overload, in declaration order: libraries in the order
    /// kube-apiserver's environment adds them where one function spans two
    /// (`string` of the standard library before `string(ip)`, lists'
    /// `indexOf` before the strings extension's, quantity's `compareTo`
    /// before semver's).
    pub(crate) fn all() -> impl Iterator<Item = Overload> {
        std::iter::empty()
            .chain(Interpreted::ALL.iter().copied().map(Overload::from))
            .chain(Std::ALL.iter().copied().map(Overload::from))
            .chain(Time::ALL.iter().copied().map(Overload::from))
            .chain(Regex::ALL.iter().copied().map(Overload::from))
            .chain(Lists::ALL.iter().copied().map(Overload::from))
            .chain(Quantities::ALL.iter().copied().map(Overload::from))
            .chain(Strings::ALL.iter().copied().map(Overload::from))
            .chain(Net::ALL.iter().copied().map(Overload::from))
            .chain(Urls::ALL.iter().copied().map(Overload::from))
            .chain(SemverFormat::ALL.iter().copied().map(Overload::from))
            .chain(Authz::ALL.iter().copied().map(Overload::from))
    }
}

impl std::fmt::Debug for Overload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_as_in_cel_go() {
        let mut seen = HashSet::new();
        for o in Overload::all() {
            assert!(seen.insert(o.id()), "{} is declared twice", o.id());
        }
        assert_eq!(seen.len(), 344);
    }

    #[test]
    fn members_have_a_receiver() {
        for o in Overload::all() {
            let sig = o.signature();
            assert!(!sig.member || !sig.args.is_empty(), "{o:?}");
        }
    }
}
