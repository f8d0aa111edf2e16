//! `connector check FILE...`: validate specs; summarise the valid ones, show rustc-style
//! diagnostics (the YAML line, the key underlined) for the rest.
//!
//! With `--live`, each valid spec is also run against its API: the first page of every
//! resource is checked against the declared columns (`drift`).
//!
//! Exit codes: 0 every spec is valid (warnings allowed) and, with `--live`, fits what the API
//! sends; 1 a spec is invalid, or (`--live`) contradicted by the API or a resource could not be
//! read (with `--strict`, also an undeclared field or an empty first page); 2 a file could not
//! be read, secrets are missing or the command line is wrong.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use connector_spec::resolved::AuthPlan;
use connector_spec::{ApiKeyLocation, Diagnostic, LoadedSpec, ResolvedSpec, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};
use serde_json::json;

/// Arguments of `connector check`.
#[derive(Debug, clap::Args)]
#[command(after_help = concat!(
    "With --live: ",
    crate::source::secrets_help!(),
    "\n\nExit codes: 0 valid (and, with --live, the API fits); 1 invalid, or with --live a \
contradiction or a resource that could not be read (--strict: also undeclared fields, an empty \
first page); 2 unreadable file, missing secrets, or --base-url/--token-url/--secrets without \
--live."
))]
pub struct Args {
    /// Spec files to check.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Output format: `text` (diagnostics on stderr, summaries on stdout) or `json` (one JSON
    /// document on stdout).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also fetch the first page of every resource from the API (secrets as for `sync`) and
    /// check it against the declared columns: exit 1 on a contradiction.
    #[arg(long)]
    live: bool,
    /// With `--live`: also fail on fields the API sends that the spec does not declare, and on
    /// a resource whose first page is empty.
    #[arg(long, requires = "live")]
    strict: bool,
    #[command(flatten)]
    source: crate::source::ApiArgs,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// What happened to one file.
enum Outcome {
    Unreadable(String),
    Invalid(Vec<Diagnostic>),
    Valid(Box<LoadedSpec>),
}

pub fn run(args: Args) -> ExitCode {
    if !args.live && args.source.any() {
        eprintln!("error: --base-url, --token-url and --secrets go with --live");
        return ExitCode::from(2);
    }
    let mut code = 0u8;
    let mut reports = Vec::new();
    for path in &args.files {
        let file = path.display().to_string();
        let (source, outcome) = match crate::spec_file::read(path) {
            Err(err) => (String::new(), Outcome::Unreadable(err)),
            Ok(source) => {
                let outcome = match connector_spec::parse_str(&source, &file) {
                    Ok(loaded) => Outcome::Valid(Box::new(loaded)),
                    Err(diagnostics) => Outcome::Invalid(diagnostics),
                };
                (source, outcome)
            }
        };
        code = code.max(match outcome {
            Outcome::Unreadable(_) => 2,
            Outcome::Invalid(_) => 1,
            Outcome::Valid(_) => 0,
        });
        let live = match (&outcome, args.live) {
            (Outcome::Valid(loaded), true) => Some(live_check(&args, &loaded.resolved)),
            _ => None,
        };
        match args.format {
            Format::Text => print_text(&file, &source, &outcome),
            Format::Json => reports.push(json_report(&file, &outcome)),
        }
        match live {
            None => {}
            Some(Err(error)) => {
                code = 2;
                match reports.last_mut() {
                    Some(report) if args.format == Format::Json => {
                        report["live"] = json!({ "ok": false, "error": error });
                    }
                    _ => eprintln!("error: {file}: {error}"),
                }
            }
            Some(Ok(drift)) => {
                if drift.failed() {
                    code = code.max(1);
                }
                match reports.last_mut() {
                    Some(report) if args.format == Format::Json => report["live"] = drift.json(),
                    _ => print!("{}", drift.text()),
                }
            }
        }
    }
    if args.format == Format::Json {
        let doc = json!({ "files": reports });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    ExitCode::from(code)
}

/// `--live`: the spec's first pages against its columns; `Err` when it cannot start (missing
/// secrets, a bad base URL).
fn live_check(args: &Args, spec: &ResolvedSpec) -> Result<crate::drift::Outcome, String> {
    let secrets = args.source.secrets(spec).map_err(|e| e.to_string())?;
    let options = args.source.options().with_concurrency(1);
    let connector = connector_runtime::Connector::new(spec.clone(), secrets, options)
        .map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    Ok(runtime.block_on(crate::drift::check(&connector, spec, args.strict)))
}

fn print_text(file: &str, source: &str, outcome: &Outcome) {
    match outcome {
        Outcome::Unreadable(err) => eprintln!("error: cannot read `{file}`: {err}"),
        Outcome::Invalid(diagnostics) => {
            for d in diagnostics {
                eprint!("{}", render(d, file, source));
            }
            let errors = diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            let warnings = diagnostics.len() - errors;
            eprintln!(
                "error: {file} is invalid: {}{}",
                plural(errors, "error"),
                if warnings > 0 {
                    format!(", {}", plural(warnings, "warning"))
                } else {
                    String::new()
                }
            );
        }
        Outcome::Valid(loaded) => {
            for d in &loaded.warnings {
                eprint!("{}", render(d, file, source));
            }
            println!(
                "ok {file}: {}",
                summary_line(&loaded.resolved, loaded.warnings.len())
            );
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// One diagnostic drawn like rustc: the message, `file:line:col`, the line with the key
/// underlined, and the help.
fn render(d: &Diagnostic, file: &str, source: &str) -> String {
    let mut diagnostic = MietteDiagnostic::new(if d.key_path.is_empty() {
        d.message.clone()
    } else {
        format!("{}: {}", d.key_path, d.message)
    })
    .with_severity(match d.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    });
    if let Some(help) = &d.help {
        diagnostic = diagnostic.with_help(help.clone());
    }
    let span = token_span(source, d.line, d.column);
    if let Some((offset, len)) = span {
        diagnostic = diagnostic.with_label(LabeledSpan::at(offset..offset + len, "here"));
    }
    // Secondary places (the column a key names, ...), each under its own message.
    for label in &d.labels {
        if let Some((offset, len)) = token_span(source, label.line, label.column) {
            diagnostic =
                diagnostic.and_label(LabeledSpan::at(offset..offset + len, label.message.clone()));
        }
    }
    let theme = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(1);
    let report = miette::Report::new(diagnostic)
        .with_source_code(NamedSource::new(file, mask_credentials(source)));
    let mut out = String::new();
    if handler.render_report(&mut out, report.as_ref()).is_err() || span.is_none() {
        // No position (or rendering failed): the plain one-line form still names the place.
        return format!("{d}\n");
    }
    out.push('\n');
    out
}

/// Keys whose literal values are credentials.
const CREDENTIAL_KEYS: &[&str] = &[
    "token",
    "api_key",
    "password",
    "client_secret",
    "refresh_token",
    "authorization",
];

/// The source with literal credential values (`token: abc`, not `token: { secret: x }`)
/// replaced by `*`s of the same length, so the lines a diagnostic shows never leak a
/// credential and every span stays where it was.
fn mask_credentials(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for line in source.split_inclusive('\n') {
        out.push_str(&mask_line(line));
    }
    out
}

fn mask_line(line: &str) -> String {
    let body = line.trim_end_matches(['\n', '\r']);
    let indent = body.len() - body.trim_start().len();
    let mut key_start = indent;
    if body[key_start..].starts_with("- ") {
        key_start += 2;
    }
    let Some(colon) = body[key_start..].find(": ").map(|i| key_start + i) else {
        return line.to_owned();
    };
    let key = body[key_start..colon]
        .trim()
        .trim_matches(['"', '\''])
        .to_ascii_lowercase();
    let value = body[colon + 2..].trim();
    let literal = !value.is_empty() && !value.starts_with(['{', '[', '#', '&', '*', '|', '>']);
    if !CREDENTIAL_KEYS.contains(&key.as_str()) || !literal {
        return line.to_owned();
    }
    let start = colon + 2 + (body[colon + 2..].len() - body[colon + 2..].trim_start().len());
    let end = start + value.len();
    let stars: String = line[start..end].chars().map(|_| '*').collect();
    // Same byte length for ASCII values; non-ASCII shrinks, which only shifts this line's tail.
    format!("{}{stars}{}", &line[..start], &line[end..])
}

/// Byte offset and length of the YAML token starting at 1-based `line`:`column` (columns
/// count characters): a quoted string, or a plain scalar up to `:`, `,`, `}`, `]` or the end
/// of the line.
fn token_span(source: &str, line: usize, column: usize) -> Option<(usize, usize)> {
    if line == 0 || column == 0 {
        return None;
    }
    let mut offset = 0;
    for (i, text) in source.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let start = text
                .char_indices()
                .nth(column - 1)
                .map(|(b, _)| b)
                .unwrap_or(text.trim_end().len());
            let rest = text[start..].trim_end_matches(['\n', '\r']);
            let len = match rest.chars().next() {
                Some(q @ ('"' | '\'')) => rest[1..].find(q).map_or(rest.len(), |n| n + 2),
                Some('{' | '[') | None => 1.min(rest.len()),
                _ => {
                    let end = rest
                        .find(": ")
                        .into_iter()
                        .chain(rest.find([',', '}', ']', '#']))
                        .min()
                        .unwrap_or(rest.len());
                    rest[..end].trim_end().trim_end_matches(':').len()
                }
            };
            return Some((offset + start, len.max(1).min(rest.len().max(1))));
        }
        offset += text.len();
    }
    None
}

fn auth_name(auth: &AuthPlan) -> String {
    match auth {
        AuthPlan::ApiKey { location, .. } => {
            let place = match location {
                ApiKeyLocation::Query => "query",
                ApiKeyLocation::Cookie => "cookie",
                ApiKeyLocation::Header => "header",
            };
            format!("api_key in {place}")
        }
        AuthPlan::OAuth2(o) if o.refresh_token.is_some() => "oauth2 (refresh token grant)".into(),
        AuthPlan::OAuth2(_) => "oauth2 (client credentials)".into(),
        other => other.type_name().into(),
    }
}

struct Summary {
    resources: Vec<String>,
    auth: Vec<String>,
    paginators: Vec<String>,
    secrets: Vec<String>,
}

fn summarise(spec: &ResolvedSpec) -> Summary {
    let mut auth: Vec<String> = Vec::new();
    let mut paginators: Vec<String> = Vec::new();
    let push = |list: &mut Vec<String>, item: String| {
        if !list.contains(&item) {
            list.push(item);
        }
    };
    if let Some(a) = &spec.client.auth {
        push(&mut auth, auth_name(a));
    }
    for r in &spec.resources {
        if let Some(a) = &r.auth {
            push(&mut auth, auth_name(a));
        }
        push(&mut paginators, r.paginator.type_name().to_owned());
    }
    Summary {
        resources: spec.dependency_order.clone(),
        auth,
        paginators,
        secrets: spec.secrets.clone(),
    }
}

fn summary_line(spec: &ResolvedSpec, warnings: usize) -> String {
    let s = summarise(spec);
    let mut line = format!(
        "connector `{}`: {} ({}); auth: {}; paginators: {}; secrets: {}",
        spec.name,
        plural(s.resources.len(), "resource"),
        s.resources.join(", "),
        if s.auth.is_empty() {
            "none".to_owned()
        } else {
            s.auth.join(", ")
        },
        s.paginators.join(", "),
        if s.secrets.is_empty() {
            "none".to_owned()
        } else {
            s.secrets.join(", ")
        },
    );
    if warnings > 0 {
        line.push_str(&format!("; {}", plural(warnings, "warning")));
    }
    line
}

fn json_report(file: &str, outcome: &Outcome) -> serde_json::Value {
    match outcome {
        Outcome::Unreadable(err) => json!({
            "file": file,
            "status": "unreadable",
            "error": err,
            "diagnostics": [],
        }),
        Outcome::Invalid(diagnostics) => json!({
            "file": file,
            "status": "invalid",
            "diagnostics": diagnostics,
        }),
        Outcome::Valid(loaded) => {
            let s = summarise(&loaded.resolved);
            json!({
                "file": file,
                "status": "valid",
                "summary": {
                    "name": loaded.spec.name,
                    "resources": s.resources,
                    "auth": s.auth,
                    "paginators": s.paginators,
                    "secrets": s.secrets,
                },
                "diagnostics": loaded.warnings,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::token_span;

    #[test]
    fn literal_credentials_are_masked_in_place() {
        let src = "auth:\n  token: sk_live_1\n  api_key: { secret: k }\n  name: tok\n";
        assert_eq!(
            super::mask_credentials(src),
            "auth:\n  token: *********\n  api_key: { secret: k }\n  name: tok\n"
        );
        assert_eq!(
            super::mask_credentials("- password: x y\n"),
            "- password: ***\n"
        );
    }

    #[test]
    fn spans_cover_the_token() {
        let src = "a: 1\n  page_parm: page\n  x: \"quoted: y\"\n";
        assert_eq!(token_span(src, 2, 3), Some((7, 9)));
        assert_eq!(token_span(src, 3, 6), Some((28, 11)));
        assert_eq!(token_span(src, 9, 1), None);
        assert_eq!(token_span(src, 0, 0), None);
    }
}
