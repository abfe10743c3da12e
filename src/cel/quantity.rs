//! apimachinery's `resource.Quantity` as the CEL quantity library sees it:
//! `ParseQuantity` (grammar, suffixes, error texts, rounding up to the nano,
//! the cap of binary-suffixed values) and the two forms a value takes — a
//! fast `int64Amount` (an int64 and a base-10 exponent, kept as written:
//! `2000m` is 2000×10⁻³) or an `inf.Dec` — because `isInteger`,
//! `asInteger` and `asApproximateFloat` answer from the form, not only the
//! number. Arithmetic stays on the fast form while it is exact, as upstream
//! does. Values past ±1.7×10²⁹ units saturate (upstream's `inf.Dec` is
//! unbounded).

use std::cmp::Ordering;

pub(crate) const ERR_FORMAT: &str = "quantities must match the regular expression \
    '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
pub(crate) const ERR_SUFFIX: &str = "unable to parse quantity's suffix";
const ERR_NUMERIC: &str = "unable to parse numeric part of quantity";
/// One unit in nanos.
pub(crate) const NANO: i128 = 1_000_000_000;
/// `maxAllowed`: binary-suffixed values are capped at `2^63 - 1`.
const MAX_ALLOWED: i128 = i64::MAX as i128;

/// The two representations of apimachinery's `Quantity`.
#[derive(Debug, Clone, Copy)]
enum Amount {
    /// `int64Amount`: `value × 10^scale`.
    Int { value: i64, scale: i32 },
    /// `inf.Dec`: `unscaled × 10^-scale`.
    Dec { unscaled: i128, scale: i32 },
}

/// A quantity in the form apimachinery holds it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Quantity {
    amount: Amount,
}

impl PartialEq for Quantity {
    /// `Quantity.Equal`: the same number, whatever the form.
    fn eq(&self, other: &Self) -> bool {
        self.nanos() == other.nanos()
    }
}

fn pow10(e: u32) -> Option<i128> {
    10i128.checked_pow(e)
}

/// `x × 10^e` for a signed `e`, exact when `e >= 0`, truncating otherwise.
fn shift(x: i128, e: i64) -> i128 {
    if e >= 0 {
        u32::try_from(e)
            .ok()
            .and_then(pow10)
            .and_then(|p| x.checked_mul(p))
            .unwrap_or(if x < 0 { i128::MIN } else { i128::MAX })
    } else {
        u32::try_from(-e).ok().and_then(pow10).map_or(0, |p| x / p)
    }
}

/// Go's `math.Pow10`, from the same tables (so products round the same).
fn go_pow10(n: i32) -> f64 {
    const TAB: [f64; 32] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31,
    ];
    const POS32: [f64; 10] = [
        1e0, 1e32, 1e64, 1e96, 1e128, 1e160, 1e192, 1e224, 1e256, 1e288,
    ];
    const NEG32: [f64; 11] = [
        1e-0, 1e-32, 1e-64, 1e-96, 1e-128, 1e-160, 1e-192, 1e-224, 1e-256, 1e-288, 1e-320,
    ];
    match n {
        0..=308 => POS32[(n / 32) as usize] * TAB[(n % 32) as usize],
        -323..=-1 => NEG32[(-n / 32) as usize] / TAB[(-n % 32) as usize],
        n if n > 0 => f64::INFINITY,
        _ => 0.0,
    }
}

impl Quantity {
    /// `NewQuantity(value, DecimalExponent)`.
    pub(crate) fn from_int(value: i64) -> Quantity {
        Quantity {
            amount: Amount::Int { value, scale: 0 },
        }
    }

    /// The exact value in nanos (saturating past the i128 range).
    pub(crate) fn nanos(&self) -> i128 {
        match self.amount {
            Amount::Int { value, scale } => shift(i128::from(value), i64::from(scale) + 9),
            Amount::Dec { unscaled, scale } => shift(unscaled, 9 - i64::from(scale)),
        }
    }

    /// `Cmp`.
    pub(crate) fn cmp(&self, other: &Quantity) -> Ordering {
        self.nanos().cmp(&other.nanos())
    }

    /// `Sign`.
    pub(crate) fn sign(&self) -> i64 {
        self.nanos().signum() as i64
    }

    /// `AsInt64`: only the fast form at a non-negative exponent converts.
    pub(crate) fn as_int64(&self) -> Option<i64> {
        match self.amount {
            Amount::Int { value, scale: 0 } => Some(value),
            Amount::Int { value, scale } if scale > 0 => {
                let p = i64::try_from(pow10(u32::try_from(scale).ok()?)?).ok()?;
                value.checked_mul(p)
            }
            _ => None,
        }
    }

