//! SL001 unused-suppression: a suppression comment that silences nothing. Judged after all rules
//! ran (by the suppression stage), so `check` has nothing to do over the model.

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Reporter, RuleContext};
use crate::suppress::SuppressedRule;

pub fn check(_cx: &RuleContext<'_>, _out: &mut Reporter<'_>) {}

/// The SL001 finding for one rule named in a suppression that matched no finding.
pub fn diagnostic(rule: &SuppressedRule) -> Diagnostic {
    let severity = crate::rules::by_code("SL001").map_or(Severity::Warning, |r| r.severity);
    if rule.rest_unread {
        let mut d = Diagnostic::new(
            "SL001",
            severity,
            rule.location,
            format!(
                "suppression lists more than {} names; the rest of the list, from here, is not read",
                crate::suppress::MAX_ENTRIES
            ),
        );
        d.help("name each rule once, and only the rules that fire where the suppression is");
        return d;
    }
    let message = match rule.code {
        Some(code) if code.eq_ignore_ascii_case(&rule.selector) => {
            format!("suppression of {code} silences nothing here")
        }
        Some(code) => format!("suppression of {} ({code}) silences nothing here", rule.selector),
        None => format!("suppression names `{}`, which is not a shutdownlint rule", rule.selector),
    };
    let mut d = Diagnostic::new("SL001", severity, rule.location, message);
    d.help(match rule.code {
        Some(_) => "remove the rule from the comment (or the comment), or move it to the line before the finding",
        None => "use a rule code like SL101 or a name like shell-pid1 (`shutdownlint rules` lists them)",
    });
    d
}
