//! Weighted least-squares trend lines over daily values.

/// One daily point: time (days, relative to now, so ≤ 0), value and weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Days relative to now (negative in the past).
    pub t: f64,
    /// The value.
    pub y: f64,
    /// Relative weight (readings behind the value, capped by the caller).
    pub w: f64,
}

/// A fitted line `y = level + slope × t`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    /// Value at `t = 0` (now).
    pub level: f64,
    /// Change per day.
    pub slope: f64,
    /// Standard error of the slope (infinite when it cannot be estimated).
    pub slope_se: f64,
    /// Points used.
    pub points: usize,
}

impl Line {
    /// How many standard errors the slope is from zero.
    pub fn t_stat(&self) -> f64 {
        if self.slope_se > 0.0 && self.slope_se.is_finite() {
            self.slope / self.slope_se
        } else if self.slope_se == 0.0 && self.slope != 0.0 {
            f64::INFINITY.copysign(self.slope)
        } else {
            0.0
        }
    }
}

/// Fits a line through `points`; `None` with fewer than two distinct instants.
pub fn fit(points: &[Point]) -> Option<Line> {
    let sw: f64 = points.iter().map(|p| p.w).sum();
    if points.len() < 2 || sw <= 0.0 {
        return None;
    }
    let mt = points.iter().map(|p| p.w * p.t).sum::<f64>() / sw;
    let my = points.iter().map(|p| p.w * p.y).sum::<f64>() / sw;
    let stt: f64 = points.iter().map(|p| p.w * (p.t - mt).powi(2)).sum();
    if stt <= 1e-12 {
        return None;
    }
    let sty: f64 = points.iter().map(|p| p.w * (p.t - mt) * (p.y - my)).sum();
    let slope = sty / stt;
    let level = my - slope * mt;
    let n = points.len() as f64;
    let slope_se = if points.len() > 2 {
        // Residual variance per unit weight, with n − 2 degrees of freedom; the weights
        // are relative, so they are normalized to average 1.
        let rss: f64 = points
            .iter()
            .map(|p| p.w * (p.y - level - slope * p.t).powi(2))
            .sum();
        let sigma2 = rss / sw * n / (n - 2.0);
        (sigma2 / (stt / sw * n)).sqrt()
    } else {
        f64::INFINITY
    };
    Some(Line {
        level,
        slope,
        slope_se,
        points: points.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(values: &[(f64, f64)]) -> Vec<Point> {
        values
            .iter()
            .map(|&(t, y)| Point { t, y, w: 1.0 })
            .collect()
    }

    #[test]
    fn exact_line_is_recovered_with_zero_error() {
        let line = fit(&pts(&[(-3.0, 0.1), (-2.0, 0.2), (-1.0, 0.3), (0.0, 0.4)])).expect("fit");
        assert!((line.slope - 0.1).abs() < 1e-12);
        assert!((line.level - 0.4).abs() < 1e-12);
        assert!(line.slope_se < 1e-9);
        assert!(line.t_stat() > 1e6);
    }

    #[test]
    fn noise_without_trend_is_not_significant() {
        let line = fit(&pts(&[
            (-5.0, 0.02),
            (-4.0, -0.01),
            (-3.0, 0.03),
            (-2.0, -0.02),
            (-1.0, 0.01),
            (0.0, 0.0),
        ]))
        .expect("fit");
        assert!(line.t_stat().abs() < 2.0, "{line:?}");
    }

    #[test]
    fn weights_pull_the_line() {
        let mut p = pts(&[(-2.0, 0.0), (-1.0, 0.0), (0.0, 1.0)]);
        let unweighted = fit(&p).expect("fit").level;
        p[2].w = 10.0;
        let weighted = fit(&p).expect("fit").level;
        assert!(weighted > unweighted);
    }

    #[test]
    fn degenerate_inputs() {
        assert!(fit(&pts(&[(0.0, 1.0)])).is_none());
        assert!(fit(&pts(&[(0.0, 1.0), (0.0, 2.0)])).is_none());
        let two = fit(&pts(&[(-1.0, 1.0), (0.0, 2.0)])).expect("fit");
        assert!(two.slope_se.is_infinite());
        assert_eq!(two.t_stat(), 0.0);
    }
}
