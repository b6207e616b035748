//! Scores for RUL predictions.

/// Root-mean-square error between predictions and true values.
///
/// Returns `NaN` for empty input; panics never. Extra elements of the longer slice are
/// ignored (callers pass equal lengths).
pub fn rmse(predicted: &[f64], actual: &[f64]) -> f64 {
    let n = predicted.len().min(actual.len());
    if n == 0 {
        return f64::NAN;
    }
    let sse: f64 = predicted
        .iter()
        .zip(actual)
        .map(|(p, a)| (p - a) * (p - a))
        .sum();
    (sse / n as f64).sqrt()
}

/// Contribution of one prediction to the PHM08 score, with `d = predicted - actual`.
///
/// Late predictions (`d > 0`, the engine fails before the predicted time) are penalised
/// more than early ones: `exp(-d/13) - 1` if `d < 0`, else `exp(d/10) - 1`.
pub fn phm08_term(predicted: f64, actual: f64) -> f64 {
    let d = predicted - actual;
    if d < 0.0 {
        (-d / 13.0).exp_m1()
    } else {
        (d / 10.0).exp_m1()
    }
}

/// PHM08 score: the sum of [`phm08_term`] over all units (lower is better, 0 is perfect).
pub fn phm08_score(predicted: &[f64], actual: &[f64]) -> f64 {
    predicted
        .iter()
        .zip(actual)
        .map(|(p, a)| phm08_term(*p, *a))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn rmse_matches_hand_computation() {
        // errors 1, -2, 3 -> squares 1, 4, 9 -> mean 14/3
        let r = rmse(&[11.0, 18.0, 33.0], &[10.0, 20.0, 30.0]);
        assert!(close(r, (14.0f64 / 3.0).sqrt()), "{r}");
        assert!(close(rmse(&[5.0], &[5.0]), 0.0));
        assert!(rmse(&[], &[]).is_nan());
    }

    #[test]
    fn phm08_penalises_late_more_than_early() {
        // d = -13 -> e^1 - 1; d = +10 -> e^1 - 1; d = 0 -> 0
        let e1 = std::f64::consts::E - 1.0;
        assert!(close(phm08_term(7.0, 20.0), e1));
        assert!(close(phm08_term(30.0, 20.0), e1));
        assert!(close(phm08_term(20.0, 20.0), 0.0));
        // same |d| = 10: late costs e^1-1 = 1.718282, early costs e^(10/13)-1 = 1.158106
        assert!((phm08_term(10.0, 20.0) - 1.158_105_533_948_445_8).abs() < 1e-9);
        assert!(phm08_term(30.0, 20.0) > phm08_term(10.0, 20.0));
        let s = phm08_score(&[7.0, 30.0, 20.0], &[20.0, 20.0, 20.0]);
        assert!(close(s, 2.0 * e1), "{s}");
        assert!((s - 3.436_563_656_918_09).abs() < 1e-9);
    }
}