    /// `AsApproximateFloat64`: mantissa times Go's `math.Pow10(exponent)`.
    pub(crate) fn as_approximate_f64(&self) -> f64 {
        let (base, exponent) = match self.amount {
            Amount::Int { value, scale } => (value as f64, scale),
            Amount::Dec { unscaled, scale } => (unscaled as f64, -scale),
        };
        if exponent == 0 {
            base
        } else {
            base * go_pow10(exponent)
        }
    }

    /// The `inf.Dec` form (`ToDec`).
    fn to_dec(self) -> (i128, i32) {
        match self.amount {
            Amount::Int { value, scale } => (i128::from(value), -scale),
            Amount::Dec { unscaled, scale } => (unscaled, scale),
        }
    }

    /// `inf.Dec` addition: the operands aligned to the larger scale.
    fn dec_add(self, other: Quantity) -> Quantity {
        let ((a, sa), (b, sb)) = (self.to_dec(), other.to_dec());
        let scale = sa.max(sb);
        let align = |x: i128, s: i32| shift(x, i64::from(scale) - i64::from(s));
        Quantity {
            amount: Amount::Dec {
                unscaled: align(a, sa).saturating_add(align(b, sb)),
                scale,
            },
        }
    }

    /// `Quantity.Add`.
    pub(crate) fn add(self, other: Quantity) -> Quantity {
        if let (
            Amount::Int {
                value: a,
                scale: sa,
            },
            Amount::Int {
                value: b,
                scale: sb,
            },
        ) = (self.amount, other.amount)
            && let Some((value, scale)) = int64_add(a, sa, b, sb)
        {
            return Quantity {
                amount: Amount::Int { value, scale },
            };
        }
        self.dec_add(other)
    }

    /// `Quantity.Sub`.
    pub(crate) fn sub(self, other: Quantity) -> Quantity {
        if let (
            Amount::Int {
                value: a,
                scale: sa,
            },
            Amount::Int {
                value: b,
                scale: sb,
            },
        ) = (self.amount, other.amount)
            && let Some(neg) = b.checked_neg()
            && let Some((value, scale)) = int64_add(a, sa, neg, sb)
        {
            return Quantity {
                amount: Amount::Int { value, scale },
            };
        }
        let (b, sb) = other.to_dec();
        self.dec_add(Quantity {
            amount: Amount::Dec {
                unscaled: b.saturating_neg(),
                scale: sb,
            },
        })
    }

    /// `Quantity.Mul`: the fast form while the product and its value at the
    /// exponent are exact, else `inf.Dec`.
    pub(crate) fn mul(self, y: i64) -> Quantity {
        if let Amount::Int { value, scale } = self.amount {
            let exact = |c: &i64| {
                if scale >= 0 {
                    shift(i128::from(*c), i64::from(scale)).abs() <= i128::from(i64::MAX)
                } else {
                    let p = pow10(scale.unsigned_abs()).unwrap_or(i128::MAX);
                    i128::from(*c) % p == 0
                }
            };
            let fast = match (value, y) {
                (0, _) => Some((value, scale)),
                (_, 0) => Some((0, 0)),
                _ => value.checked_mul(y).filter(exact).map(|c| (c, scale)),
            };
            if let Some((value, scale)) = fast {
                return Quantity {
                    amount: Amount::Int { value, scale },
                };
            }
        }
        let (u, s) = self.to_dec();
        Quantity {
            amount: Amount::Dec {
                unscaled: u.saturating_mul(i128::from(y)),
                scale: s,
            },
        }
    }

    /// A quantity of exactly `nanos` (division results).
    pub(crate) fn from_nanos(nanos: i128) -> Quantity {
        Quantity {
            amount: Amount::Dec {
                unscaled: nanos,
                scale: 9,
            },
        }
    }
}

/// `int64Amount.Add`: `None` when it overflows (the caller falls back).
fn int64_add(a: i64, sa: i32, b: i64, sb: i32) -> Option<(i64, i32)> {
    if b == 0 {
        return Some((a, sa));
    }
    if a == 0 {
        return Some((b, sb));
    }
    let up = |x: i64, by: i32| -> Option<i64> {
        let p = i64::try_from(pow10(u32::try_from(by).ok()?)?).ok()?;
        x.checked_mul(p)
    };
    match sa.cmp(&sb) {
        Ordering::Equal => a.checked_add(b).map(|c| (c, sa)),
        Ordering::Greater => up(a, sa - sb)?.checked_add(b).map(|c| (c, sb)),
        Ordering::Less => a.checked_add(up(b, sb - sa)?).map(|c| (c, sa)),
    }
}

