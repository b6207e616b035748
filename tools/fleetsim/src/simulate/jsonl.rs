//! The file sink: a fleet's merged readings as JSON lines.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::{Merged, RunStats, SimConfig, fmt_time};
use crate::vehicle::Vehicle;

/// Writes the merged readings of `fleet` as JSON lines to `out`.
///
/// Generation and encoding run on the calling thread; a second thread does the
/// blocking writes, so disk I/O overlaps with simulation. Buffers of about 1 MiB go
/// back and forth over two small channels and are reused.
pub fn write_jsonl(
    fleet: &[Vehicle],
    cfg: &SimConfig,
    out: &mut (dyn Write + Send),
    progress: bool,
) -> anyhow::Result<RunStats> {
    const FLUSH_AT: usize = 1 << 20;
    const BUFFERS: usize = 4;
    let started = Instant::now();
    let mut merged = Merged::new(fleet.iter().cloned(), *cfg);
    let mut stats = RunStats::default();
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(BUFFERS);
    let (empty_tx, empty_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(BUFFERS);
    for _ in 0..BUFFERS {
        empty_tx
            .send(Vec::with_capacity(FLUSH_AT + 4096))
            .context("priming write buffers")?;
    }
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> io::Result<()> {
            for buf in full_rx {
                out.write_all(&buf)?;
                // The generator may be gone after the last buffer; nothing to return to.
                let _ = empty_tx.send(buf);
            }
            out.flush()
        });
        let mut buf = empty_rx.recv().context("write buffer")?;
        buf.clear();
        let mut last_report = Instant::now();
        while let Some((s, slot)) = merged.next_with_slot() {
            s.write_json(&mut buf, merged.slot_vehicle(slot), cfg.seed);
            buf.push(b'\n');
            stats.readings += 1;
            if buf.len() >= FLUSH_AT {
                if full_tx.send(buf).is_err() {
                    // The writer failed; its error is reported below.
                    buf = Vec::new();
                    break;
                }
                buf = empty_rx.recv().context("write buffer")?;
                buf.clear();
                if progress && last_report.elapsed() >= Duration::from_secs(2) {
                    last_report = Instant::now();
                    eprintln!(
                        "[{:>6.1}s] {} readings, simulated time {}",
                        started.elapsed().as_secs_f64(),
                        stats.readings,
                        fmt_time(s.t)
                    );
                }
            }
        }
        // A failed writer has dropped its receiver; the error comes from join below.
        let _ = full_tx.send(buf);
        drop(full_tx);
        match writer.join() {
            Ok(r) => r.context("writing readings"),
            Err(_) => bail!("the writer thread panicked"),
        }
    })?;
    stats.clamped = merged.clamped();
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::build_fleet;
    use crate::simulate::testkit::{SUMMER, cfg};

    #[test]
    fn a_failing_output_is_an_error_not_a_hang() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let cfg = cfg(SUMMER, 3, 1);
        let fleet = build_fleet(20, &cfg, 0.0);
        let err = write_jsonl(&fleet, &cfg, &mut Broken, false).expect_err("must fail");
        assert!(format!("{err:#}").contains("disk full"), "{err:#}");
    }
}
