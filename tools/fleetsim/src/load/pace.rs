//! Paced sending: each worker sends on an absolute schedule so that the workers
//! together offer a fixed rate, whatever the server's latency.
//!
//! Worker `w` of `n` sends request `k` at `phase + k·period`, with
//! `period = n·batch / rate` and the phases spread over one period, so the requests of
//! all workers interleave evenly. The schedule is absolute (it never drifts with the
//! time a request took), and a worker that fell behind sends its overdue slots
//! back-to-back only while it is less than [`MAX_LAG_S`] late; beyond that it skips to
//! the newest due slot, so a stall of the server is not followed by a burst that
//! would measure the burst instead of the rate.

/// How late a worker may be and still catch up on overdue slots, seconds.
pub(crate) const MAX_LAG_S: f64 = 0.25;

/// One worker's send times, in seconds since the run started.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Schedule {
    /// Time of slot 0.
    pub(crate) phase_s: f64,
    /// Time between two slots.
    pub(crate) period_s: f64,
}

impl Schedule {
    /// The schedule of worker `w` of `workers`, each request carrying `batch` readings,
    /// for `rate` readings per second in total.
    pub(crate) fn for_worker(rate: f64, batch: usize, workers: usize, w: usize) -> Self {
        let workers = workers.max(1);
        let period_s = (workers * batch.max(1)) as f64 / rate;
        Self {
            phase_s: period_s * w as f64 / workers as f64,
            period_s,
        }
    }

    /// When slot `k` is due.
    pub(crate) fn at(&self, k: u64) -> f64 {
        self.phase_s + k as f64 * self.period_s
    }

    /// The slot to send next, given that `k` is the first not yet sent and `now` the
    /// time since the start: `k` itself unless the worker is more than [`MAX_LAG_S`]
    /// behind, else the newest slot already due (the ones in between are skipped).
    pub(crate) fn next_slot(&self, k: u64, now: f64) -> u64 {
        if now - self.at(k) <= MAX_LAG_S {
            return k;
        }
        let due = ((now - self.phase_s) / self.period_s).floor();
        (due.max(0.0) as u64).max(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_interleave_and_add_up_to_the_rate() {
        let rate = 10_000.0;
        let (batch, workers) = (100, 8);
        let s: Vec<Schedule> = (0..workers)
            .map(|w| Schedule::for_worker(rate, batch, workers, w))
            .collect();
        // 8 workers × 100 readings every 80 ms = 10,000 readings/s.
        assert!((s[0].period_s - 0.08).abs() < 1e-12);
        assert_eq!(s[0].phase_s, 0.0);
        assert!((s[1].phase_s - 0.01).abs() < 1e-12);
        // Slots due within one second, all workers: 100 requests of 100 readings.
        let sent: usize = s
            .iter()
            .map(|w| (0..).take_while(|&k| w.at(k) < 1.0).count())
            .sum();
        assert_eq!(sent * batch, 10_000);
        // Absolute: slot 1000 is exactly 1000 periods after the phase.
        assert!((s[3].at(1000) - (s[3].phase_s + 80.0)).abs() < 1e-9);
    }

    #[test]
    fn a_late_worker_catches_up_briefly_then_skips() {
        let s = Schedule {
            phase_s: 0.0,
            period_s: 0.1,
        };
        // On time or early: the slot itself (the caller sleeps until it is due).
        assert_eq!(s.next_slot(5, 0.3), 5);
        // A little late: still the overdue slot, sent at once.
        assert_eq!(s.next_slot(5, 0.7), 5);
        // Over MAX_LAG_S late: skip to the newest due slot, no burst.
        assert_eq!(s.next_slot(5, 2.05), 20);
        // Never backwards.
        assert_eq!(s.next_slot(30, 2.05), 30);
    }
}
