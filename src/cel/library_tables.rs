//! One table per CEL library a matchCondition has, of the edge cases read in
//! cel-go v0.26.0 (`ext/strings.go`, `ext/lists.go`, `ext/sets.go`,
//! `ext/formatting.go`, `common/types`) and in kube-apiserver 1.36's
//! `apiserver/pkg/cel/library` and apimachinery, and of the behaviours
//! kube-apiserver showed (`testdata/cel/LIBRARY-NOTES.md`): bounds, negative
//! values, code points, NaN and infinities, overflow, mixed types, which
//! argument fails and with what message.

use super::eval_tests::alice;
use super::{EvalError, compile_match_condition};

/// What an expression gives.
#[derive(Debug, PartialEq)]
enum Want {
    True,
    False,
    Error(&'static str),
    /// Refused while compiling; the text is part of the message.
    NoCompile(&'static str),
}
use Want::*;

fn check(table: &[(&str, Want)]) {
    let req = alice();
    let mut failures = Vec::new();
    for (expr, want) in table {
        let got = match compile_match_condition(expr) {
            Err(e) => match want {
                NoCompile(part) if e.to_string().contains(part) => continue,
                _ => format!("does not compile: {e}"),
            },
            Ok(cond) => match (req.with_view(|v| cond.evaluate(v)), want) {
                (Ok(true), True) | (Ok(false), False) => continue,
                (Err(EvalError::Failed(m)), Error(w)) if m == *w => continue,
                (r, _) => format!("{r:?}"),
            },
        };
        failures.push(format!("{expr}\n  want {want:?}\n  got  {got}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn strings_extension() {
    check(&[
        // Offsets count code points; the empty needle returns the offset unchecked.
        ("'\\U0001F600x'.charAt(1) == 'x'", True),
        ("'alice'.charAt(5) == ''", True),
        ("'alice'.charAt(6) == ''", Error("index out of range: 6")),
        ("'alice'.charAt(-1) == ''", Error("index out of range: -1")),
        ("'alice'.indexOf('', 100) == 100", True),
        ("'alice'.indexOf('', -3) == -3", True),
        ("'alice'.lastIndexOf('', -1) == -1", True),
        // cel-go v0.26: an offset at or past the end finds nothing.
        ("'alice'.indexOf('a', 5) == -1", True),
        ("'alice'.indexOf('e', 99) == -1", True),
        ("'alice'.lastIndexOf('a', 5) == -1", True),
        ("'alice'.lastIndexOf('c', 4) == 3", True),
        (
            "'alice'.indexOf('a', -1) == 0",
            Error("index out of range: -1"),
        ),
        (
            "''.lastIndexOf('a') == -1 && 'ab'.lastIndexOf('abc') == -1",
            True,
        ),
        ("'é'.lastIndexOf('ab') == -1", True),
        (
            "'jürgen'.indexOf('g') == 3 && 'jürgen'.lastIndexOf('e') == 4",
            True,
        ),
        ("'jürgen'.substring(1, 3) == 'ür'", True),
        (
            "'abc'.substring(2, 1) == ''",
            Error("invalid substring range. start: 2, end: 1"),
        ),
        ("'abc'.substring(4) == ''", Error("index out of range: 4")),
        ("'abc'.substring(3) == ''", True),
        // Go's strings.Replace and SplitN, counts included.
        ("'jürgen'.replace('', '|') == '|j|ü|r|g|e|n|'", True),
        ("'alice'.replace('', '.', 2) == '.a.lice'", True),
        ("'alice'.replace('l', 'L', 0) == 'alice'", True),
        ("'alice'.split('', 3) == ['a', 'l', 'ice']", True),
        ("'alice'.split(':', 0) == []", True),
        ("'alice'.split('alice') == ['', '']", True),
        ("''.split('') == []", True),
        ("'a:b:c'.split(':', -1) == ['a', 'b', 'c']", True),
        // ASCII-only case mapping; Go's TrimSpace.
        ("'İSTANBUL'.lowerAscii() == 'İstanbul'", True),
        ("'straße'.upperAscii() == 'STRAßE'", True),
        (
            "'\\u00a0\\u2003\\u0085\\v\\fx\\u200b'.trim() == 'x\\u200b'",
            True,
        ),
        (
            "strings.quote('\\u0000\\u007f') == '\"\\u0000\\u007f\"'",
            True,
        ),
        ("strings.quote('a\"b\\\\') == '\"a\\\\\"b\\\\\\\\\"'", True),
        // join checks the element type at run time.
        (
            "(request.groups + [dyn(1)]).join(',') == ''",
            Error("join: invalid input: 1"),
        ),
        ("['a', 'b'].join() == 'ab'", True),
        // Version 2 only: no reverse, no member quote.
        (
            "'abc'.reverse() == 'cba'",
            NoCompile("found no matching overload"),
        ),
        // Byte-wise ordering, no normalisation.
        ("'\\U0001F600' > '\\uFFFF' && 'é' > 'e\\u0301'", True),
    ]);
}

#[test]
fn format() {
    check(&[
        // golang.org/x/text for %f and %e: grouping, no sign on -0, ×10ⁿ.
        ("'%.3f'.format([1234567.891]) == '1,234,567.891'", True),
        ("'%.0f'.format([2.5]) == '2'", True),
        ("'%f'.format([-0.0]) == '0.000000'", True),
        ("'%.2f'.format([-0.001]) == '-0.00'", True),
        ("'%s'.format([-0.0]) == '-0'", True),
        ("'%e'.format([1234.5]) == '1.234500×10⁰³'", True),
        ("'%e'.format([-0.0]) == '0.000000×10⁰⁰'", True),
        ("'%.3e'.format([1234.5]) == '1.234×10⁰³'", True),
        ("'%e'.format([5e-324]) == '4.940656×10⁻³²⁴'", True),
        ("'%e'.format([1e100]) == '1.000000×10¹⁰⁰'", True),
        (
            "'%f'.format(['NaN']) == 'NaN' && '%f'.format(['Infinity']) == '∞'",
            True,
        ),
        ("'%f'.format(['-Infinity']) == '-∞'", True),
        // %s of aggregates: CEL literals, %.6f doubles, sorted map keys.
        (
            "'%s'.format([[2.5, -0.0, 0.0/0.0, 'a', b'b', duration('1.5h')]]) == '[2.500000, -0.000000, \"NaN\", \"a\", b\"b\", duration(\"5400s\")]'",
            True,
        ),
        (
            "'%s'.format([{'b': 1, 'a': 2}]) == '{\"a\":2, \"b\":1}'",
            True,
        ),
        (
            "'%s'.format([timestamp('2024-02-29T12:00:00+02:00')]) == '2024-02-29T12:00:00+02:00'",
            True,
        ),
        (
            "'%s'.format([b'\\xff']) == ''",
            Error(
                "error during formatting: could not convert argument \"invalid UTF-8 in bytes, cannot convert to string\" to string",
            ),
        ),
        // Radix clauses: bytes and strings as hex, negative numbers signed.
        (
            "'%x'.format(['hi']) == '6869' && '%X'.format([b'hi']) == '6869'",
            True,
        ),
        (
            "'%x'.format([-255]) == '-ff' && '%o'.format([-8]) == '-10'",
            True,
        ),
        ("'%b'.format([true]) == '1'", True),
        // The argument list is checked only when it is a literal.
        ("'%d'.format(dyn([1, 2])) == '1'", True),
        (
            "'%s'.format(request.groups) == 'system:authenticated'",
            True,
        ),
        (
            "'%d %d'.format(dyn([1])) == ''",
            Error("index 1 out of range"),
        ),
        (
            "'%d'.format([duration('1s')]) == ''",
            NoCompile("decimal clause"),
        ),
    ]);
}

#[test]
fn lists_and_sets() {
    check(&[
        // Pairs that cannot be ordered are skipped (kube-apiserver 1.36).
        ("[1.0, 0.0/0.0, 0.5].isSorted()", True),
        ("[5.0, 0.0/0.0].max() == 5.0", True),
        ("[0.0/0.0, 5.0].max() == 5.0", False),
        ("[dyn('a'), dyn(1)].isSorted()", True),
        ("[3.0, 0.0/0.0, 1.0].sort()[0] == 3.0", True),
        (
            "[dyn('a'), dyn(1)].sort() == []",
            Error("list elements must have the same type"),
        ),
        (
            "[[1], [2]].sort() == []",
            NoCompile("found no matching overload"),
        ),
        ("[].max() == 0", Error("max called on empty list")),
        ("[].min() == 0", Error("min called on empty list")),
        ("[].sum() == 0", True),
        (
            "[duration('1s'), duration('2s')].sum() == duration('3s')",
            True,
        ),
        (
            "[9223372036854775807, 1].sum() > 0",
            Error("integer overflow"),
        ),
        (
            "[1u, 18446744073709551615u].sum() > 0u",
            Error("unsigned integer overflow"),
        ),
        // Heterogeneous numeric equality.
        // (A literal list is homogeneous even of dyn() elements; each is wrapped.)
        (
            "['a', dyn(1)] == []",
            NoCompile("expected type 'string' but found 'dyn'"),
        ),
        ("[dyn(1), dyn(2u), dyn(3.0)].indexOf(2) == 1", True),
        (
            "[dyn(1), dyn(2u), dyn(1.0)].lastIndexOf(dyn(1u)) == 2",
            True,
        ),
        ("[dyn(1), dyn(1u), dyn(1.0)].distinct().size() == 1", True),
        (
            "dyn(1) in [1.0, 2.0] && sets.contains(dyn([1]), dyn([1.0]))",
            True,
        ),
        (
            "sets.equivalent([dyn(1), dyn(2u)], [dyn(2.0), dyn(1.0), dyn(1)])",
            True,
        ),
        ("sets.intersects([1], [2]) == false", True),
        ("1 in [1.0]", NoCompile("found no matching overload")),
        // slice, flatten, range.
        ("[1].slice(1, 1) == []", True),
        (
            "[].slice(1, 1) == []",
            Error("cannot slice(1, 1), list is length 0"),
        ),
        (
            "[1, 2].slice(2, 1) == []",
            Error("cannot slice(2, 1), start index must be less than or equal to end index"),
        ),
        (
            "[1, 2].slice(-1, 1) == []",
            Error("cannot slice(-1, 1), negative indexes not supported"),
        ),
        (
            "[dyn([dyn(1), dyn([2])]), dyn(3)].flatten(2) == [1, 2, 3]",
            True,
        ),
        (
            "[dyn([dyn(1), dyn([2])]), dyn(3)].flatten(1) == [dyn(1), dyn([2]), dyn(3)]",
            True,
        ),
        ("[dyn(1), dyn('a')].flatten() == [dyn(1), dyn('a')]", True),
        (
            "[[1]].flatten(-1) == []",
            Error("level must be non-negative"),
        ),
        ("lists.range(0) == [] && lists.range(-1) == []", True),
        (
            "[1, 2].first() == optional.of(1) && [].last() == optional.none()",
            True,
        ),
        ("['b', 'a'].sortBy(x, x) == ['a', 'b']", True),
        // A macro's duplicate map key fails; a literal's does not.
        ("{'a': 1, 'a': 2}.size() == 1", True),
        ("{null: false}[null] == false && null in {null: 1}", True),
        (
            "{'a': 1, 'b': 2}.transformMapEntry(k, v, {'a': v}) == {}",
            Error("insert failed: key a already exists"),
        ),
    ]);
}

#[test]
fn conversions_and_arithmetic() {
    check(&[
        // Go's strconv: lenient where it is lenient.
        ("int('+42') == 42 && int('-0') == 0", True),
        (
            "double('1_000') == 1000.0 && double('0x1p-2') == 0.25",
            True,
        ),
        ("double('-inf') < 0.0 && double('Infinity') > 0.0", True),
        (
            "double(request.user + 'nan') == 0.0",
            Error("type conversion error from 'string' to 'double'"),
        ),
        ("bool('TRUE') && bool('t') && bool('1') && !bool('F')", True),
        (
            "int(request.uid + '_0') == 0",
            Error("type conversion error from 'string' to 'int'"),
        ),
        ("int('0x10') == 16", NoCompile("type conversion error")),
        ("uint('-0') == 0u", NoCompile("type conversion error")),
        ("int('1' + '2') == 12", True),
        // Boundaries and NaN.
        (
            "int(-9223372036854775808.0) == 0",
            NoCompile("integer overflow"),
        ),
        ("uint(-0.5) == 0u", NoCompile("unsigned integer overflow")),
        ("int(dyn(0.0 / 0.0)) == 0", Error("integer overflow")),
        ("-9223372036854775808 % -1 == 0", Error("integer overflow")),
        ("dyn(9007199254740993) == 9007199254740992.0", True),
        ("dyn(18446744073709551615u) == 18446744073709551615.0", True),
        ("dyn(0.0/0.0) != dyn(0.0/0.0)", True),
        // Durations: Go's ParseDuration, both micro signs.
        (
            "duration('1.5h') == duration('90m') && duration('-1.5h') < duration('0s')",
            True,
        ),
        (
            "duration('1µs') == duration('1us') && duration('1μs') == duration('1us')",
            True,
        ),
        (
            "duration('1d') == duration('24h')",
            NoCompile("invalid duration"),
        ),
        ("string(duration('-1.5s')) == '-1.5s'", True),
        (
            "timestamp('0001-01-01T00:00:00Z') - duration('1s') > timestamp('0001-01-01T00:00:00Z')",
            Error("timestamp overflow"),
        ),
        (
            "string(timestamp('2024-01-01T05:00:00+05:00')) == '2024-01-01T05:00:00+05:00'",
            True,
        ),
        ("type(duration('1s')) == google.protobuf.Duration", True),
    ]);
}

#[test]
fn time_zones() {
    check(&[
        (
            "timestamp('2024-03-10T07:30:00Z').getHours('America/New_York') == 3",
            True,
        ),
        (
            "timestamp('2024-03-10T06:30:00Z').getHours('America/New_York') == 1",
            True,
        ),
        (
            "timestamp('2024-07-01T00:00:00Z').getHours('Europe/Berlin') == 2",
            True,
        ),
        (
            "timestamp('2100-07-01T00:00:00Z').getHours('America/New_York') == 20",
            True,
        ),
        (
            "timestamp('2024-01-01T00:00:00Z').getHours('+05:30') == 5",
            True,
        ),
        (
            "timestamp('2024-01-01T00:00:00Z').getHours('-25:00') == 0",
            False,
        ),
        (
            "timestamp('2024-01-01T00:00:00Z').getHours('UTC') == 0",
            True,
        ),
        (
            "timestamp('2024-01-01T00:00:00Z').getHours('Mars/Olympus') == 0",
            Error("unknown time zone Mars/Olympus"),
        ),
        // Go finds zone files case-sensitively.
        (
            "timestamp('2024-01-01T00:00:00Z').getHours('america/new_york') == 0",
            Error("unknown time zone america/new_york"),
        ),
        (
            "timestamp('2024-02-29T23:00:00Z').getDayOfYear('Asia/Tokyo') == 60",
            True,
        ),
    ]);
}

#[test]
fn regex() {
    check(&[
        ("'JÜRGEN'.matches('(?i)^jürgen$')", True),
        (
            "'jürgen'.matches('^\\\\p{L}+$') && !'j1'.matches('^\\\\p{L}+$')",
            True,
        ),
        ("'αβ'.matches('^\\\\p{Greek}+$')", True),
        ("'aaa'.find('(?U)a+') == 'a'", True),
        ("'x'.matches('(?P<n>x)|(?P<n>y)')", True),
        ("'٣'.matches('\\\\d') == false", True),
        ("'erin@example.com'.findAll('x*', -1).size() == 16", True),
        ("'alice'.findAll('x*', -1).size() == 6", True),
        ("'a1b2c3'.findAll('[0-9]', 2) == ['1', '2']", True),
        (
            "'ab'.matches('(?=a)')",
            NoCompile("invalid matches argument"),
        ),
        (
            "request.user.matches(request.uid + '[')",
            Error("error parsing regexp: missing closing ]: `[`"),
        ),
        (
            "request.user.findAll(request.uid + '[').size() == 0",
            Error("Illegal regex: error parsing regexp: missing closing ]: `[`"),
        ),
    ]);
}

#[test]
fn urls() {
    check(&[
        (
            "url('https://[fe80::1%25eth0]:443/').getHostname() == 'fe80::1%eth0'",
            True,
        ),
        ("url('HTTPS://Example.com/').getScheme() == 'https'", True),
        (
            "url('https://Example.com/').getHost() == 'Example.com'",
            True,
        ),
        ("url('https://%E4%B8%AD.com/').getHost() == '中.com'", True),
        (
            "url('https://ex%41mple.com/').getHost() == ''",
            Error(
                "URL parse error during conversion from string: parse \"https://ex%41mple.com/\": invalid URL escape \"%41\"",
            ),
        ),
        (
            "url('https://example.com:99999/').getPort() == '99999'",
            True,
        ),
        (
            "url('https://example.com:abc/').getPort() == ''",
            Error(
                "URL parse error during conversion from string: parse \"https://example.com:abc/\": invalid port \":abc\" after host",
            ),
        ),
        // EscapedPath: RawPath only when it is a valid encoding of Path.
        (
            "url('https://example.com/%7e%41').getEscapedPath() == '/%7e%41'",
            True,
        ),
        (
            "url('https://example.com/a b/é').getEscapedPath() == '/a%20b/%C3%A9'",
            True,
        ),
        ("url('/foo bar').getEscapedPath() == '/foo%20bar'", True),
        (
            "url('https://example.com/apis/*').getEscapedPath() == '/apis/*'",
            True,
        ),
        (
            "url('https://example.com/?a=1&a=&b;c=2&d=%zz&e').getQuery() == {'a': ['1', ''], 'e': ['']}",
            True,
        ),
        ("isURL('mailto:someone@example.com') && !isURL('a/b')", True),
    ]);
}

#[test]
fn ips_and_cidrs() {
    check(&[
        (
            "ip('fe80::1%eth0').family() == 6",
            Error("IP address \"fe80::1%eth0\" with zone value is not allowed"),
        ),
        (
            "ip('::ffff:127.0.0.1').family() == 4",
            Error("IPv4-mapped IPv6 address \"::ffff:127.0.0.1\" is not allowed"),
        ),
        ("!isIP('::ffff:127.0.0.1') && !isIP('010.0.0.1')", True),
        (
            "ip.isCanonical('::ffff:10.0.0.1')",
            Error("IPv4-mapped IPv6 address \"::ffff:10.0.0.1\" is not allowed"),
        ),
        ("string(ip('::1.2.3.4')) == '::102:304'", True),
        (
            "cidr('10.0.0.0/8').containsIP('not-an-ip')",
            Error("no such overload"),
        ),
        (
            "cidr('10.0.0.0/8').containsCIDR('bad')",
            Error("no such overload"),
        ),
        (
            "cidr('1.2.3.4/33').prefixLength() == 33",
            Error(
                "network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(\"1.2.3.4/33\"): prefix length out of range",
            ),
        ),
        (
            "cidr('::ffff:0:0/96').prefixLength() == 96",
            Error(
                "network address parse error during conversion from string: IPv4-mapped IPv6 address \"::ffff:0:0/96\" is not allowed",
            ),
        ),
        // Non-canonical prefixes keep their host bits but contain by the mask.
        ("cidr('10.1.2.3/8').containsCIDR('10.0.0.0/16')", True),
        ("cidr('10.0.0.1/24').containsCIDR('10.0.0.1/25')", True),
        ("cidr('10.0.0.0/24').containsCIDR('10.0.0.0/23')", False),
        ("cidr('10.1.2.3/8') == cidr('10.0.0.0/8')", False),
        (
            "string(cidr('10.1.2.3/8')) == '10.1.2.3/8' && string(cidr('10.1.2.3/8').masked()) == '10.0.0.0/8'",
            True,
        ),
        ("cidr('10.1.2.3/8').ip() == ip('10.1.2.3')", True),
        ("cidr('0.0.0.0/0').containsIP('::1')", False),
        ("cidr('::/0').containsCIDR('10.0.0.0/8')", False),
        (
            "cidr('::/0').containsIP('2001:db8::1') && cidr('::/0').containsCIDR('2001:db8::/32')",
            True,
        ),
        (
            "cidr('0.0.0.0/0').containsIP('203.0.113.9') && string(cidr('::1/0').masked()) == '::/0'",
            True,
        ),
        ("type(ip('1.2.3.4')) == net.IP", True),
    ]);
}

#[test]
fn quantities() {
    check(&[
        // The unnormalised (value, scale) pair decides the integer checks.
        ("quantity('2000m').isInteger()", False),
        (
            "quantity('2000m').asInteger() == 2",
            Error("cannot convert value to integer"),
        ),
        (
            "quantity('2k').asInteger() == 2000 && quantity('1Ki').asInteger() == 1024",
            True,
        ),
        (
            "quantity('10E').asInteger() > 0",
            Error("cannot convert value to integer"),
        ),
        ("quantity('9E').isInteger()", True),
        ("quantity('1000m') == quantity('1')", True),
        (
            "quantity('0.1').add(quantity('0.2')) == quantity('0.3')",
            True,
        ),
        ("quantity('1').add(2).asInteger() == 3", True),
        ("quantity('9E').add(quantity('9E')).isInteger()", False),
        ("quantity('1500m').mul(2).isInteger()", False),
        (
            "quantity('0.3').asApproximateFloat() == 0.30000000000000004",
            True,
        ),
        ("sign(quantity('-1.5Gi')) == -1", True),
        (
            "quantity('1.5Gi').sign() == 1",
            NoCompile("found no matching overload"),
        ),
        ("quantity('1Gi').compareTo(quantity('1024Mi')) == 0", True),
        ("quantity('1e3').isGreaterThan(quantity('999'))", True),
        (
            "!isQuantity('1Qi') && !isQuantity('') && isQuantity('.5')",
            True,
        ),
    ]);
}

#[test]
fn semvers() {
    check(&[
        ("semver('18446744073709551615.0.0').major() < 0", True),
        (
            "semver('vv1.2.3', true).major() == 1",
            Error("Invalid character(s) found in major number \"0v1\""),
        ),
        ("semver('42', true) == semver('42.0.0')", True),
        (
            "semver('', true).major() == 0",
            Error("strconv.ParseUint: parsing \"\": invalid syntax"),
        ),
        ("semver('1.2.3') == semver('1.2.3+meta')", True),
        (
            "semver('1.2.3-alpha.1').isLessThan(semver('1.2.3-alpha.beta'))",
            True,
        ),
        ("semver('1.0.0').compareTo(semver('1.0.0-rc.1')) == 1", True),
        (
            "semver('1.2.3') < semver('1.2.4')",
            NoCompile("found no matching overload"),
        ),
    ]);
}

#[test]
fn optionals_and_comprehensions() {
    check(&[
        ("optional.ofNonZeroValue(request.groups).hasValue()", True),
        (
            "!optional.ofNonZeroValue('').hasValue() && !optional.ofNonZeroValue(0u).hasValue()",
            True,
        ),
        (
            "[?optional.none(), 1] == [1] && {?'k': optional.none()} == {}",
            True,
        ),
        ("optional.none().or(optional.of(2)) == optional.of(2)", True),
        ("request.?resourceAttributes.?name.hasValue()", True),
        (
            "[1, 2, 3].transformList(i, v, v > 1, v * 10) == [20, 30]",
            True,
        ),
        (
            "['system:authenticated'].transformMap(i, v, v.upperAscii()) == {0: 'SYSTEM:AUTHENTICATED'}",
            True,
        ),
        (
            "request.extra.all(__result__, v, true)",
            NoCompile("iteration variable overwrites accumulator variable"),
        ),
        (
            "request.extra.all(k, k, true)",
            NoCompile("duplicate variable name: k"),
        ),
        (
            "[1].exists(x, x == 2, x == 3)",
            NoCompile("argument must be a simple name"),
        ),
    ]);
}
