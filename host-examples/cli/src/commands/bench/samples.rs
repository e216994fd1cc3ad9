//! The samples of a handshake run: each handshake's time and the 1-byte echo after it, and their
//! summary (rate, mean, percentiles, resumptions, groups).

use std::time::Duration;

/// One connection of a handshake run.
pub(super) struct Sample {
    /// From connect to the handshake done, as the client sees it.
    pub(super) handshake: Duration,
    /// The 1-byte echo after it (which also takes in the server's session tickets).
    pub(super) echo: Duration,
    /// Whether the handshake resumed an earlier session.
    pub(super) resumed: bool,
    /// The key exchange group negotiated.
    pub(super) group: Option<String>,
}

/// The samples of one handshake run.
pub(super) struct Samples(Vec<Sample>);

impl Samples {
    /// Runs `one` `count` times.
    pub(super) fn collect(
        count: usize,
        mut one: impl FnMut() -> anyhow::Result<Sample>,
    ) -> anyhow::Result<Self> {
        (0..count)
            .map(|_| one())
            .collect::<anyhow::Result<_>>()
            .map(Self)
    }

    /// Handshakes per second (one at a time).
    pub(super) fn rate(&self) -> f64 {
        let total: f64 = self.0.iter().map(|s| s.handshake.as_secs_f64()).sum();
        self.0.len() as f64 / total
    }

    /// A one-line summary: mean, p50 and p99 handshake times, the echo, resumptions, groups.
    pub(super) fn note(&self, who: &str) -> String {
        let count = self.0.len().max(1) as f64;
        let mean = |f: fn(&Sample) -> Duration| {
            self.0.iter().map(|s| f(s).as_secs_f64()).sum::<f64>() * 1000.0 / count
        };
        let mut sorted: Vec<Duration> = self.0.iter().map(|s| s.handshake).collect();
        sorted.sort();
        let percentile = |p: usize| {
            let index = (sorted.len() * p / 100).min(sorted.len().saturating_sub(1));
            sorted.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        let mut groups: Vec<&str> = self.0.iter().filter_map(|s| s.group.as_deref()).collect();
        groups.dedup();
        format!(
            "{who}: {:.2} ms handshake (p50 {:.2}, p99 {:.2}), then {:.2} ms 1-byte echo; {}/{} resumed; {}",
            mean(|s| s.handshake),
            percentile(50),
            percentile(99),
            mean(|s| s.echo),
            self.0.iter().filter(|s| s.resumed).count(),
            self.0.len(),
            groups.join(", ")
        )
    }
}
