//! A figure across evaluation seeds: its mean and the 95 % interval of that mean.

/// Student's t, two-sided 95 %, for 1 to 10 degrees of freedom.
const T_975: [f64; 10] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
];

/// A figure measured on several seeds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// Mean over the seeds.
    pub mean: f64,
    /// Half-width of the 95 % interval of the mean (t × sd / √n; 0 for one seed).
    pub half_width: f64,
    /// Seeds.
    pub n: usize,
}

impl Spread {
    /// The spread of `values` (one per seed).
    pub fn of(values: &[f64]) -> Self {
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n.max(1) as f64;
        let half_width = if n < 2 {
            0.0
        } else {
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let t = T_975.get(n - 2).copied().unwrap_or(1.96);
            t * var.sqrt() / (n as f64).sqrt()
        };
        Self {
            mean,
            half_width,
            n,
        }
    }

    /// Lower end of the interval.
    pub fn low(&self) -> f64 {
        self.mean - self.half_width
    }

    /// Upper end of the interval.
    pub fn high(&self) -> f64 {
        self.mean + self.half_width
    }

    /// `mean ± half-width`, each scaled by `scale` with `decimals` decimals.
    pub fn show(&self, scale: f64, decimals: usize) -> String {
        format!(
            "{:.*} ± {:.*}",
            decimals,
            self.mean * scale,
            decimals,
            self.half_width * scale
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Spread;

    #[test]
    fn five_seeds_use_t_with_four_degrees_of_freedom() {
        let s = Spread::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert!((s.mean - 3.0).abs() < 1e-12);
        // sd = √2.5, t(4) = 2.776.
        let expected = 2.776 * 2.5_f64.sqrt() / 5.0_f64.sqrt();
        assert!((s.half_width - expected).abs() < 1e-9, "{}", s.half_width);
        assert_eq!(s.show(100.0, 1), "300.0 ± 196.3");
        assert_eq!(Spread::of(&[0.7]).half_width, 0.0);
    }
}
