//! Bulk loading with `COPY … FROM STDIN` in PostgreSQL's text format.
//!
//! A projection that appends many rows per batch (ingestion's audit trail) pays for an
//! `INSERT`'s parsing, planning and per-row executor work; `COPY` skips them. The rows
//! are encoded here, fields escaped as the text format requires, and sent in one
//! message. `COPY` cannot skip a row that breaks a unique constraint, so callers keep
//! an `INSERT … ON CONFLICT` path for the batches [`is_unique_violation`] fails.

use std::fmt::Display;
use std::io::Write;

use sqlx::PgPool;

/// Rows in `COPY` text format: fields separated by tabs, rows by newlines, `\N` for
/// NULL; backslash, tab, newline and carriage return escaped.
#[derive(Debug, Default)]
pub struct CopyRows {
    buf: Vec<u8>,
    /// No field written yet in the current row.
    row_start: bool,
    rows: usize,
}

impl CopyRows {
    /// An empty set with room for about `bytes` of data.
    pub fn with_capacity(bytes: usize) -> Self {
        Self {
            buf: Vec::with_capacity(bytes),
            row_start: true,
            rows: 0,
        }
    }

    fn separate(&mut self) {
        if !self.row_start {
            self.buf.push(b'\t');
        }
        self.row_start = false;
    }

    /// Appends a text field.
    pub fn text(&mut self, value: &str) -> &mut Self {
        self.separate();
        let bytes = value.as_bytes();
        let mut plain = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let escaped: &[u8] = match b {
                b'\\' => b"\\\\",
                b'\t' => b"\\t",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                _ => continue,
            };
            self.buf.extend_from_slice(&bytes[plain..i]);
            self.buf.extend_from_slice(escaped);
            plain = i + 1;
        }
        self.buf.extend_from_slice(&bytes[plain..]);
        self
    }

    /// Appends a field whose `Display` form needs no escaping (numbers, UUIDs,
    /// RFC 3339 times).
    pub fn plain(&mut self, value: impl Display) -> &mut Self {
        self.separate();
        // Writing into a Vec cannot fail.
        let _ = write!(self.buf, "{value}");
        self
    }

    /// Appends a text field or NULL.
    pub fn text_or_null(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.text(v),
            None => {
                self.separate();
                self.buf.extend_from_slice(b"\\N");
                self
            }
        }
    }

    /// Ends the current row.
    pub fn end_row(&mut self) {
        self.buf.push(b'\n');
        self.row_start = true;
        self.rows += 1;
    }

    /// Rows ended so far.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row was ended.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The encoded data.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }
}

/// Runs `statement` (`COPY table (columns) FROM STDIN`) with `rows` as its data, in
/// one statement: every row is stored or none. Returns the rows stored.
pub async fn copy_in(pool: &PgPool, statement: &str, rows: &CopyRows) -> Result<u64, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut copy = conn.copy_in_raw(statement).await?;
    if let Err(e) = copy.send(rows.as_bytes()).await {
        // The connection must leave copy mode before it goes back to the pool.
        let _ = copy.abort("sending the rows failed").await;
        return Err(e);
    }
    copy.finish().await
}

/// Whether `e` is a unique-constraint violation (SQLSTATE 23505).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("23505"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_escaped_and_rows_delimited() {
        let mut rows = CopyRows::with_capacity(64);
        rows.text("a\tb\\c\nd\re").plain(42).text_or_null(None);
        rows.end_row();
        rows.text("{\"k\":\"x\\\"y\"}").text_or_null(Some(""));
        rows.end_row();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            std::str::from_utf8(rows.as_bytes()).unwrap(),
            "a\\tb\\\\c\\nd\\re\t42\t\\N\n{\"k\":\"x\\\\\"y\"}\t\n"
        );
    }
}
