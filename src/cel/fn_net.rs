//! The Kubernetes IP and CIDR libraries: Go's `netip.ParseAddr` /
//! `netip.ParsePrefix` with their error texts, and the address predicates.

use super::error::Error;
use super::ext_types::Ext;
use super::value::Value;
use crate::go::quote;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A CIDR prefix: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    pub addr: IpAddr,
    pub bits: u8,
}

fn addr_error(input: &str, msg: &str, at: &str) -> String {
    if at.is_empty() {
        format!("ParseAddr({}): {msg}", quote(input))
    } else {
        format!("ParseAddr({}): {msg} (at {})", quote(input), quote(at))
    }
}

/// Go's `netip.ParseAddr`; `Err` is Go's message. Zones are returned so the
/// caller can reject them.
pub(crate) fn parse_addr(s: &str) -> Result<(IpAddr, bool), String> {
    for b in s.bytes() {
        match b {
            b'.' => {
                let mut f = [0u8; 4];
                parse_v4_fields(s, 0, s.len(), &mut f)?;
                return Ok((IpAddr::V4(Ipv4Addr::from(f)), false));
            }
            b':' => return parse_v6(s),
            b'%' => return Err(addr_error(s, "missing IPv6 address", "")),
            _ => {}
        }
    }
    Err(addr_error(s, "unable to parse IP", ""))
}

fn parse_v4_fields(input: &str, off: usize, end: usize, fields: &mut [u8]) -> Result<(), String> {
    let s = &input.as_bytes()[off..end];
    let at = |i: usize| input.get(off + i..end).unwrap_or("");
    let (mut val, mut pos, mut digits) = (0u32, 0usize, 0u32);
    for (i, &c) in s.iter().enumerate() {
        if c.is_ascii_digit() {
            if digits == 1 && val == 0 {
                return Err(addr_error(
                    input,
                    "IPv4 field has octet with leading zero",
                    "",
                ));
            }
            val = val * 10 + u32::from(c - b'0');
            digits += 1;
            if val > 255 {
                return Err(addr_error(input, "IPv4 field has value >255", ""));
            }
        } else if c == b'.' {
            if i == 0 || i == s.len() - 1 || s[i - 1] == b'.' {
                return Err(addr_error(
                    input,
                    "IPv4 field must have at least one digit",
                    at(i),
                ));
            }
            if pos == 3 {
                return Err(addr_error(input, "IPv4 address too long", ""));
            }
            fields[pos] = val as u8;
            pos += 1;
            val = 0;
            digits = 0;
        } else {
            return Err(addr_error(input, "unexpected character", at(i)));
        }
    }
    if pos < 3 {
        return Err(addr_error(input, "IPv4 address too short", ""));
    }
    fields[3] = val as u8;
    Ok(())
}

