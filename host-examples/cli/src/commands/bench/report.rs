//! The measured rows of `sslsocket bench` and how they are printed: a table, or one JSON object
//! per line.

use serde_json::{Value, json};

/// One measured row.
pub(super) struct Row {
    /// The benchmark: `cold-start`, `primitives`, `throughput`, `handshakes` or `scale`.
    pub(super) bench: &'static str,
    /// What was measured, e.g. the suite and size.
    pub(super) case: String,
    /// Who ran it: `guest`, `native`, `openssl` or `ratio`.
    pub(super) client: &'static str,
    /// The measurement.
    pub(super) value: f64,
    /// Its unit.
    pub(super) unit: &'static str,
    /// How it was measured.
    pub(super) note: String,
}

/// The ratio row of a case: the component's value over the native one.
pub(super) fn ratio_row(bench: &'static str, case: String, value: f64) -> Row {
    Row {
        bench,
        case,
        client: "ratio",
        value,
        unit: "guest/native",
        note: String::new(),
    }
}

/// Prints the rows as a table, or as one JSON object per line.
pub(super) fn print(rows: &[Row], json: bool) {
    if json {
        for row in rows {
            let line: Value = json!({
                "event": "bench",
                "bench": row.bench,
                "case": row.case,
                "client": row.client,
                "value": row.value,
                "unit": row.unit,
                "note": row.note,
            });
            println!("{line}");
        }
        return;
    }
    println!(
        "{:<12} {:<44} {:<8} {:>12} {:<14} note",
        "bench", "case", "client", "value", "unit"
    );
    for row in rows {
        println!(
            "{:<12} {:<44} {:<8} {:>12.2} {:<14} {}",
            row.bench, row.case, row.client, row.value, row.unit, row.note
        );
    }
}
