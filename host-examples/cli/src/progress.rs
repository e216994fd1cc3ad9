//! Progress bars for the long commands (`load`, `bench`), on standard error and only when it is
//! a terminal and the output is not JSON: piped or `--json` output stays exactly as it was.

use std::io::IsTerminal as _;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar, or nothing when progress should not be shown.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar of `total` steps named `what`, shown only on a terminal without `--json`.
    pub fn new(what: &str, total: u64, json: bool) -> Self {
        if json || !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = ProgressBar::new(total);
        let style = ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(what.to_owned());
        Self(Some(bar))
    }

    /// Moves to step `position` of `total`, now doing `what`.
    pub fn set(&self, what: &str, position: u64, total: u64) {
        if let Some(bar) = &self.0 {
            bar.set_length(total);
            bar.set_position(position);
            bar.set_message(what.to_owned());
        }
    }

    /// One more step done, now doing `what`.
    pub fn step(&self, what: &str) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
            bar.set_message(what.to_owned());
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
