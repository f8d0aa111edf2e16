//! Progress per resource: indicatif spinners on a terminal, plain log lines otherwise.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::report::{ResourceReport, ResourceStatus};

/// How progress is shown (on stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// Bars when stderr is a terminal, lines otherwise.
    #[default]
    Auto,
    /// indicatif bars.
    Bars,
    /// A log line when a resource starts, every few seconds while it runs, and when it ends.
    Lines,
    /// Nothing.
    Quiet,
}

/// How often a line-mode resource reports while running.
const LINE_INTERVAL: Duration = Duration::from_secs(5);

/// The run's progress display.
pub(crate) struct Reporter {
    mode: Progress,
    multi: Option<MultiProgress>,
}

impl Reporter {
    pub(crate) fn new(mode: Progress) -> Reporter {
        let mode = match mode {
            Progress::Auto if std::io::stderr().is_terminal() => Progress::Bars,
            Progress::Auto => Progress::Lines,
            other => other,
        };
        let multi = (mode == Progress::Bars)
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Reporter { mode, multi }
    }

    /// The display of one resource, shown from now on.
    pub(crate) fn resource(&self, name: &str) -> ResourceProgress {
        let bar = self.multi.as_ref().map(|multi| {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix:<20} {msg} [{elapsed}]")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(name.to_owned());
            bar.set_message("starting");
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        if self.mode == Progress::Lines {
            eprintln!("sync: {name}: started");
        }
        ResourceProgress {
            name: name.to_owned(),
            lines: self.mode == Progress::Lines,
            bar,
            last_line: Instant::now(),
        }
    }
}

/// Progress of one resource.
pub(crate) struct ResourceProgress {
    name: String,
    lines: bool,
    bar: Option<ProgressBar>,
    last_line: Instant,
}

impl ResourceProgress {
    pub(crate) fn update(&mut self, records: u64, pages: u64) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{records} records, {pages} pages"));
        } else if self.lines && self.last_line.elapsed() >= LINE_INTERVAL {
            self.last_line = Instant::now();
            eprintln!(
                "sync: {}: {records} records, {pages} pages so far",
                self.name
            );
        }
    }

    pub(crate) fn finish(self, report: &ResourceReport) {
        let message = match (&report.status, &report.error) {
            (ResourceStatus::Ok, _) => format!(
                "done: {} records, {} pages, {} rows in table, {:.1} s",
                report.records, report.pages, report.table_rows, report.seconds
            ),
            (ResourceStatus::Failed, Some(error)) => format!("FAILED: {error}"),
            (ResourceStatus::Failed, None) => "FAILED".to_owned(),
        };
        if let Some(bar) = self.bar {
            bar.finish_with_message(message);
        } else if self.lines {
            eprintln!("sync: {}: {message}", self.name);
        }
    }
}
