//! One-off re-quantization of a GGUF model to Q8_0.
//!
//! candle's Q4_1 CPU kernel has no SIMD path, while Q8_0 has one that is about
//! four times faster, so installed models are stored as Q8_0. Q8_0 keeps the
//! Q4_1 values almost exactly (8-bit steps over 4-bit ones), so nothing of the
//! original quality is lost.

use std::io::{BufWriter, Write};
use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::Device;

use super::error::{ModelError, Result};
use super::gguf::{GgufFile, ModelConfig};

/// llama.cpp's `LLAMA_FTYPE_MOSTLY_Q8_0`.
const FILE_TYPE_Q8_0: u32 = 7;

/// Whether a tensor is a weight matrix that should become Q8_0. Vectors
/// (norms) stay f32: they are tiny and quantizing them only costs accuracy.
fn wants_q8_0(t: &QTensor) -> bool {
    let dims = t.shape().dims();
    dims.len() == 2
        && t.dtype() != GgmlDType::Q8_0
        && dims[1].is_multiple_of(GgmlDType::Q8_0.block_size())
}

/// Reads `src`, re-quantizes every 2-D weight to Q8_0 and writes the result to
/// `dst`, adding `extra_metadata` (e.g. provenance) to the header.
///
/// The output is written to a temporary file next to `dst` and renamed into
/// place, so an interrupted conversion never leaves a partial model behind.
/// `progress(done, total)` is called after each tensor.
pub fn convert_to_q8_0(
    src: &Path,
    dst: &Path,
    extra_metadata: &[(String, Value)],
    progress: &mut dyn FnMut(usize, usize),
) -> Result<()> {
    let mut input = GgufFile::open(src)?;
    let cfg = ModelConfig::from_gguf(input.content())?;
    input.check_shapes(&cfg)?;

    let names = input.tensor_names();
    let mut tensors = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let t = input.tensor(name)?;
        let t = if wants_q8_0(&t) {
            let dense = t.dequantize(&Device::Cpu)?;
            QTensor::quantize(&dense, GgmlDType::Q8_0)?
        } else {
            t
        };
        tensors.push((name.as_str(), t));
        progress(i + 1, names.len());
    }

    let mut metadata: Vec<(String, Value)> = input
        .metadata()
        .iter()
        .filter(|(k, _)| k.as_str() != "general.file_type")
        .filter(|(k, _)| !extra_metadata.iter().any(|(e, _)| e == *k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    metadata.push(("general.file_type".into(), Value::U32(FILE_TYPE_Q8_0)));
    metadata.extend(extra_metadata.iter().cloned());
    // Sorted keys make the output byte-for-byte reproducible.
    metadata.sort_by(|a, b| a.0.cmp(&b.0));

    let md_refs: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let t_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (*n, t)).collect();
    write_atomically(dst, |w| {
        gguf_file::write(w, &md_refs, &t_refs).map_err(ModelError::from)
    })?;

    // Re-open the result so a writer bug surfaces here, not at first use.
    let written = GgufFile::open(dst)?;
    written.check_shapes(&cfg)?;
    Ok(())
}

/// Runs `write` against a buffered temporary file in `dst`'s directory, then
/// syncs it and renames it over `dst`.
pub(crate) fn write_atomically<F>(dst: &Path, write: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<&std::fs::File>) -> Result<()>,
{
    let dir = match dst.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| ModelError::io(dir, e))?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        write(&mut w)?;
        w.flush().map_err(|e| ModelError::io(tmp.path(), e))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| ModelError::io(tmp.path(), e))?;
    // Temporary files are created owner-only; installed files should get the
    // usual permissions so other tools (and users) can read them.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let perms = std::fs::Permissions::from_mode(0o644);
        std::fs::set_permissions(tmp.path(), perms).map_err(|e| ModelError::io(tmp.path(), e))?;
    }
    tmp.persist(dst).map_err(|e| ModelError::io(dst, e.error))?;
    Ok(())
}
