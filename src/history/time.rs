//! RFC 3339 timestamps (`2026-03-01T10:05:00+08:00`) to and from Unix
//! seconds: the only time format the corpus and the API take.

/// A timestamp that is not RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not an RFC 3339 time such as 2026-03-01T10:05:00+08:00: {reason}")]
pub struct TimeError {
    pub input: String,
    pub reason: &'static str,
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn num(s: &str, input: &str, reason: &'static str) -> Result<i64, TimeError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TimeError {
            input: input.to_string(),
            reason,
        });
    }
    s.parse().map_err(|_| TimeError {
        input: input.to_string(),
        reason,
    })
}

/// Parses an RFC 3339 timestamp to Unix seconds (fractions dropped).
pub fn parse_rfc3339(input: &str) -> Result<i64, TimeError> {
    let err = |reason| TimeError {
        input: input.to_string(),
        reason,
    };
    let s = input.trim();
    if !s.is_ascii() || s.len() < 20 {
        return Err(err("too short or not ASCII"));
    }
    let (date, rest) = s.split_at(10);
    let b = date.as_bytes();
    if b[4] != b'-' || b[7] != b'-' {
        return Err(err("the date must be YYYY-MM-DD"));
    }
    let y = num(&date[0..4], input, "bad year")?;
    let mo = num(&date[5..7], input, "bad month")?;
    let d = num(&date[8..10], input, "bad day")?;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return Err(err("month or day out of range"));
    }
    let rest = rest
        .strip_prefix(['T', 't', ' '])
        .ok_or_else(|| err("missing `T` between date and time"))?;
    if rest.len() < 9 || rest.as_bytes()[2] != b':' || rest.as_bytes()[5] != b':' {
        return Err(err("the time must be hh:mm:ss"));
    }
    let h = num(&rest[0..2], input, "bad hour")?;
    let mi = num(&rest[3..5], input, "bad minute")?;
    let sec = num(&rest[6..8], input, "bad second")?;
    if h > 23 || mi > 59 || sec > 60 {
        return Err(err("time out of range"));
    }
    let mut tz = &rest[8..];
    if let Some(frac) = tz.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(err("empty fraction of a second"));
        }
        tz = &frac[n..];
    }
    let offset = match tz {
        "Z" | "z" => 0,
        _ if tz.len() == 6 && (tz.starts_with('+') || tz.starts_with('-')) && &tz[3..4] == ":" => {
            let oh = num(&tz[1..3], input, "bad offset")?;
            let om = num(&tz[4..6], input, "bad offset")?;
            let o = oh * 3600 + om * 60;
            if tz.starts_with('-') {
                -o
            } else {
                o
            }
        }
        _ => return Err(err("missing or bad time zone (Z or +08:00)")),
    };
    Ok(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

/// The current time in Unix seconds.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Formats Unix seconds as RFC 3339 in China Standard Time (+08:00).
pub fn format_rfc3339(secs: i64) -> String {
    let local = secs + 8 * 3600;
    let days = local.div_euclid(86_400);
    let t = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+08:00",
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        let t = parse_rfc3339("2026-03-01T10:05:00+08:00");
        assert_eq!(t, Ok(1_772_330_700));
        assert_eq!(format_rfc3339(1_772_330_700), "2026-03-01T10:05:00+08:00");
        assert_eq!(parse_rfc3339("2026-03-01T02:05:00Z"), t);
        assert_eq!(parse_rfc3339("2026-03-01T02:05:00.123Z"), t);
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok(0));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "2026-03-01",
            "2026-13-01T00:00:00Z",
            "2026-03-01T10:05:00",
            "二〇二六年三月一日十点零五分",
            "2026-03-01T10:05:00+0800",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }
}
