//! What goes to stdout (JSON) and stderr (errors, progress).

use std::io::{self, Write};

use serde::Serialize;

use crate::error::CliError;

/// Prints `value` as pretty JSON on stdout, followed by a newline, and flushes.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<(), CliError> {
    print_text(&to_pretty(value)?)
}

/// Writes `text` and a newline to stdout.
pub fn print_text(text: &str) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

fn to_pretty<T: Serialize + ?Sized>(value: &T) -> Result<String, CliError> {
    serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Output(io::Error::new(io::ErrorKind::InvalidData, e)))
}

/// Writes ONE JSON array to stdout item by item, as the items arrive.
///
/// The array is always closed by [`JsonArrayWriter::finish`], also after an
/// error, so stdout stays valid JSON holding the items fetched so far.
pub struct JsonArrayWriter {
    out: io::Stdout,
    count: u64,
}

impl JsonArrayWriter {
    /// Opens the array.
    pub fn start() -> Result<Self, CliError> {
        let out = io::stdout();
        out.lock().write_all(b"[")?;
        Ok(Self { out, count: 0 })
    }

    /// Appends one item (pretty, indented by two spaces).
    pub fn push<T: Serialize>(&mut self, item: &T) -> Result<(), CliError> {
        let text = to_pretty(item)?;
        let mut out = self.out.lock();
        out.write_all(if self.count == 0 { b"\n" } else { b",\n" })?;
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                out.write_all(b"\n")?;
            }
            out.write_all(b"  ")?;
            out.write_all(line.as_bytes())?;
        }
        out.flush()?;
        self.count += 1;
        Ok(())
    }

    /// Closes the array.
    pub fn finish(self) -> Result<u64, CliError> {
        let mut out = self.out.lock();
        out.write_all(if self.count == 0 { b"]\n" } else { b"\n]\n" })?;
        out.flush()?;
        Ok(self.count)
    }
}

/// Writes an informational line to stderr (never fails: a closed stderr is ignored).
pub fn note(text: impl AsRef<str>) {
    let _ = writeln!(io::stderr(), "{}", text.as_ref());
}

/// Writes `error` to stderr: one readable line, then indented detail lines.
pub fn report_error(error: &CliError) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "error: {}", headline(error));
    for line in details(error) {
        let _ = writeln!(err, "  {line}");
    }
    let _ = writeln!(err, "  next: {}", error.next_step());
}

/// The one-line summary: the error's `Display`, first line only.
fn headline(error: &CliError) -> String {
    if let Some(v) = client_violations(error) {
        return format!(
            "request not sent: it breaks {} documented rule(s); fix the fields below",
            v.len()
        );
    }
    let text = error.to_string();
    text.lines().next().unwrap_or_default().to_owned()
}

fn client_violations(error: &CliError) -> Option<&coupon_model::Violations> {
    match error {
        CliError::Client(e) => e.violations(),
        _ => None,
    }
}

/// Detail lines: API error fields, violations, Request-IDs, causes.
pub fn details(error: &CliError) -> Vec<String> {
    let mut lines = Vec::new();
    match error {
        CliError::Invalid { violations, .. } => {
            lines.extend(violations.iter().map(violation_line));
        }
        CliError::Client(e) => {
            if let Some(v) = e.violations() {
                lines.extend(v.iter().map(violation_line));
            } else if let Some(api) = e.api_error() {
                lines.push(format!("status: {}", api.status.as_u16()));
                lines.push(format!("code: {}", api.code.as_str()));
                lines.push(format!("message: {}", api.message));
                if let Some(detail) = &api.detail {
                    if let Some(field) = &detail.field {
                        lines.push(format!("field: {field}"));
                    }
                    if let Some(location) = &detail.location {
                        lines.push(format!("location: {location}"));
                    }
                    if let Some(issue) = detail.issue.as_ref().filter(|i| **i != api.message) {
                        lines.push(format!("issue: {issue}"));
                    }
                }
                lines.push(format!(
                    "Request-ID: {}",
                    api.request_id.as_deref().unwrap_or("(none)")
                ));
                if !api.verified {
                    lines.push(
                        "verified: no — the answer was not signed by WeChat Pay; treat its text as unconfirmed"
                            .to_owned(),
                    );
                }
            } else {
                if let Some(id) = e.request_id() {
                    lines.push(format!("Request-ID: {id}"));
                }
                lines.extend(causes(e));
            }
        }
        CliError::Sandbox(e) => lines.extend(causes(e)),
        _ => {}
    }
    lines
}

/// `caused by: …` lines for the sources of `error` that its own message
/// does not already include.
fn causes(error: &dyn std::error::Error) -> Vec<String> {
    let shown = error.to_string();
    let mut lines = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !shown.contains(&text) {
            lines.push(format!("caused by: {text}"));
        }
        source = cause.source();
    }
    lines
}

fn violation_line(v: &coupon_model::Violation) -> String {
    let path = if v.path.is_empty() {
        "(document)"
    } else {
        &v.path
    };
    format!("{} {}: {}", v.rule, path, v.message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use coupon_model::error::{ErrorCode, ErrorDetail};

    fn api_error(issue: &str) -> CliError {
        let detail: ErrorDetail = serde_json::from_value(serde_json::json!({
            "field": "page_size", "location": "query", "issue": issue
        }))
        .unwrap();
        CliError::Client(coupon_client::Error::Api(Box::new(
            coupon_client::ApiError {
                status: http::StatusCode::BAD_REQUEST,
                code: ErrorCode::ParamError,
                message: "page_size too big".into(),
                detail: Some(detail),
                request_id: Some("RID-1".into()),
                verified: true,
            },
        )))
    }

    #[test]
    fn api_error_details_list_each_fact_once() {
        let lines = details(&api_error("page_size too big"));
        assert_eq!(
            lines,
            [
                "status: 400",
                "code: PARAM_ERROR",
                "message: page_size too big",
                "field: page_size",
                "location: query",
                "Request-ID: RID-1",
            ]
        );
        let lines = details(&api_error("must be at most 50"));
        assert!(lines.contains(&"issue: must be at most 50".to_owned()));
        let headline = headline(&api_error("x"));
        assert!(
            headline.starts_with("WeChat Pay answered 400 PARAM_ERROR"),
            "{headline}"
        );
    }
}