struct Parts<'s> {
    positive: bool,
    value: &'s str,
    num: &'s str,
    denom: &'s str,
    suffix: &'s str,
}

/// apimachinery's `parseQuantityString`.
fn split(s: &str) -> Result<Parts<'_>, &'static str> {
    let b = s.as_bytes();
    let end = b.len();
    let mut pos = 0;
    let mut positive = true;
    match b.first() {
        Some(b'-') => {
            positive = false;
            pos += 1;
        }
        Some(b'+') => pos += 1,
        _ => {}
    }
    let mut p = Parts {
        positive,
        value: "0",
        num: "0",
        denom: "",
        suffix: "",
    };
    while pos < end && b[pos] == b'0' {
        pos += 1;
    }
    if pos >= end {
        return Ok(p);
    }
    let start = pos;
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    p.num = if pos == start { "0" } else { &s[start..pos] };
    if pos >= end {
        p.value = s;
        return Ok(p);
    }
    if b[pos] == b'.' {
        pos += 1;
        let ds = pos;
        while pos < end && b[pos].is_ascii_digit() {
            pos += 1;
        }
        p.denom = &s[ds..pos];
        if pos >= end {
            p.value = s;
            return Ok(p);
        }
    }
    p.value = &s[..pos];
    let suffix_start = pos;
    while pos < end && b"eEinumkKMGTP".contains(&b[pos]) {
        pos += 1;
    }
    if pos < end && (b[pos] == b'-' || b[pos] == b'+') {
        pos += 1;
    }
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos < end {
        return Err(ERR_FORMAT);
    }
    p.suffix = &s[suffix_start..];
    Ok(p)
}

/// A suffix's base, exponent and whether the format is `BinarySI`, as
/// `quantitySuffixer.interpret`.
fn interpret(suffix: &str) -> Option<(u32, i64, bool)> {
    let dec = |e| Some((10, e, false));
    let bin = |e| Some((2, e, true));
    match suffix {
        "" => dec(0),
        "n" => dec(-9),
        "u" => dec(-6),
        "m" => dec(-3),
        "k" => dec(3),
        "M" => dec(6),
        "G" => dec(9),
        "T" => dec(12),
        "P" => dec(15),
        "E" => dec(18),
        "Ki" => bin(10),
        "Mi" => bin(20),
        "Gi" => bin(30),
        "Ti" => bin(40),
        "Pi" => bin(50),
        "Ei" => bin(60),
        s if s.len() > 1 && (s.starts_with('e') || s.starts_with('E')) => {
            super::golang::parse_int(&s[1..]).map(|e| (10, e, false))
        }
        _ => None,
    }
}

/// `ParseQuantity`'s fast path: an `int64Amount` when the digits fit its
/// precision budget and the exponent is at least nano.
fn fast_path(p: &Parts<'_>, exponent: i64, binary: bool) -> Option<Amount> {
    let digits = (p.num.len() + p.denom.len()) as i64;
    let (precision, scale, mantissa) = if binary {
        if exponent < 0 || !p.denom.is_empty() {
            return None;
        }
        // Go: 15 - len(num) - int32(float32(exponent)*3/10) - 1.
        let approx = (exponent as f32 * 3.0 / 10.0) as i64;
        (
            15 - p.num.len() as i64 - approx - 1,
            0,
            1i64.checked_shl(u32::try_from(exponent).ok()?)?,
        )
    } else {
        (18 - digits, exponent, 1)
    };
    let scale = scale - p.denom.len() as i64;
    if precision < 0 || scale < -9 {
        return None;
    }
    let value: i64 = format!("{}{}", p.num, p.denom).parse().ok()?;
    let result = value.checked_mul(mantissa)?;
    Some(Amount::Int {
        value: if p.positive { result } else { -result },
        scale: i32::try_from(scale).ok()?,
    })
}

