//! AdamW, the learning-rate schedule, gradient clipping and the seeded
//! generator for data order: small, with every piece of state visible, so
//! that a checkpoint can capture it and a resumed run continues bit for bit
//! (candle's own AdamW keeps its moments private).

use candle_core::{Tensor, Var};

/// AdamW hyper-parameters (PyTorch's defaults except the learning rate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamWConfig {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    /// Decoupled weight decay; 0 as in the Hugging Face trainer's default.
    pub weight_decay: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        Self {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

/// AdamW over a fixed list of variables, with PyTorch's update rule
/// (decoupled decay, bias-corrected moments, `eps` added after the root).
#[derive(Debug)]
pub struct AdamW {
    config: AdamWConfig,
    params: Vec<Var>,
    first: Vec<Tensor>,
    second: Vec<Tensor>,
    steps: usize,
}

impl AdamW {
    pub fn new(params: Vec<Var>, config: AdamWConfig) -> candle_core::Result<Self> {
        let first = params
            .iter()
            .map(|p| p.zeros_like())
            .collect::<candle_core::Result<Vec<_>>>()?;
        let second = first.clone();
        Ok(Self {
            config,
            params,
            first,
            second,
            steps: 0,
        })
    }

    /// Updates taken so far.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// First and second moments, in parameter order.
    pub fn moments(&self) -> (&[Tensor], &[Tensor]) {
        (&self.first, &self.second)
    }

    /// Restores moments and step count saved from an optimiser over the
    /// same parameters.
    pub fn restore(
        &mut self,
        first: Vec<Tensor>,
        second: Vec<Tensor>,
        steps: usize,
    ) -> candle_core::Result<()> {
        let same = |moments: &[Tensor]| {
            moments.len() == self.params.len()
                && moments
                    .iter()
                    .zip(&self.params)
                    .all(|(m, p)| m.dims() == p.dims())
        };
        if !same(&first) || !same(&second) {
            return Err(candle_core::Error::Msg(
                "optimizer moments do not match the adapter's tensors".into(),
            ));
        }
        self.first = first;
        self.second = second;
        self.steps = steps;
        Ok(())
    }

    /// One update with learning rate `lr`; `grads[i]` belongs to parameter `i`.
    pub fn step(&mut self, grads: &[Tensor], lr: f64) -> candle_core::Result<()> {
        if grads.len() != self.params.len() {
            return Err(candle_core::Error::Msg(format!(
                "{} gradients for {} parameters",
                grads.len(),
                self.params.len()
            )));
        }
        self.steps += 1;
        let c = self.config;
        let t = self.steps as i32;
        let correct1 = 1.0 - c.beta1.powi(t);
        let correct2 = 1.0 - c.beta2.powi(t);
        for (i, g) in grads.iter().enumerate() {
            let m =
                ((self.first[i].affine(c.beta1, 0.0)? + g.affine(1.0 - c.beta1, 0.0)?)?).detach();
            let v = ((self.second[i].affine(c.beta2, 0.0)?
                + g.sqr()?.affine(1.0 - c.beta2, 0.0)?)?)
            .detach();
            let denom = (v.affine(1.0 / correct2, 0.0)?.sqrt()? + c.eps)?;
            let update = (m.affine(1.0 / correct1, 0.0)? / denom)?;
            let p = self.params[i].as_tensor().detach();
            let p = (p.affine(1.0 - lr * c.weight_decay, 0.0)? - update.affine(lr, 0.0)?)?;
            self.params[i].set(&p)?;
            self.first[i] = m;
            self.second[i] = v;
        }
        Ok(())
    }
}

/// Linear warm-up over `warmup` updates, then linear decay towards 0 at
/// `total`. `step` counts from 0; unlike the Hugging Face schedule the first
/// update already moves (`lr · 1/warmup`), so no step is spent at lr 0.
pub fn lr_at(step: usize, total: usize, warmup: usize, base: f64) -> f64 {
    if step < warmup {
        return base * (step + 1) as f64 / warmup as f64;
    }
    let left = total.saturating_sub(step) as f64;
    let span = total.saturating_sub(warmup).max(1) as f64;
    base * (left / span).clamp(0.0, 1.0)
}

/// Scales `grads` so that their global L2 norm is at most `max_norm` (as
/// PyTorch's `clip_grad_norm_`), and returns the norm before clipping.
pub fn clip_global_norm(grads: &mut [Tensor], max_norm: f64) -> candle_core::Result<f64> {
    let mut sum = 0.0f64;
    for g in grads.iter() {
        sum += f64::from(g.sqr()?.sum_all()?.to_scalar::<f32>()?);
    }
    let norm = sum.sqrt();
    let coef = max_norm / (norm + 1e-6);
    if coef < 1.0 {
        for g in grads.iter_mut() {
            *g = g.affine(coef, 0.0)?;
        }
    }
    Ok(norm)
}

/// SplitMix64: a seeded generator whose whole state is one `u64`, so the
/// data order can be checkpointed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeededRng(pub u64);

impl SeededRng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), without modulo bias worth speaking of
    /// for data-set sizes.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn schedule_warms_up_then_decays_linearly() {
        let lr = |s| lr_at(s, 10, 4, 1.0);
        assert_eq!([lr(0), lr(1), lr(3)], [0.25, 0.5, 1.0]);
        assert_eq!(lr(4), 1.0);
        assert!((lr(7) - 0.5).abs() < 1e-12);
        assert!(lr(9) > 0.0 && lr(9) < lr(8));
        assert_eq!(lr(10), 0.0);
        assert_eq!(lr_at(0, 5, 0, 2.0), 2.0);
    }

    #[test]
    fn clipping_bounds_the_global_norm() -> candle_core::Result<()> {
        // norm of (3, 4) and (12) = sqrt(9 + 16 + 144) = 13
        let mut g = vec![
            Tensor::new(&[3.0f32, 4.0], &Device::Cpu)?,
            Tensor::new(&[12.0f32], &Device::Cpu)?,
        ];
        let norm = clip_global_norm(&mut g, 1.0)?;
        assert!((norm - 13.0).abs() < 1e-6);
        let after: f32 = g
            .iter()
            .map(|t| t.sqr().and_then(|s| s.sum_all()?.to_scalar::<f32>()))
            .sum::<candle_core::Result<f32>>()?;
        assert!((after.sqrt() - 1.0).abs() < 1e-5);
        let mut small = vec![Tensor::new(&[0.3f32], &Device::Cpu)?];
        clip_global_norm(&mut small, 1.0)?;
        assert_eq!(small[0].to_vec1::<f32>()?, vec![0.3]);
        Ok(())
    }

    #[test]
    fn adamw_first_step_moves_each_weight_by_lr() -> candle_core::Result<()> {
        // With bias correction, step 1 is lr · g/|g| (up to eps) per weight.
        let p = Var::new(&[1.0f32, -2.0, 0.5], &Device::Cpu)?;
        let mut opt = AdamW::new(vec![p.clone()], AdamWConfig::default())?;
        let g = Tensor::new(&[0.5f32, -3.0, 0.0], &Device::Cpu)?;
        opt.step(&[g], 0.1)?;
        let got = p.as_tensor().to_vec1::<f32>()?;
        let want = [0.9f32, -1.9, 0.5];
        for (a, b) in got.iter().zip(want) {
            assert!((a - b).abs() < 1e-5, "{got:?}");
        }
        assert_eq!(opt.steps(), 1);
        Ok(())
    }

    #[test]
    fn shuffles_are_seeded_permutations() {
        let shuffled = |seed| {
            let mut v: Vec<usize> = (0..50).collect();
            SeededRng(seed).shuffle(&mut v);
            v
        };
        let a = shuffled(7);
        assert_eq!(a, shuffled(7));
        assert_ne!(a, shuffled(8));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
    }
}
