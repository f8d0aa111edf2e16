//! `sync`'s progress on stderr, drawn from the loader's events: indicatif spinners on a
//! terminal, plain log lines otherwise.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use connector_load::sync::{ResourceReport, ResourceStatus, SyncEvent, SyncObserver};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown (on stderr): the `--progress` values.
// Plain comments on the variants: clap would print doc comments in `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    // Bars when stderr is a terminal, lines otherwise.
    Auto,
    // indicatif bars.
    Bars,
    // A log line when a resource starts, every few seconds while it runs, and when it ends.
    Lines,
    // Nothing.
    Quiet,
}

/// How often a line-mode resource reports while running.
const LINE_INTERVAL: Duration = Duration::from_secs(5);

/// The run's progress display: a [`SyncObserver`] drawing each resource.
pub struct Display {
    mode: Mode,
    multi: Option<MultiProgress>,
    resources: Mutex<HashMap<String, ResourceProgress>>,
}

impl Display {
    pub fn new(mode: Mode) -> Display {
        let mode = match mode {
            Mode::Auto if std::io::stderr().is_terminal() => Mode::Bars,
            Mode::Auto => Mode::Lines,
            other => other,
        };
        let multi = (mode == Mode::Bars)
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        crate::logging::draw_above(multi.clone());
        Display {
            mode,
            multi,
            resources: Mutex::new(HashMap::new()),
        }
    }

    /// The display of one resource, shown from now on.
    fn start(&self, name: &str) -> ResourceProgress {
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
        if self.mode == Mode::Lines {
            eprintln!("sync: {name}: started");
        }
        ResourceProgress {
            name: name.to_owned(),
            lines: self.mode == Mode::Lines,
            bar,
            last_line: Instant::now(),
        }
    }
}

impl SyncObserver for Display {
    fn on_event(&self, event: SyncEvent<'_>) {
        if self.mode == Mode::Quiet {
            return;
        }
        let Ok(mut resources) = self.resources.lock() else {
            return;
        };
        match event {
            SyncEvent::ResourceStarted { resource } => {
                let progress = self.start(resource);
                resources.insert(resource.to_owned(), progress);
            }
            SyncEvent::Fetched {
                resource,
                records,
                pages,
                ..
            } => {
                if let Some(progress) = resources.get_mut(resource) {
                    progress.update(records, pages);
                }
            }
            SyncEvent::ResourceFinished { report } => {
                if let Some(progress) = resources.remove(&report.resource) {
                    progress.finish(report);
                }
            }
            _ => {}
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        crate::logging::draw_above(None);
    }
}

/// Progress of one resource.
struct ResourceProgress {
    name: String,
    lines: bool,
    bar: Option<ProgressBar>,
    last_line: Instant,
}

impl ResourceProgress {
    fn update(&mut self, records: u64, pages: u64) {
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

    fn finish(self, report: &ResourceReport) {
        let message = match (&report.status, &report.error) {
            (ResourceStatus::Ok, _) => format!(
                "done: {} records, {} pages, {} rows in table, {:.1} s",
                report.records, report.pages, report.table_rows, report.seconds
            ),
            // The error itself is printed once, with the others, when the run ends.
            (ResourceStatus::Failed, _) => format!(
                "FAILED after {} records, {} pages (error below)",
                report.records, report.pages
            ),
        };
        if let Some(bar) = self.bar {
            bar.finish_with_message(message);
        } else if self.lines {
            eprintln!("sync: {}: {message}", self.name);
        }
    }
}
