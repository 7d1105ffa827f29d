//! Multi-row statements that read their rows from one JSON array parameter: one statement text
//! whatever the number of rows (so the prepared statement is reused) and one bound value (so no
//! limit on bound parameters applies, and nothing is built per value but the array itself).

use std::fmt::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{DatabaseBackend, Statement};
use serde_json::Value as Json;

/// How a value travels in the JSON array a bulk statement reads its rows from.
#[derive(Clone, Copy)]
pub enum Kind {
    Uuid,
    Text,
    Int,
    Time,
    /// A JSON column, carried as its serialised text (a JSON string), so the stored text is
    /// exactly what the serialiser wrote.
    Json,
}

/// The expression reading element `i` of a JSON row (`value`) as a column of `kind`.
pub fn json_value(backend: DatabaseBackend, i: usize, kind: Kind) -> String {
    match (backend == DatabaseBackend::Postgres, kind) {
        (true, Kind::Uuid) => format!("(value->>{i})::uuid"),
        (true, Kind::Int) => format!("(value->>{i})::bigint"),
        (true, Kind::Time) => format!("(value->>{i})::timestamptz"),
        (true, Kind::Json) => format!("(value->>{i})::json"),
        (false, Kind::Uuid) => format!("unhex(value->>{i}, '-')"),
        _ => format!("value->>{i}"),
    }
}

/// `INSERT INTO table (columns) SELECT … FROM <the rows of a JSON array> WHERE true <tail>`.
/// Each row is a JSON array with one element per column, in column order.
pub fn insert_rows(
    backend: DatabaseBackend,
    table: &str,
    columns: &[(&str, Kind)],
    tail: &str,
    rows: &[Json],
) -> Statement {
    statement(
        backend,
        table,
        columns,
        tail,
        array(rows),
        "json_array_elements($1::json)",
    )
}

/// [`insert_rows`] with the array already serialised (rows written straight from their
/// structs, with no JSON values built in between).
pub fn insert_text_rows(
    backend: DatabaseBackend,
    table: &str,
    columns: &[(&str, Kind)],
    rows: String,
) -> Statement {
    statement(
        backend,
        table,
        columns,
        "",
        rows,
        "json_array_elements($1::json)",
    )
}

/// [`insert_text_rows`] for wide rows: on PostgreSQL the array is parsed once into `jsonb`,
/// where `json` would scan a row's text again for each column read from it.
pub fn insert_wide_text_rows(
    backend: DatabaseBackend,
    table: &str,
    columns: &[(&str, Kind)],
    rows: String,
) -> Statement {
    statement(
        backend,
        table,
        columns,
        "",
        rows,
        "jsonb_array_elements($1::jsonb)",
    )
}

fn statement(
    backend: DatabaseBackend,
    table: &str,
    columns: &[(&str, Kind)],
    tail: &str,
    rows: String,
    pg_source: &str,
) -> Statement {
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let values: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| json_value(backend, i, *kind))
        .collect();
    let source = if backend == DatabaseBackend::Postgres {
        pg_source
    } else {
        "jsonb_each(?)"
    };
    Statement::from_sql_and_values(
        backend,
        format!(
            "INSERT INTO {table} ({}) SELECT {} FROM {source} WHERE true {tail}",
            names.join(", "),
            values.join(", ")
        ),
        [rows.into()],
    )
}

/// The JSON text of an array of `rows`, written without copying them.
pub fn array(rows: &[Json]) -> String {
    let mut text = String::with_capacity(rows.len() * 64 + 2);
    text.push('[');
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        // Writing to a String cannot fail.
        let _ = write!(text, "{row}");
    }
    text.push(']');
    text
}

/// Timestamps as the database driver writes them, so that stored text compares in order.
pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}
