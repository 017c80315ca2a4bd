//! Q8_0 weight products on CPUs with AVX-512 VNNI: one kernel for a decode
//! step, a batch of answers, a task suffix and a whole prefill.
//!
//! candle's own x86 tiled kernels need the input width to be a multiple of
//! 256, which SmolLM2's 576 is not, so its quantized path falls back to one
//! dot product per row and output (fine for a single decode row, slow for
//! several), and the engine used to dequantize every weight to f32 for long
//! chunks. This kernel repacks each Q8_0 matrix once, at load, into tiles of
//! 16 output features: for every block of 32 inputs the 16 scales and the
//! 16 × 32 quants, stored offset by +128 and interleaved four inputs at a
//! time, so that one 64-byte load feeds one `vpdpbusd` (unsigned weight ×
//! signed activation, four products summed per lane) for 16 outputs at once.
//! Activations are quantized to Q8_0 blocks per row, as ggml and candle do;
//! the +128 offset is taken back out with each block's sum of activation
//! quants. A tile of up to [`MAX_ROWS`] rows reads each weight tile once.
//!
//! The arithmetic of an output does not depend on how many rows share the
//! call or which tile they fall in (integer sums are exact and the float
//! accumulation runs block by block in input order), so a row's answer is
//! the same in a decode step of one row, of four, or in a chunk; and the
//! portable code computes bit for bit what the vector code does, which a
//! test holds it to. On other CPUs the engine keeps candle's kernels.

use candle_core::quantized::{GgmlDType, QTensor};
use half::f16;

use super::error::{ModelError, Result};

/// Output features per tile: one 512-bit register of 32-bit lanes.
pub(crate) const TILE: usize = 16;
/// Inputs per Q8_0 block.
const QK: usize = 32;
/// Bytes of one Q8_0 block: an f16 scale and 32 signed quants.
const BLOCK_BYTES: usize = 2 + QK;
/// Rows computed together against one weight tile.
pub(crate) const MAX_ROWS: usize = 8;

/// A Q8_0 matrix `[n, k]` (n outputs of k inputs) repacked for the kernel.
pub(crate) struct PackedQ8 {
    n: usize,
    k: usize,
    /// `[n / TILE][k / QK][TILE]` scales.
    scales: Vec<f32>,
    /// `[n / TILE][k / QK][QK / 4][TILE][4]` quants offset by +128.
    quants: Vec<u8>,
}

/// Where input `i` of a block (0..32) of output `lane` of a tile lies in
/// the tile's quants: four inputs of one output side by side, the 16
/// outputs' groups of four one after the other.
fn quant_at(lane: usize, i: usize) -> usize {
    (i / 4) * TILE * 4 + lane * 4 + i % 4
}

/// Whether this CPU runs the kernel (AVX-512 with VNNI).
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

impl PackedQ8 {
    /// Repacks `w` if it is a Q8_0 matrix whose shape the tiles fit.
    pub(crate) fn pack(w: &QTensor) -> Result<Option<Self>> {
        let dims = w.shape().dims();
        if w.dtype() != GgmlDType::Q8_0 || dims.len() != 2 {
            return Ok(None);
        }
        let (n, k) = (dims[0], dims[1]);
        if n == 0 || k == 0 || n % TILE != 0 || k % QK != 0 {
            return Ok(None);
        }
        let data = w.data()?;
        let kb = k / QK;
        if data.len() != n * kb * BLOCK_BYTES {
            return Err(ModelError::InvalidConfig(format!(
                "Q8_0 matrix [{n}, {k}] holds {} bytes, not {}",
                data.len(),
                n * kb * BLOCK_BYTES
            )));
        }
        let mut scales = vec![0f32; n * kb];
        let mut quants = vec![0u8; n * k];
        for row in 0..n {
            let (nt, lane) = (row / TILE, row % TILE);
            for b in 0..kb {
                let block = &data[(row * kb + b) * BLOCK_BYTES..][..BLOCK_BYTES];
                let tile = nt * kb + b;
                scales[tile * TILE + lane] = f16::from_le_bytes([block[0], block[1]]).to_f32();
                for (i, &q) in block[2..].iter().enumerate() {
                    let at = tile * QK * TILE + quant_at(lane, i);
                    quants[at] = (q as i8 as i16 + 128) as u8;
                }
            }
        }
        Ok(Some(Self {
            n,
            k,
            scales,
            quants,
        }))
    }

