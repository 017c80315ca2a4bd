//! Adding a LoRA delta `scale · B(Ax)` to a projection's output.
//!
//! At r = 8 the delta is about 3 % of a projection's arithmetic, but done as
//! candle ops (narrow, two matmuls through a transposed view, a scale, an
//! add, a concatenation) on a one-row decode step it cost as much as the
//! base model: seven projections times thirty layers of small-op overhead.
//! For short chunks it is therefore one in-place op per projection that
//! reads `A` and `B` where they lie (no transposed or scaled copies, so an
//! adapter costs no extra memory) and adds into the projection's fresh
//! output. Long chunks (a prefill with the adapter on) keep candle's
//! parallel matmuls, and so do tracked tensors, so that the trainer's
//! gradients flow as before.

use std::ops::Range;

use candle_core::{CpuStorage, InplaceOp2, Layout, Storage, Tensor};

use super::error::Result;

/// Chunks of at most this many adapted rows take the in-place kernel (a
/// task suffix fits). One thread does it; beyond this candle's threaded
/// matmuls win back their overhead.
pub(crate) const SMALL_ROWS: usize = 64;

/// `y` (a projection's output for input `x`) plus the delta of `(a, b)`
/// on `rows` (a chunk's rows from the adapter's activation on, or one row
/// of a batch whose rows use different adapters). `y` is consumed: on the fast path it is updated in
/// place, which is safe because the projection has just made it.
pub(crate) fn add_delta(
    y: Tensor,
    x: &Tensor,
    (a, b): (&Tensor, &Tensor),
    scale: f64,
    rows: Range<usize>,
) -> Result<Tensor> {
    let t = x.dim(0)?;
    let tracked = x.track_op() || y.track_op() || a.track_op() || b.track_op();
    if !tracked && rows.len() <= SMALL_ROWS && y.is_contiguous() {
        let x = x.contiguous()?;
        y.inplace_op2(
            &x,
            &AddDelta {
                a,
                b,
                scale: scale as f32,
                rows,
            },
        )?;
        return Ok(y);
    }
    // Differentiable and long chunks: candle ops, so autograd sees them.
    let (first, n) = (rows.start, rows.len());
    let xs = x.narrow(0, first, n)?;
    let delta = (xs.matmul(&a.t()?)?.matmul(&b.t()?)? * scale)?;
    if n == t {
        return Ok((y + delta)?);
    }
    let mut parts = Vec::with_capacity(3);
    if first > 0 {
        parts.push(y.narrow(0, 0, first)?);
    }
    parts.push((y.narrow(0, first, n)? + delta)?);
    if rows.end < t {
        parts.push(y.narrow(0, rows.end, t - rows.end)?);
    }
    Ok(Tensor::cat(&parts, 0)?)
}

struct AddDelta<'a> {
    a: &'a Tensor,
    b: &'a Tensor,
    scale: f32,
    rows: Range<usize>,
}

fn f32_slice<'s>(storage: &'s CpuStorage, layout: &Layout) -> candle_core::Result<&'s [f32]> {
    match (storage, layout.contiguous_offsets()) {
        (CpuStorage::F32(data), Some((start, end))) => Ok(&data[start..end]),
        _ => Err(candle_core::Error::Msg(
            "LoRA delta needs contiguous f32 tensors".into(),
        )),
    }
}

/// Runs `f` on the contiguous f32 values of a CPU tensor.
fn with_values<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> R) -> candle_core::Result<R> {
    let (storage, layout) = t.storage_and_layout();
    match &*storage {
        Storage::Cpu(cpu) => Ok(f(f32_slice(cpu, layout)?)),
        _ => Err(candle_core::Error::Msg("LoRA delta runs on the CPU".into())),
    }
}

impl InplaceOp2 for AddDelta<'_> {
    fn name(&self) -> &'static str {
        "lora-delta"
    }

    fn cpu_fwd(
        &self,
        dst: &mut CpuStorage,
        dst_l: &Layout,
        x: &CpuStorage,
        x_l: &Layout,
    ) -> candle_core::Result<()> {
        let (n_rows, inp) = x_l.shape().dims2()?;
        let (_, out) = dst_l.shape().dims2()?;
        let (r, a_in) = self.a.dims2()?;
        if a_in != inp || self.b.dims2()? != (out, r) || self.rows.end > n_rows {
            return Err(candle_core::Error::Msg(
                "LoRA factors do not fit the projection".into(),
            ));
        }
        let x = f32_slice(x, x_l)?;
        let (CpuStorage::F32(y), Some((y0, y1))) = (dst, dst_l.contiguous_offsets()) else {
            return Err(candle_core::Error::Msg(
                "LoRA delta needs a contiguous f32 output".into(),
            ));
        };
        let y = &mut y[y0..y1];
        with_values(self.a, |a| {
            with_values(self.b, |b| {
                let shape = Shape { inp, out, r };
                add_rows(shape, self.rows.clone(), self.scale, x, a, b, y)
            })
        })?
    }
}