fn parse_v6(input: &str) -> Result<(IpAddr, bool), String> {
    let (mut s, zone) = match input.find('%') {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => (input, ""),
    };
    if input.contains('%') && zone.is_empty() {
        return Err(addr_error(input, "zone must be a non-empty string", ""));
    }
    let has_zone = !zone.is_empty();
    let mut ip = [0u8; 16];
    let mut ellipsis: Option<usize> = None;
    if s.starts_with("::") {
        ellipsis = Some(0);
        s = &s[2..];
        if s.is_empty() {
            return Ok((IpAddr::V6(Ipv6Addr::UNSPECIFIED), has_zone));
        }
    }
    let mut i = 0usize;
    while i < 16 {
        let b = s.as_bytes();
        let mut off = 0;
        let mut acc = 0u32;
        while off < b.len() {
            let Some(d) = (b[off] as char).to_digit(16) else {
                break;
            };
            acc = (acc << 4) + d;
            if acc > 0xffff {
                return Err(addr_error(input, "IPv6 field has value >=2^16", s));
            }
            off += 1;
        }
        if off == 0 {
            return Err(addr_error(
                input,
                "each colon-separated field must have at least one digit",
                s,
            ));
        }
        if off < b.len() && b[off] == b'.' {
            if ellipsis.is_none() && i != 12 {
                return Err(addr_error(
                    input,
                    "embedded IPv4 address must replace the final 2 fields of the address",
                    s,
                ));
            }
            if i + 4 > 16 {
                return Err(addr_error(
                    input,
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                    s,
                ));
            }
            let end = input.len() - if has_zone { zone.len() + 1 } else { 0 };
            parse_v4_fields(input, end - s.len(), end, &mut ip[i..i + 4])?;
            s = "";
            i += 4;
            break;
        }
        ip[i] = (acc >> 8) as u8;
        ip[i + 1] = acc as u8;
        i += 2;
        s = &s[off..];
        if s.is_empty() {
            break;
        }
        if !s.starts_with(':') {
            return Err(addr_error(input, "unexpected character, want colon", s));
        } else if s.len() == 1 {
            return Err(addr_error(
                input,
                "colon must be followed by more characters",
                s,
            ));
        }
        s = &s[1..];
        if s.starts_with(':') {
            if ellipsis.is_some() {
                return Err(addr_error(input, "multiple :: in address", s));
            }
            ellipsis = Some(i);
            s = &s[1..];
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return Err(addr_error(input, "trailing garbage after address", s));
    }
    if i < 16 {
        let Some(e) = ellipsis else {
            return Err(addr_error(input, "address string too short", ""));
        };
        let n = 16 - i;
        for j in (e..i).rev() {
            ip[j + n] = ip[j];
        }
        ip[e..e + n].fill(0);
    } else if ellipsis.is_some() {
        return Err(addr_error(
            input,
            "the :: must expand to at least one field of zeros",
            "",
        ));
    }
    Ok((IpAddr::V6(Ipv6Addr::from(ip)), has_zone))
}

fn is_4in6(a: &IpAddr) -> bool {
    matches!(a, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some())
}

/// The library's `parseIPAddr`, with its messages.
pub(crate) fn parse_ip(raw: &str) -> Result<IpAddr, String> {
    let (addr, zone) = parse_addr(raw).map_err(|e| {
        format!(
            "IP Address {} parse error during conversion from string: {e}",
            quote(raw)
        )
    })?;
    if zone {
        return Err(format!(
            "IP address {} with zone value is not allowed",
            quote(raw)
        ));
    }
    if is_4in6(&addr) {
        return Err(format!(
            "IPv4-mapped IPv6 address {} is not allowed",
            quote(raw)
        ));
    }
    Ok(addr)
}

/// Go's `netip.ParsePrefix`.
fn parse_prefix(s: &str) -> Result<Cidr, String> {
    let err = |msg: String| format!("netip.ParsePrefix({}): {msg}", quote(s));
    let Some(i) = s.rfind('/') else {
        return Err(err("no '/'".to_string()));
    };
    let (addr, zone) = parse_addr(&s[..i]).map_err(err)?;
    if zone {
        return Err(err("IPv6 zones cannot be present in a prefix".to_string()));
    }
    let bits_str = &s[i + 1..];
    let bad = || err(format!("bad bits after slash: {}", quote(bits_str)));
    let b = bits_str.as_bytes();
    if b.len() > 1 && !(b'1'..=b'9').contains(&b[0]) {
        return Err(bad());
    }
    let bits: i64 = super::golang::parse_int(bits_str).ok_or_else(bad)?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if !(0..=max).contains(&bits) {
        return Err(err("prefix length out of range".to_string()));
    }
    Ok(Cidr {
        addr,
        bits: bits as u8,
    })
}

/// The library's `parseCIDR`, with its messages.
pub(crate) fn parse_cidr(raw: &str) -> Result<Cidr, String> {
    let c = parse_prefix(raw)
        .map_err(|e| format!("network address parse error during conversion from string: {e}"))?;
    if is_4in6(&c.addr) {
        return Err(format!(
            "IPv4-mapped IPv6 address {} is not allowed",
            quote(raw)
        ));
    }
    Ok(c)
}

fn to_u128(a: &IpAddr) -> (u128, u32) {
    match a {
        IpAddr::V4(v4) => (u128::from(u32::from(*v4)), 32),
        IpAddr::V6(v6) => (u128::from(*v6), 128),
    }
}

fn from_u128(v: u128, width: u32) -> IpAddr {
    if width == 32 {
        IpAddr::V4(Ipv4Addr::from(v as u32))
    } else {
        IpAddr::V6(Ipv6Addr::from(v))
    }
}

impl Cidr {
    /// The prefix with host bits cleared.
    pub(crate) fn masked(&self) -> Cidr {
        let (v, w) = to_u128(&self.addr);
        let keep = u32::from(self.bits).min(w);
        let full = if w == 128 {
            u128::MAX
        } else {
            (1u128 << w) - 1
        };
        // All ones below the prefix; a /0 prefix of IPv6 keeps nothing.
        let host = 1u128.checked_shl(w - keep).map_or(u128::MAX, |bit| bit - 1);
        Cidr {
            addr: from_u128(v & full & !host, w),
            bits: self.bits,
        }
    }

    /// Go's `Prefix.Contains`.
    pub(crate) fn contains(&self, ip: &IpAddr) -> bool {
        if self.addr.is_ipv4() != ip.is_ipv4() {
            return false;
        }
        let other = Cidr {
            addr: *ip,
            bits: self.bits,
        };
        self.masked().addr == other.masked().addr
    }
}

/// `Prefix.String()`.
pub(crate) fn cidr_string(c: &Cidr) -> String {
    format!("{}/{}", c.addr, c.bits)
}

fn ip_arg(v: &Value<'_>) -> Option<IpAddr> {
    match v {
        Value::Ext(Ext::Ip(ip)) => Some(*ip),
        _ => None,
    }
}

fn cidr_arg(v: &Value<'_>) -> Option<Cidr> {
    match v {
        Value::Ext(Ext::Cidr(c)) => Some(*c),
        _ => None,
    }
}

fn is_link_local_unicast(a: &IpAddr) -> bool {
    match a {
        IpAddr::V4(v) => v.octets()[0] == 169 && v.octets()[1] == 254,
        IpAddr::V6(v) => v.segments()[0] & 0xffc0 == 0xfe80,
    }
}

fn is_multicast(a: &IpAddr) -> bool {
    match a {
        IpAddr::V4(v) => v.octets()[0] & 0xf0 == 0xe0,
        IpAddr::V6(v) => v.octets()[0] == 0xff,
    }
}

super::overload::overloads! {
    /// The IP and CIDR libraries.
    Net {
        StringToCidr = "string_to_cidr" global "cidr"("string") -> "net.CIDR", Scan(STRING_TRAVERSAL);
        CidrContainsCidrString = "cidr_contains_cidr_string" member "containsCIDR"("net.CIDR", "string") -> "bool", ContainsCidr(true);
        CidrContainsCidr = "cidr_contains_cidr" member "containsCIDR"("net.CIDR", "net.CIDR") -> "bool", ContainsCidr(false);
        CidrContainsIpString = "cidr_contains_ip_string" member "containsIP"("net.CIDR", "string") -> "bool", ContainsIp(true);
        CidrContainsIpIp = "cidr_contains_ip_ip" member "containsIP"("net.CIDR", "net.IP") -> "bool", ContainsIp(false);
        IpFamily = "ip_family" member "family"("net.IP") -> "int", One;
        StringToIp = "string_to_ip" global "ip"("string") -> "net.IP", Scan(STRING_TRAVERSAL);
        CidrIp = "cidr_ip" member "ip"("net.CIDR") -> "net.IP", One;
        IpIsCanonical = "ip_is_canonical" global "ip.isCanonical"("string") -> "bool", Scan(2.0 * STRING_TRAVERSAL);
        IsCidr = "is_cidr" global "isCIDR"("string") -> "bool", Scan(STRING_TRAVERSAL);
        IpIsGlobalUnicast = "ip_is_global_unicast" member "isGlobalUnicast"("net.IP") -> "bool", One;
        IsIp = "is_ip" global "isIP"("string") -> "bool", Scan(STRING_TRAVERSAL);
        IpIsLinkLocalMulticast = "ip_is_link_local_multicast" member "isLinkLocalMulticast"("net.IP") -> "bool", One;
        IpIsLinkLocalUnicast = "ip_is_link_local_unicast" member "isLinkLocalUnicast"("net.IP") -> "bool", One;
        IpIsLoopback = "ip_is_loopback" member "isLoopback"("net.IP") -> "bool", One;
        IpIsUnspecified = "ip_is_unspecified" member "isUnspecified"("net.IP") -> "bool", One;
        CidrMasked = "cidr_masked" member "masked"("net.CIDR") -> "net.CIDR", One;
        CidrPrefixLength = "cidr_prefix_length" member "prefixLength"("net.CIDR") -> "int", One;
        IpToString = "ip_to_string" global "string"("net.IP") -> "string", One;
        CidrToString = "cidr_to_string" global "string"("net.CIDR") -> "string", One;
    }
}

/// Calls of the IP and CIDR libraries.
pub(crate) fn call<'a>(overload: Net, args: &[Value<'a>]) -> Result<Value<'a>, Error> {
    let bad = || Err(Error::no_such_overload());
    let Some(arg0) = args.first() else {
        return Err(Error::no_such_overload());
    };
    match overload {
        Net::StringToIp | Net::IsIp | Net::IpIsCanonical => {
            let Some(s) = arg0.as_str() else {
                return bad();
            };
            match (overload, parse_ip(s)) {
                (Net::IsIp, r) => Ok(Value::Bool(r.is_ok())),
                (_, Err(e)) => Err(Error::msg(e)),
                (Net::StringToIp, Ok(ip)) => Ok(Value::Ext(Ext::Ip(ip))),
                (_, Ok(ip)) => Ok(Value::Bool(ip.to_string() == s)),
            }
        }
        Net::StringToCidr | Net::IsCidr => {
            let Some(s) = arg0.as_str() else {
                return bad();
            };
            match (overload, parse_cidr(s)) {
                (Net::IsCidr, r) => Ok(Value::Bool(r.is_ok())),
                (_, Err(e)) => Err(Error::msg(format!(
                    "network address parse error during conversion from string: {e}"
                ))),
                (_, Ok(c)) => Ok(Value::Ext(Ext::Cidr(c))),
            }
        }
        Net::IpToString => ip_arg(arg0).map_or_else(bad, |ip| Ok(Value::str(ip.to_string()))),
        Net::CidrToString => cidr_arg(arg0).map_or_else(bad, |c| Ok(Value::str(cidr_string(&c)))),
        Net::IpFamily => {
            ip_arg(arg0).map_or_else(bad, |ip| Ok(Value::Int(if ip.is_ipv4() { 4 } else { 6 })))
        }
        Net::IpIsUnspecified
        | Net::IpIsLoopback
        | Net::IpIsLinkLocalMulticast
        | Net::IpIsLinkLocalUnicast
        | Net::IpIsGlobalUnicast => {
            let Some(ip) = ip_arg(arg0) else {
                return bad();
            };
            let b = match overload {
                Net::IpIsUnspecified => ip.is_unspecified(),
                Net::IpIsLoopback => match ip {
                    IpAddr::V4(v) => v.octets()[0] == 127,
                    IpAddr::V6(v) => v == Ipv6Addr::LOCALHOST,
                },
                Net::IpIsLinkLocalMulticast => match ip {
                    IpAddr::V4(v) => v.octets()[..3] == [224, 0, 0],
                    IpAddr::V6(v) => v.segments()[0] & 0xff0f == 0xff02,
                },
                Net::IpIsLinkLocalUnicast => is_link_local_unicast(&ip),
                _ => {
                    let v4_special =
                        matches!(ip, IpAddr::V4(v) if v.is_unspecified() || v.is_broadcast());
                    !v4_special
                        && ip != IpAddr::V6(Ipv6Addr::UNSPECIFIED)
                        && !matches!(ip, IpAddr::V4(v) if v.octets()[0] == 127)
                        && ip != IpAddr::V6(Ipv6Addr::LOCALHOST)
                        && !is_multicast(&ip)
                        && !is_link_local_unicast(&ip)
                }
            };
            Ok(Value::Bool(b))
        }
        Net::CidrIp => cidr_arg(arg0).map_or_else(bad, |c| Ok(Value::Ext(Ext::Ip(c.addr)))),
        Net::CidrPrefixLength => cidr_arg(arg0).map_or_else(bad, |c| Ok(Value::Int(c.bits.into()))),
        Net::CidrMasked => {
            cidr_arg(arg0).map_or_else(bad, |c| Ok(Value::Ext(Ext::Cidr(c.masked()))))
        }
        Net::CidrContainsIpIp | Net::CidrContainsIpString => {
            let Some(c) = cidr_arg(arg0) else {
                return bad();
            };
            let other = match args.get(1).unwrap_or(&Value::Null) {
                Value::String(s) => parse_ip(s.as_str()).ok(),
                v => ip_arg(v),
            };
            // An unparsable string reaches cidrContainsIP as an error value,
            // which reports a plain "no such overload".
            other.map_or_else(bad, |ip| Ok(Value::Bool(c.contains(&ip))))
        }
        Net::CidrContainsCidr | Net::CidrContainsCidrString => {
            let Some(c) = cidr_arg(arg0) else {
                return bad();
            };
            // As for containsIP, an unparsable string reaches the check as an
            // error value and reports a plain "no such overload".
            let other = match args.get(1).unwrap_or(&Value::Null) {
                Value::String(s) => parse_cidr(s.as_str()).ok(),
                v => cidr_arg(v),
            };
            let Some(other) = other else {
                return bad();
            };
            // The other prefix lies inside the masked one: its address,
            // masked to this prefix's length, is this network (kube-apiserver
            // 1.36: `cidr('10.0.0.1/24').containsCIDR('10.0.0.1/25')` is true).
            let widened = Cidr {
                addr: other.addr,
                bits: c.bits,
            };
            let same = c.masked().addr == widened.masked().addr && c.bits <= other.bits;
            Ok(Value::Bool(same))
        }
    }
}