    pub(crate) fn shape(&self) -> (usize, usize) {
        (self.n, self.k)
    }

    /// The matrix as f32 values `[n, k]` (what dequantizing the Q8_0
    /// original gives).
    pub(crate) fn dequantize(&self) -> Vec<f32> {
        let kb = self.k / QK;
        let mut out = vec![0f32; self.n * self.k];
        for row in 0..self.n {
            let (nt, lane) = (row / TILE, row % TILE);
            for b in 0..kb {
                let tile = nt * kb + b;
                let d = self.scales[tile * TILE + lane];
                for i in 0..QK {
                    let q = self.quants[tile * QK * TILE + quant_at(lane, i)];
                    out[row * self.k + b * QK + i] = d * (q as i16 - 128) as f32;
                }
            }
        }
        out
    }

    /// `x [m, k] · Wᵀ -> [m, n]`, row-major, on candle's worker threads.
    pub(crate) fn matmul(&self, x: &[f32], m: usize) -> Vec<f32> {
        let acts = Activations::quantize(x, m, self.k);
        let mut out = vec![0f32; m * self.n];
        let n_tiles = self.n / TILE;
        let row_tiles = m.div_ceil(MAX_ROWS);
        let units = n_tiles * row_tiles;
        let dst = out.as_mut_ptr() as usize;
        let vector = available();
        candle_core::utils::barrier_pool().execute_chunked(units, |range| {
            for unit in range {
                // Row tile major: a worker's consecutive units share their rows.
                let (rt, nt) = (unit / n_tiles, unit % n_tiles);
                let r0 = rt * MAX_ROWS;
                let rows = (m - r0).min(MAX_ROWS);
                // SAFETY: every unit writes its own rows × tile of `out`, which
                // outlives the call; no two units overlap.
                unsafe {
                    let dst = dst as *mut f32;
                    if vector {
                        #[cfg(target_arch = "x86_64")]
                        vnni::tile(self, &acts, nt, r0, rows, dst);
                    } else {
                        portable_tile(self, &acts, nt, r0, rows, dst);
                    }
                }
            }
        });
        out
    }

    /// The portable kernel alone (tests compare it with the vector one).
    #[cfg(test)]
    fn matmul_portable(&self, x: &[f32], m: usize) -> Vec<f32> {
        let acts = Activations::quantize(x, m, self.k);
        let mut out = vec![0f32; m * self.n];
        for r0 in (0..m).step_by(MAX_ROWS) {
            for nt in 0..self.n / TILE {
                // SAFETY: `out` has room for every row and tile.
                unsafe {
                    portable_tile(
                        self,
                        &acts,
                        nt,
                        r0,
                        (m - r0).min(MAX_ROWS),
                        out.as_mut_ptr(),
                    )
                };
            }
        }
        out
    }
}

/// Rows quantized to Q8_0 blocks: quants, each block's scale, and each
/// block's quant sum times 128 (the weights' offset, taken back out).
struct Activations {
    k: usize,
    quants: Vec<i8>,
    scales: Vec<f32>,
    offsets: Vec<i32>,
}

impl Activations {
    fn quantize(x: &[f32], m: usize, k: usize) -> Self {
        let kb = k / QK;
        let mut quants = vec![0i8; m * k];
        let mut scales = vec![0f32; m * kb];
        let mut offsets = vec![0i32; m * kb];
        // Exactly ggml's (and candle's) Q8_0 quantization, scale rounded
        // to f16 included, so that the integer sums are the ones candle's
        // kernel forms and only the float summation order differs.
        for (i, block) in x[..m * k].chunks_exact(QK).enumerate() {
            let amax = block.iter().fold(0f32, |a, v| a.max(v.abs()));
            let d = amax / 127.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            let mut sum = 0i32;
            for (q, &v) in quants[i * QK..(i + 1) * QK].iter_mut().zip(block) {
                *q = (v * id).round() as i8;
                sum += *q as i32;
            }
            scales[i] = f16::from_f32(d).to_f32();
            offsets[i] = 128 * sum;
        }
        Self {
            k,
            quants,
            scales,
            offsets,
        }
    }
}

