//! The battery benchmark's code on the real NASA Ames cells (their capacities per
//! cycle, committed in `data/nasa-battery/capacity.csv`): capacities as published, and a leave-one-cell-out
//! fold whose learned growth law predicts B0005's end of life about as well as a
//! straight line does, which a broken fit or loader would not. Training histories are
//! thinned (every 10th cycle) so that it runs in seconds unoptimized.

use models_training::battery::{Cell, Setup, capacity_file, fold, read_capacities};

fn cells() -> Vec<Cell> {
    read_capacities(&capacity_file()).expect("the committed NASA battery capacities")
}

#[test]
fn capacity_fades_as_published() {
    let cells = cells();
    let b5 = &cells[0];
    assert_eq!(b5.cycles(), 168);
    // Saha & Goebel's capacity of B0005: about 1.86 Ah new, 1.33 Ah at the end.
    assert!((1.8..=1.95).contains(&b5.capacity(1)), "{}", b5.capacity(1));
    assert!(
        (1.28..=1.36).contains(&b5.capacity(168)),
        "{}",
        b5.capacity(168)
    );
    assert!(
        matches!(b5.eol_cycle(1.4), Some(120..=130)),
        "{:?}",
        b5.eol_cycle(1.4)
    );
    let b7 = &cells[2];
    assert_eq!(b7.name, "B0007");
    assert_eq!(b7.eol_cycle(1.4), None, "B0007 never falls below 1.4 Ah");
    assert_eq!(cells[3].cycles(), 132);
}

#[test]
fn a_held_out_cell_end_of_life_is_predicted_from_the_others() {
    let cells = cells();
    let setup = Setup {
        threshold_ah: 1.4,
        starts: vec![80, 100, 130],
        train_from: 40,
        every: 10,
        coverage: 0.8,
        min_pairs: 5,
    };
    let f = fold(&cells, 0, &setup).expect("B0005 reaches 1.4 Ah");
    assert_eq!(f.trained_on, ["B0006", "B0018"], "B0007 has no end of life");
    assert!(
        f.learned.law.is_some(),
        "a growth law beats the untrained extrapolation"
    );
    assert!(f.learned.intervals.is_some());
    assert_eq!(f.past_eol, [130]);
    assert_eq!(f.predictions.len(), 2);
    for p in &f.predictions {
        // The naive straight line is off by 8 to 17 cycles here; no fit at all would
        // be 200 off.
        let error = p.engine_eol - p.true_eol as f64;
        assert!(error.abs() < 25.0, "{p:?}");
        let [low, high] = p.interval.expect("an interval");
        assert!(low <= p.engine_eol && p.engine_eol <= high, "{p:?}");
    }
}
