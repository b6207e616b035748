//! Work spread over a few threads, results in input order: the replays, fits and folds
//! of the training code and the benchmarks.

/// `f` of every item, on `threads` scoped threads (contiguous chunks), in item order.
/// A panic in `f` is resumed on the caller's thread.
pub fn map_in_order<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let chunk = items.len().div_ceil(threads.max(1)).max(1);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::map_in_order;

    #[test]
    fn results_keep_the_input_order_whatever_the_threads() {
        let items: Vec<u32> = (0..23).collect();
        for threads in [0, 1, 2, 5, 40] {
            let out = map_in_order(&items, threads, |x| x * 10);
            assert_eq!(
                out,
                items.iter().map(|x| x * 10).collect::<Vec<_>>(),
                "{threads}"
            );
        }
        assert!(map_in_order(&[] as &[u32], 2, |x| *x).is_empty());
    }
}
