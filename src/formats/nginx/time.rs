//! nginx time values, as `ngx_parse_time()` (`src/core/ngx_parse.c`) reads them.
//!
//! A value is one or more `<number><unit>` parts, largest unit first, each unit at most once,
//! optionally separated by spaces: `1h30m`, `1h 30m`, `500ms`, `90s`. Units: `y` (365 days,
//! only where seconds are parsed), `M` (30 days), `w`, `d`, `h`, `m`, `s`, `ms` (only where
//! milliseconds are parsed). A bare number is seconds, also as the last part (`1m30` = 90 s).
//! Directives that hold milliseconds (`keepalive_timeout`, `proxy_read_timeout`, ...) use
//! [`parse_msec`]; a few hold whole seconds (the upstream `server` `fail_timeout=` parameter)
//! and use [`parse_sec`].

use std::time::Duration;

/// A time in milliseconds (`ngx_parse_time(value, 0)`, used by `ngx_conf_set_msec_slot`).
pub fn parse_msec(value: &str) -> Option<Duration> {
    parse(value, false).map(Duration::from_millis)
}

/// A time in whole seconds (`ngx_parse_time(value, 1)`, used by `ngx_conf_set_sec_slot` and
/// `fail_timeout=`): `ms` is not allowed, `y` is.
pub fn parse_sec(value: &str) -> Option<Duration> {
    parse(value, true).map(Duration::from_secs)
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Start,
    Year,
    Month,
    Week,
    Day,
    Hour,
    Min,
    Sec,
    Msec,
    Last,
}

/// The value in the unit asked for (seconds when `is_sec`, else milliseconds).
fn parse(value: &str, is_sec: bool) -> Option<u64> {
    // nginx uses ngx_int_t (i64 on 64-bit platforms) and fails on overflow.
    const MAX: u64 = i64::MAX as u64;
    let bytes = value.as_bytes();
    let mut step = if is_sec { Step::Start } else { Step::Month };
    let mut valid = false;
    let mut number: u64 = 0;
    let mut total: u64 = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        if b.is_ascii_digit() {
            number = number.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
            if number > MAX {
                return None;
            }
            valid = true;
            continue;
        }
        let (next, mut scale): (Step, u64) = match b {
            b'y' if step == Step::Start => (Step::Year, 60 * 60 * 24 * 365),
            b'M' if step < Step::Month => (Step::Month, 60 * 60 * 24 * 30),
            b'w' if step < Step::Week => (Step::Week, 60 * 60 * 24 * 7),
            b'd' if step < Step::Day => (Step::Day, 60 * 60 * 24),
            b'h' if step < Step::Hour => (Step::Hour, 60 * 60),
            b'm' if bytes.get(i) == Some(&b's') => {
                if is_sec || step >= Step::Msec {
                    return None;
                }
                i += 1;
                (Step::Msec, 1)
            }
            b'm' if step < Step::Min => (Step::Min, 60),
            b's' if step < Step::Sec => (Step::Sec, 1),
            b' ' if step < Step::Sec => (Step::Last, 1),
            _ => return None,
        };
        step = next;
        if step != Step::Msec && !is_sec {
            scale *= 1000;
        }
        let part = number.checked_mul(scale)?;
        total = total.checked_add(part)?;
        if total > MAX {
            return None;
        }
        number = 0;
        while bytes.get(i) == Some(&b' ') {
            i += 1;
        }
    }
    if !valid {
        return None;
    }
    if !is_sec {
        number = number.checked_mul(1000)?;
    }
    let total = total.checked_add(number)?;
    (total <= MAX).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> Option<u64> {
        parse_msec(s).map(|d| d.as_millis() as u64)
    }

    #[test]
    fn milliseconds() {
        assert_eq!(ms("5s"), Some(5_000));
        assert_eq!(ms("60"), Some(60_000));
        assert_eq!(ms("1m"), Some(60_000));
        assert_eq!(ms("500ms"), Some(500));
        assert_eq!(ms("1h30m"), Some(5_400_000));
        assert_eq!(ms("1h 30m"), Some(5_400_000));
        assert_eq!(ms("1m30"), Some(90_000));
        assert_eq!(ms("1s500ms"), Some(1_500));
        assert_eq!(ms("2d"), Some(172_800_000));
        // `M` and `y` are not allowed where milliseconds are parsed.
        assert_eq!(ms("1M"), None);
        assert_eq!(parse_sec("1M"), Some(Duration::from_secs(2_592_000)));
        assert_eq!(ms("0"), Some(0));
    }

    #[test]
    fn invalid() {
        for s in [
            "",
            "s",
            "1x",
            "1m1h",
            "1s1s",
            "1y",
            "5 s",
            "-1",
            "1.5s",
            "ms",
            "99999999999999999999",
        ] {
            assert_eq!(ms(s), None, "{s}");
        }
        assert_eq!(parse_sec("500ms"), None);
    }

    #[test]
    fn seconds() {
        assert_eq!(parse_sec("10"), Some(Duration::from_secs(10)));
        assert_eq!(parse_sec("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_sec("1y"), Some(Duration::from_secs(31_536_000)));
        assert_eq!(parse_sec("2m"), Some(Duration::from_secs(120)));
    }
}