/// `digits × 10^exp10 × 2^exp2` in nanos, rounded up in magnitude
/// (`inf.RoundUp` at scale 9), saturating.
fn slow_path_nanos(digits: &str, exp10: i64, exp2: u32) -> i128 {
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return 0;
    }
    // Keep at most 30 significant digits; dropped ones only force rounding up.
    let (kept, dropped) = digits.split_at(digits.len().min(30));
    let mut inexact = dropped.bytes().any(|c| c != b'0');
    let mut e = exp10.saturating_add(9).saturating_add(dropped.len() as i64);
    let mut v: i128 = kept.parse().unwrap_or(i128::MAX);
    for _ in 0..exp2 {
        v = v.saturating_mul(2);
    }
    while e > 0 && v < i128::MAX {
        v = v.saturating_mul(10);
        e -= 1;
    }
    while e < 0 && v > 0 {
        inexact |= v % 10 != 0;
        v /= 10;
        e += 1;
    }
    if inexact {
        v = v.saturating_add(1);
    }
    v
}

/// `resource.ParseQuantity`.
pub(crate) fn parse(s: &str) -> Result<Quantity, &'static str> {
    if s.is_empty() {
        return Err(ERR_FORMAT);
    }
    if s == "0" {
        return Ok(Quantity::from_int(0));
    }
    let p = split(s)?;
    let (base, exponent, binary) = interpret(p.suffix).ok_or(ERR_SUFFIX)?;
    if let Some(amount) = fast_path(&p, exponent, binary) {
        return Ok(Quantity { amount });
    }
    let numeric = p.value.trim_start_matches(['+', '-']);
    if numeric.is_empty() || numeric == "." {
        return Err(ERR_NUMERIC);
    }
    let digits = format!("{}{}", p.num, p.denom);
    let frac = p.denom.len() as i64;
    let magnitude = if base == 10 {
        slow_path_nanos(&digits, exponent.saturating_sub(frac), 0)
    } else {
        slow_path_nanos(&digits, -frac, exponent as u32)
    };
    let amount = if binary && magnitude > MAX_ALLOWED * NANO {
        Amount::Dec {
            unscaled: if p.positive {
                MAX_ALLOWED
            } else {
                -MAX_ALLOWED
            },
            scale: 0,
        }
    } else {
        Amount::Dec {
            unscaled: if p.positive { magnitude } else { -magnitude },
            scale: 9,
        }
    };
    Ok(Quantity { amount })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_quantities() {
        let n = |s: &str| parse(s).map(|q| q.nanos());
        assert_eq!(n("1Gi"), Ok(1_073_741_824 * NANO));
        assert_eq!(n("2Gi"), Ok(2 * 1_073_741_824 * NANO));
        assert_eq!(n("1.5k"), Ok(1500 * NANO));
        assert_eq!(n("100m"), Ok(NANO / 10));
        assert_eq!(n("0.1n"), Ok(1));
        assert_eq!(n("-1e3"), Ok(-1000 * NANO));
        assert_eq!(n("1ki"), Err(ERR_SUFFIX));
        assert_eq!(n("1Qi"), Err(ERR_FORMAT));
        assert_eq!(n("abc"), Err(ERR_FORMAT));
        assert_eq!(n("10E"), Ok(10_000_000_000_000_000_000 * NANO));
        assert_eq!(
            n("16Ei"),
            Ok(MAX_ALLOWED * NANO),
            "binary values are capped"
        );
    }

    /// apimachinery keeps the written form: the integer checks follow it.
    #[test]
    fn integer_checks_follow_the_form() {
        for (s, want) in [
            ("1", Some(1)),
            ("1k", Some(1000)),
            ("1Ki", Some(1024)),
            ("2000m", None),
            ("1000m", None),
            ("1.0", None),
            ("0", Some(0)),
            ("10E", None),
            ("9E", Some(9_000_000_000_000_000_000)),
            ("1e100", None),
            ("0.5Gi", None),
        ] {
            assert_eq!(q(s).as_int64(), want, "{s}");
        }
        assert_eq!(q("1000m"), q("1"));
        assert_eq!(q("0.1").add(q("0.2")), q("0.3"));
        assert_eq!(q("1500m").mul(2).as_int64(), None, "still 3000m");
        assert_eq!(q("1").add(Quantity::from_int(2)).as_int64(), Some(3));
        assert_eq!(
            q("9E").add(q("9E")).as_int64(),
            None,
            "overflow moves to inf.Dec"
        );
    }

    #[test]
    fn approximate_floats_multiply_by_go_pow10() {
        assert_eq!(q("0.3").as_approximate_f64(), 3.0 * 0.1);
        assert_eq!(q("1.5").as_approximate_f64(), 1.5);
        assert_eq!(q("1Ki").as_approximate_f64(), 1024.0);
    }
}
