//! The command line's log: `tracing` events of the runtime and the loader, on stderr.
//!
//! Levels: `-q` errors only; by default warnings (a suspicious stop, a long wait, a record
//! skipped); `-v` adds each resource's plan, retries, token refreshes and hops to another
//! host; `-vv` every request; `-vvv` everything. `RUST_LOG` (an `EnvFilter` directive such as
//! `connector_runtime=debug`) replaces the level the flags chose. While progress bars are
//! drawn, a log line is printed above them instead of through them.

use std::io::{IsTerminal, Write};
use std::sync::{Mutex, OnceLock};

use indicatif::MultiProgress;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields};
use tracing_subscriber::fmt::{FmtContext, FormattedFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// How log lines are written: the `--log-format` values.
// Plain comments on the variants: clap would print doc comments in `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    // One human-readable line per event.
    #[default]
    Text,
    // One JSON object per event (timestamp, level, target, fields, spans).
    Json,
}

/// The log flags every command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// More log output: `-v` plans, retries, waits and token refreshes; `-vv` every request.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Errors only: no warnings, no progress.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log line format on stderr.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true, value_name = "FORMAT")]
    log_format: Format,
}

/// The crates whose events the flags turn up; other crates' (hyper, reqwest) stay at `warn`
/// unless `RUST_LOG` asks for them.
const OWN_TARGETS: &[&str] = &["connector", "connector_runtime", "connector_load"];

impl Args {
    /// The filter the flags ask for, unless `RUST_LOG` is set.
    fn filter(&self) -> EnvFilter {
        if let Ok(directives) = std::env::var("RUST_LOG") {
            if !directives.trim().is_empty() {
                return EnvFilter::new(directives);
            }
        }
        let own = match (self.quiet, self.verbose) {
            (true, _) => "error",
            (false, 0) => "warn",
            (false, 1) => "info",
            (false, 2) => "debug",
            (false, _) => "trace",
        };
        let others = if self.quiet { "error" } else { "warn" };
        let mut directives = vec![others.to_owned()];
        directives.extend(OWN_TARGETS.iter().map(|t| format!("{t}={own}")));
        EnvFilter::new(directives.join(","))
    }
}

/// Installs the subscriber for this process. Call once, before anything logs.
pub fn init(args: &Args) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(args.filter())
        .with_writer(Stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    // A second subscriber (there is none in the binary) would be a bug, not a user error.
    let _ = match args.log_format {
        Format::Text => builder.event_format(Human).try_init(),
        Format::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

/// Text lines as the rest of the command line writes them: `warning: ...`, `error: ...`,
/// then the event's fields, then where it happened (the resource, and at `-vv` the request)
/// in brackets.
struct Human;

impl<S, N> FormatEvent<S, N> for Human
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: format::Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "info",
            Level::DEBUG => "debug",
            Level::TRACE => "trace",
        };
        write!(writer, "{level}: ")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        if let Some(scope) = ctx.event_scope() {
            let mut first = true;
            for span in scope.from_root() {
                let extensions = span.extensions();
                let Some(fields) = extensions.get::<FormattedFields<N>>() else {
                    continue;
                };
                write!(writer, "{}", if first { " [" } else { " " })?;
                first = false;
                write!(writer, "{}{{{fields}}}", span.name())?;
            }
            if !first {
                write!(writer, "]")?;
            }
        }
        writeln!(writer)
    }
}

/// The bars being drawn, if any: log lines are printed above them.
static BARS: OnceLock<Mutex<Option<MultiProgress>>> = OnceLock::new();

/// Routes log lines above `bars` while they are drawn (`None`: they are done).
pub fn draw_above(bars: Option<MultiProgress>) {
    if let Ok(mut slot) = BARS.get_or_init(|| Mutex::new(None)).lock() {
        *slot = bars;
    }
}

/// stderr, suspending the progress bars for each line.
#[derive(Clone, Copy)]
struct Stderr;

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line(Vec::new())
    }
}

/// One formatted event, written whole when dropped so bars and lines never interleave.
struct Line(Vec<u8>);

impl Write for Line {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let write = || {
            let _ = std::io::stderr().lock().write_all(&self.0);
        };
        let bars = BARS
            .get()
            .and_then(|slot| slot.lock().ok())
            .and_then(|guard| guard.clone());
        match bars {
            Some(bars) => bars.suspend(write),
            None => write(),
        }
    }
}
