//! Docker's instruction-level checks (`instructions.Parse` and the stage layout).

use super::*;

#[derive(Clone, Copy, PartialEq, Eq)]
enum FlagKind {
    Bool,
    String,
    Strings,
}

const FROM_FLAGS: &[(&str, FlagKind)] = &[("platform", FlagKind::String)];
const RUN_FLAGS: &[(&str, FlagKind)] = &[
    ("mount", FlagKind::Strings),
    ("network", FlagKind::String),
    ("security", FlagKind::String),
    ("device", FlagKind::Strings),
];
const COPY_FLAGS: &[(&str, FlagKind)] = &[
    ("chown", FlagKind::String),
    ("from", FlagKind::String),
    ("chmod", FlagKind::String),
    ("link", FlagKind::Bool),
    ("exclude", FlagKind::Strings),
    ("parents", FlagKind::Bool),
];
const ADD_FLAGS: &[(&str, FlagKind)] = &[
    ("chown", FlagKind::String),
    ("chmod", FlagKind::String),
    ("link", FlagKind::Bool),
    ("keep-git-dir", FlagKind::Bool),
    ("checksum", FlagKind::String),
    ("unpack", FlagKind::Bool),
    ("exclude", FlagKind::Strings),
];
const HEALTHCHECK_FLAGS: &[(&str, FlagKind)] = &[
    ("interval", FlagKind::String),
    ("timeout", FlagKind::String),
    ("start-period", FlagKind::String),
    ("start-interval", FlagKind::String),
    ("retries", FlagKind::String),
];