#[derive(Clone, Copy)]
struct Shape {
    inp: usize,
    out: usize,
    r: usize,
}

fn add_rows(
    s: Shape,
    rows: Range<usize>,
    scale: f32,
    x: &[f32],
    a: &[f32],
    b: &[f32],
    y: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has just been checked for AVX2.
        unsafe { add_rows_avx2(s, rows, scale, x, a, b, y) };
        return;
    }
    add_rows_generic(s, rows, scale, x, a, b, y);
}

/// The same code compiled for AVX2. No FMA: the rounding stays that of the
/// generic build, so answers do not depend on the CPU.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn add_rows_avx2(
    s: Shape,
    rows: Range<usize>,
    scale: f32,
    x: &[f32],
    a: &[f32],
    b: &[f32],
    y: &mut [f32],
) {
    add_rows_generic(s, rows, scale, x, a, b, y)
}

#[inline(always)]
fn add_rows_generic(
    s: Shape,
    rows: Range<usize>,
    scale: f32,
    x: &[f32],
    a: &[f32],
    b: &[f32],
    y: &mut [f32],
) {
    let mut ax = vec![0f32; s.r];
    for row in rows {
        let xr = &x[row * s.inp..(row + 1) * s.inp];
        for (j, v) in ax.iter_mut().enumerate() {
            *v = dot(&a[j * s.inp..(j + 1) * s.inp], xr) * scale;
        }
        let yr = &mut y[row * s.out..(row + 1) * s.out];
        for (o, yo) in yr.iter_mut().enumerate() {
            *yo += dot(&b[o * s.r..(o + 1) * s.r], &ax);
        }
    }
}

/// A dot product with eight running sums, which the compiler turns into
/// vector instructions (a single running sum would force serial order).
#[inline(always)]
fn dot(p: &[f32], q: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (pc, qc) = (p.chunks_exact(8), q.chunks_exact(8));
    let tail: f32 = pc
        .remainder()
        .iter()
        .zip(qc.remainder())
        .map(|(u, v)| u * v)
        .sum();
    for (u, v) in pc.zip(qc) {
        for i in 0..8 {
            acc[i] += u[i] * v[i];
        }
    }
    let lanes = (acc[0] + acc[4]) + (acc[1] + acc[5]) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    lanes + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn ramp(n: usize, k: f32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 7919 % 97) as f32 - 48.0) * k)
            .collect()
    }

    /// The in-place kernel and candle's matmuls agree, for every chunk
    /// shape the forward uses (decode rows, suffixes, partial activation).
    #[test]
    fn in_place_delta_matches_candle_matmuls() -> Result<()> {
        let (inp, out, r) = (40, 24, 3);
        let dev = &Device::Cpu;
        let a = Tensor::from_vec(ramp(r * inp, 0.01), (r, inp), dev)?;
        let b = Tensor::from_vec(ramp(out * r, 0.02), (out, r), dev)?;
        for (rows, first, end) in [
            (1, 0, 1),
            (5, 0, 5),
            (5, 3, 5),
            (4, 1, 2),
            (16, 1, 16),
            (20, 2, 20),
            (20, 2, 7),
        ] {
            let x = Tensor::from_vec(ramp(rows * inp, 0.03), (rows, inp), dev)?;
            let y = Tensor::from_vec(ramp(rows * out, 0.05), (rows, out), dev)?;
            let got = add_delta(y.copy()?, &x, (&a, &b), 2.5, first..end)?;
            let delta = (x.matmul(&a.t()?)?.matmul(&b.t()?)? * 2.5)?;
            let keep = Tensor::cat(
                &[
                    Tensor::zeros((first, out), candle_core::DType::F32, dev)?,
                    Tensor::ones((end - first, out), candle_core::DType::F32, dev)?,
                    Tensor::zeros((rows - end, out), candle_core::DType::F32, dev)?,
                ],
                0,
            )?;
            let want = (y + (delta * keep)?)?;
            let diff = (got - want)?.abs()?.max_all()?.to_scalar::<f32>()?;
            assert!(diff < 1e-5, "rows {first}..{end} of {rows}: {diff}");
        }
        Ok(())
    }
}
