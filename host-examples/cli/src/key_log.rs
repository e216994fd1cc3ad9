//! `SSLKEYLOGFILE`: where `connect` and `serve` append the NSS key-log lines of their
//! handshakes, for Wireshark, as curl, Firefox, Node and Python do. Off unless the variable is
//! set: the lines decrypt the connections.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::sync::Mutex;

use anyhow::Context as _;

/// The file named by `SSLKEYLOGFILE`, open for appending.
#[derive(Debug)]
pub struct KeyLogFile(Mutex<File>);

impl KeyLogFile {
    /// Opens (creating it) the file `SSLKEYLOGFILE` names; `None` when it is unset or empty.
    ///
    /// # Errors
    /// The file cannot be opened.
    pub fn from_env() -> anyhow::Result<Option<Self>> {
        let Some(path) = std::env::var_os("SSLKEYLOGFILE").filter(|p| !p.is_empty()) else {
            return Ok(None);
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("SSLKEYLOGFILE: cannot open {}", path.to_string_lossy()))?;
        Ok(Some(Self(Mutex::new(file))))
    }

    /// Appends `lines`, one per line.
    ///
    /// # Errors
    /// The write failed.
    pub fn append<'a>(&self, lines: impl IntoIterator<Item = &'a str>) -> anyhow::Result<()> {
        let mut file = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for line in lines {
            writeln!(file, "{line}").context("SSLKEYLOGFILE: write failed")?;
        }
        file.flush().context("SSLKEYLOGFILE: write failed")
    }
}