/// Docker's `BFlags.Parse`.
fn check_flags(ins: &Instruction, known: &[(&str, FlagKind)]) -> Result<(), ParseError> {
    let mut used: Vec<&str> = Vec::new();
    for f in &ins.flags {
        let shown = format!("--{}", f.name);
        let Some(&(_, kind)) = known.iter().find(|(n, _)| *n == f.name) else {
            return Err(ParseError::new(format!("unknown flag: {shown}"), f.span));
        };
        if used.contains(&f.name.as_str()) && kind != FlagKind::Strings {
            return Err(ParseError::new(
                format!("duplicate flag specified: {shown}"),
                f.span,
            ));
        }
        used.push(&f.name);
        match (kind, &f.value) {
            (FlagKind::Bool, Some(v)) if v.is_empty() => {
                return Err(ParseError::new(
                    format!("missing a value on flag: {shown}"),
                    f.span,
                ))
            }
            (FlagKind::Bool, Some(v))
                if !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") =>
            {
                return Err(ParseError::new(
                    format!("expecting boolean value for flag {shown}, not: {v}"),
                    f.span,
                ))
            }
            (FlagKind::String | FlagKind::Strings, None) => {
                return Err(ParseError::new(
                    format!("missing a value on flag: {shown}"),
                    f.span,
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Go's `time.ParseDuration`, returning nanoseconds (as f64; only the sign and size matter).
fn go_duration(s: &str) -> Option<f64> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let num = rest.get(..num_len)?;
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        if (int.is_empty() && frac.is_empty()) || frac.contains('.') {
            return None;
        }
        let value: f64 = format!("0{int}.{frac}0").parse().ok()?;
        rest = rest.get(num_len..)?;
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = rest.get(..unit_len)?;
        let scale = match unit {
            "ns" => 1.0,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += value * scale;
        rest = rest.get(unit_len..)?;
    }
    Some(if neg { -total } else { total })
}

fn check_interval(ins: &Instruction, name: &str) -> Result<(), ParseError> {
    let Some(f) = ins.flag(name) else {
        return Ok(());
    };
    let v = f.value.as_deref().unwrap_or("");
    if v.is_empty() {
        return Ok(());
    }
    match go_duration(v) {
        None => Err(ParseError::new(
            format!("time: invalid duration {v:?}"),
            f.span,
        )),
        Some(d) if d != 0.0 && d < 1e6 => Err(ParseError::new(
            format!("Interval {name:?} cannot be less than 1ms"),
            f.span,
        )),
        Some(_) => Ok(()),
    }
}

fn is_valid_stage_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// The argument list Docker's `instructions` package sees for list-like instructions.
fn list_args(ins: &Instruction) -> Vec<String> {
    match json::json_array(ins.args.as_str()) {
        json::JsonArray::Strings(ranges) => ranges
            .into_iter()
            .map(|r| json::decode_string(&ins.args, r).text)
            .collect(),
        _ => ws_split(ins.args.as_str())
            .into_iter()
            .map(|(s, e)| ins.args.as_str().get(s..e).unwrap_or("").to_string())
            .collect(),
    }
}

pub(super) fn validate(df: &Dockerfile) -> Result<(), ParseError> {
    let mut seen_from = false;
    for ins in &df.instructions {
        check_instruction(ins, df.escape)?;
        match ins.keyword.as_str() {
            "FROM" => seen_from = true,
            "ARG" => {}
            _ if !seen_from => {
                return Err(ParseError::new(
                    "no build stage in current context",
                    ins.span,
                ))
            }
            _ => {}
        }
    }
    if !seen_from {
        let end = df.instructions.last().map_or(0, |i| i.span.end);
        return Err(ParseError::new(
            "dockerfile contains no stages to build",
            Span::empty(end),
        ));
    }
    df.stage_errors()
}

fn check_instruction(ins: &Instruction, escape: char) -> Result<(), ParseError> {
    let kw = ins.keyword.as_str();
    let span = ins.span;
    let err = |m: String| Err(ParseError::new(m, span));
    let args_empty = ins.args.as_str().is_empty();
    match kw {
        "ENV" | "LABEL" => {
            check_flags(ins, &[])?;
            let pairs = name_val_pairs(ins, escape)?;
            if pairs.is_empty() {
                return err(format!("{kw} requires at least one argument"));
            }
            if let Some(p) = pairs.iter().find(|p| p.key_span.is_empty()) {
                return Err(ParseError::new(
                    format!("{kw} names can not be blank"),
                    p.span,
                ));
            }
        }
        "MAINTAINER" => {
            if args_empty {
                return err("MAINTAINER requires exactly one argument".into());
            }
            check_flags(ins, &[])?;
        }
        "ADD" | "COPY" => {
            if list_args(ins).len() < 2 {
                return err(format!("{kw} requires at least two arguments, but only one was provided. Destination could not be determined"));
            }
            check_flags(ins, if kw == "ADD" { ADD_FLAGS } else { COPY_FLAGS })?;
            if let Some(dest) = list_args(ins).last() {
                if matches!(parse_heredoc_word(dest), Ok(Some(_))) {
                    return err(format!("{kw} cannot accept a heredoc as a destination"));
                }
            }
        }
        "FROM" => {
            let words = ws_split(ins.args.as_str());
            let w = |k: usize| words.get(k).and_then(|&(s, e)| ins.args.as_str().get(s..e));
            match words.len() {
                1 => {}
                3 if w(1).is_some_and(|a| a.eq_ignore_ascii_case("as")) => {
                    let name = w(2).unwrap_or("");
                    if !is_valid_stage_name(&name.to_lowercase()) {
                        return err(format!("invalid name for build stage: {name:?}, name can't start with a number or contain symbols"));
                    }
                }
                _ => return err("FROM requires either one or three arguments".into()),
            }
            check_flags(ins, FROM_FLAGS)?;
        }
        "ONBUILD" => {
            let Some(inner) = &ins.onbuild else {
                return err("ONBUILD requires at least one argument".into());
            };
            check_flags(ins, &[])?;
            match inner.keyword.as_str() {
                "ONBUILD" => {
                    return err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed".into())
                }
                k @ ("MAINTAINER" | "FROM") => {
                    return err(format!("{k} isn't allowed as an ONBUILD trigger"))
                }
                _ => {}
            }
        }
        "WORKDIR" | "USER" => {
            if args_empty {
                return err(format!("{kw} requires exactly one argument"));
            }
            check_flags(ins, &[])?;
        }
        "STOPSIGNAL" => {
            if args_empty {
                return err("STOPSIGNAL requires exactly one argument".into());
            }
        }
        "RUN" => check_flags(ins, RUN_FLAGS)?,
        "CMD" | "ENTRYPOINT" => check_flags(ins, &[])?,
        "HEALTHCHECK" => {
            if args_empty {
                return err("HEALTHCHECK requires at least one argument".into());
            }
            let (typ, cmd) = healthcheck_split(&ins.args);
            let typ = typ.as_str().to_uppercase();
            if typ == "NONE" {
                if !cmd.as_str().is_empty() {
                    return err("HEALTHCHECK NONE takes no arguments".into());
                }
                return Ok(());
            }
            check_flags(ins, HEALTHCHECK_FLAGS)?;
            if typ != "CMD" {
                return err(format!("Unknown type {typ:?} in HEALTHCHECK (try CMD)"));
            }
            let empty = match json::json_array(cmd.as_str()) {
                json::JsonArray::Strings(v) => v.is_empty(),
                _ => cmd.as_str().is_empty(),
            };
            if empty {
                return err("Missing command after HEALTHCHECK CMD".into());
            }
            for name in ["interval", "timeout", "start-period", "start-interval"] {
                check_interval(ins, name)?;
            }
            if let Some(f) = ins.flag("retries") {
                let v = f.value.as_deref().unwrap_or("");
                if !v.is_empty() {
                    match v.parse::<i32>() {
                        Err(_) => {
                            return Err(ParseError::new(
                                format!("strconv.ParseInt: parsing {v:?}: invalid syntax"),
                                f.span,
                            ))
                        }
                        Ok(r) if r < 0 => {
                            return Err(ParseError::new(
                                format!("--retries cannot be negative ({r})"),
                                f.span,
                            ))
                        }
                        Ok(_) => {}
                    }
                }
            }
        }
        "EXPOSE" => {
            if args_empty {
                return err("EXPOSE requires at least one argument".into());
            }
            check_flags(ins, &[])?;
        }
        "VOLUME" => {
            let vols = list_args(ins);
            if vols.is_empty() {
                return err("VOLUME requires at least one argument".into());
            }
            check_flags(ins, &[])?;
            if vols.iter().any(|v| v.trim().is_empty()) {
                return err("VOLUME specified can not be an empty string".into());
            }
        }
        "ARG" => {
            let kvs = ins.key_values();
            if kvs.is_empty() {
                return err("ARG requires at least one argument".into());
            }
            if let Some(p) = kvs
                .iter()
                .find(|p| p.value.is_some() && p.key_span.is_empty())
            {
                return Err(ParseError::new("ARG names can not be blank", p.span));
            }
        }
        "SHELL" => {
            check_flags(ins, &[])?;
            match json::json_array(ins.args.as_str()) {
                json::JsonArray::Strings(v) if v.is_empty() => {
                    return err("SHELL requires at least one argument".into())
                }
                json::JsonArray::Strings(_) => {}
                _ if args_empty => return err("SHELL requires at least one argument".into()),
                _ => return err("SHELL requires the arguments to be in JSON form".into()),
            }
        }
        _ => {
            return Err(ParseError::new(
                format!("unknown instruction: {}", ins.keyword),
                ins.keyword_span,
            ))
        }
    }
    Ok(())
}