/// One weight tile against `rows` rows from `r0`, written into `dst`
/// (`[m, n]`): the reference arithmetic, which the vector kernel matches.
///
/// # Safety
/// `dst` must hold rows `r0..r0 + rows` of width `w.n`.
unsafe fn portable_tile(
    w: &PackedQ8,
    acts: &Activations,
    nt: usize,
    r0: usize,
    rows: usize,
    dst: *mut f32,
) {
    let kb = w.k / QK;
    for r in r0..r0 + rows {
        let mut acc = [0f32; TILE];
        for b in 0..kb {
            let tile = nt * kb + b;
            let q = &w.quants[tile * QK * TILE..(tile + 1) * QK * TILE];
            let a = &acts.quants[r * acts.k + b * QK..][..QK];
            let da = acts.scales[r * kb + b];
            for (lane, acc) in acc.iter_mut().enumerate() {
                let mut sum = 0i32;
                for i in 0..QK {
                    sum += q[quant_at(lane, i)] as i32 * a[i] as i32;
                }
                let sum = (sum - acts.offsets[r * kb + b]) as f32;
                *acc = sum.mul_add(w.scales[tile * TILE + lane] * da, *acc);
            }
        }
        for (lane, v) in acc.into_iter().enumerate() {
            *dst.add(r * w.n + nt * TILE + lane) = v;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod vnni {
    use std::arch::x86_64::*;

    use super::{Activations, PackedQ8, MAX_ROWS, QK, TILE};

    /// # Safety
    /// The CPU has AVX-512F/BW/VNNI; `dst` as for `portable_tile`.
    pub(super) unsafe fn tile(
        w: &PackedQ8,
        acts: &Activations,
        nt: usize,
        r0: usize,
        rows: usize,
        dst: *mut f32,
    ) {
        match rows {
            1 => rows_n::<1>(w, acts, nt, r0, dst),
            2 => rows_n::<2>(w, acts, nt, r0, dst),
            3 => rows_n::<3>(w, acts, nt, r0, dst),
            4 => rows_n::<4>(w, acts, nt, r0, dst),
            5 => rows_n::<5>(w, acts, nt, r0, dst),
            6 => rows_n::<6>(w, acts, nt, r0, dst),
            7 => rows_n::<7>(w, acts, nt, r0, dst),
            _ => rows_n::<MAX_ROWS>(w, acts, nt, r0, dst),
        }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn rows_n<const R: usize>(
        w: &PackedQ8,
        acts: &Activations,
        nt: usize,
        r0: usize,
        dst: *mut f32,
    ) {
        let kb = w.k / QK;
        let mut acc = [_mm512_setzero_ps(); R];
        for b in 0..kb {
            let tile = nt * kb + b;
            let q = w.quants.as_ptr().add(tile * QK * TILE);
            let mut sums = [_mm512_setzero_si512(); R];
            for g in 0..QK / 4 {
                let wv = _mm512_loadu_si512(q.add(g * TILE * 4) as *const __m512i);
                for (r, sum) in sums.iter_mut().enumerate() {
                    let a = acts.quants.as_ptr().add((r0 + r) * acts.k + b * QK + g * 4);
                    let a = _mm512_set1_epi32(std::ptr::read_unaligned(a as *const i32));
                    *sum = _mm512_dpbusd_epi32(*sum, wv, a);
                }
            }
            let dw = _mm512_loadu_ps(w.scales.as_ptr().add(tile * TILE));
            for (r, (sum, acc)) in sums.iter().zip(acc.iter_mut()).enumerate() {
                let i = (r0 + r) * kb + b;
                let sum = _mm512_sub_epi32(*sum, _mm512_set1_epi32(acts.offsets[i]));
                let scale = _mm512_mul_ps(dw, _mm512_set1_ps(acts.scales[i]));
                *acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), scale, *acc);
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            _mm512_storeu_ps(dst.add((r0 + r) * w.n + nt * TILE), *acc);
        }
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Module, Tensor};

    use super::*;

    fn random(len: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..len)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    fn q8(n: usize, k: usize, seed: u64) -> QTensor {
        let w = Tensor::from_vec(random(n * k, seed), (n, k), &Device::Cpu).unwrap();
        QTensor::quantize(&w, GgmlDType::Q8_0).unwrap()
    }

    #[test]
    fn an_input_of_the_wrong_width_is_refused() {
        let linear = super::super::ops::Linear::new(q8(32, 64, 6)).unwrap();
        let x = Tensor::zeros((2, 32), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert!(linear
            .forward(&x, super::super::ForwardMode::Quantized)
            .is_err());
    }

    #[test]
    fn packing_keeps_every_weight() {
        let w = q8(48, 96, 1);
        let packed = PackedQ8::pack(&w).unwrap().unwrap();
        let want = w.dequantize(&Device::Cpu).unwrap().flatten_all().unwrap();
        assert_eq!(packed.dequantize(), want.to_vec1::<f32>().unwrap());
    }

    #[test]
    fn shapes_the_tiles_do_not_fit_are_left_to_candle() {
        assert!(PackedQ8::pack(&q8(24, 64, 2)).unwrap().is_none());
        let f32w = QTensor::quantize(
            &Tensor::zeros((16, 32), candle_core::DType::F32, &Device::Cpu).unwrap(),
            GgmlDType::F32,
        )
        .unwrap();
        assert!(PackedQ8::pack(&f32w).unwrap().is_none());
    }

    /// Both kernels quantize the activations, so neither is exact: the
    /// kernel must be as close to the exact product of the Q8_0 weights as
    /// candle's own quantized matmul is.
    #[test]
    fn products_are_as_accurate_as_candles_quantized_matmul() {
        let (n, k) = (64, 576);
        let w = q8(n, k, 3);
        let packed = PackedQ8::pack(&w).unwrap().unwrap();
        let dense = packed.dequantize();
        for m in [1, 3, 8, 11] {
            let x = random(m * k, 10 + m as u64);
            let got = packed.matmul(&x, m);
            let xt = Tensor::from_vec(x.clone(), (m, k), &Device::Cpu).unwrap();
            let theirs = candle_core::quantized::QMatMul::from_qtensor(q8(n, k, 3))
                .unwrap()
                .forward(&xt)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            let (mut ours_err, mut theirs_err) = (0f64, 0f64);
            for r in 0..m {
                for o in 0..n {
                    let exact: f64 = (0..k)
                        .map(|i| dense[o * k + i] as f64 * x[r * k + i] as f64)
                        .sum();
                    ours_err = ours_err.max((got[r * n + o] as f64 - exact).abs());
                    theirs_err = theirs_err.max((theirs[r * n + o] as f64 - exact).abs());
                }
            }
            assert!(
                ours_err <= 1.5 * theirs_err + 1e-4,
                "m={m}: kernel off by {ours_err}, candle by {theirs_err}"
            );
            assert!(ours_err < 0.2, "m={m}: kernel off by {ours_err}");
        }
    }

    #[test]
    fn a_rows_result_does_not_depend_on_its_batch_and_the_vector_kernel_is_exact() {
        let (n, k) = (32, 128);
        let packed = PackedQ8::pack(&q8(n, k, 4)).unwrap().unwrap();
        let x = random(6 * k, 5);
        let all = packed.matmul(&x, 6);
        for r in 0..6 {
            let one = packed.matmul(&x[r * k..(r + 1) * k], 1);
            assert_eq!(one, all[r * n..(r + 1) * n], "row {r}");
        }
        assert_eq!(packed.matmul_portable(&x, 6), all);
    }
}
