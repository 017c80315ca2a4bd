//! A `tokenizers` tokenizer rebuilt from the vocabulary stored in GGUF metadata.
//!
//! GGUF files of GPT-2 style models carry the byte-level BPE vocabulary and
//! merges (`tokenizer.ggml.tokens`, `tokenizer.ggml.merges`), so no separate
//! `tokenizer.json` is needed.

use std::collections::HashMap;

use candle_core::quantized::gguf_file::Value;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{Vocab, BPE};
use tokenizers::normalizers::unicode::NFC;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::{AddedToken, SplitDelimiterBehavior, Tokenizer};

use super::error::{ModelError, Result};
use super::gguf::{meta_str, meta_usize};

/// GGUF `token_type` values (llama.cpp `llama_token_type`).
const TOKEN_TYPE_CONTROL: i64 = 3;
const TOKEN_TYPE_USER_DEFINED: i64 = 4;

/// Ids of the tokens that structure a ChatML conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecialTokens {
    pub bos: Option<u32>,
    pub eos: Option<u32>,
    pub im_start: Option<u32>,
    pub im_end: Option<u32>,
    pub end_of_text: Option<u32>,
}

/// Byte-level BPE tokenizer of a model, with its ChatML special tokens.
#[derive(Clone)]
pub struct TextTokenizer {
    /// Recognises special-token strings such as `<|im_start|>` in the input.
    chat: Tokenizer,
    /// Treats them as plain text; for untrusted content such as snippets, so
    /// that a snippet cannot forge conversation structure.
    plain: Tokenizer,
    specials: SpecialTokens,
}

impl std::fmt::Debug for TextTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextTokenizer")
            .field("vocab_size", &self.vocab_size())
            .field("specials", &self.specials)
            .finish()
    }
}

fn string_array<'a>(md: &'a HashMap<String, Value>, key: &str) -> Result<Vec<&'a str>> {
    let missing = || ModelError::MissingMetadata { key: key.into() };
    let Some(Value::Array(items)) = md.get(key) else {
        return Err(missing());
    };
    items
        .iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.as_str()),
            _ => Err(missing()),
        })
        .collect()
}

fn token_types(md: &HashMap<String, Value>, n: usize) -> Vec<i64> {
    let Some(Value::Array(items)) = md.get("tokenizer.ggml.token_type") else {
        return vec![1; n];
    };
    items
        .iter()
        .map(|v| match v {
            Value::I32(t) => i64::from(*t),
            Value::U32(t) => i64::from(*t),
            Value::I8(t) => i64::from(*t),
            Value::U8(t) => i64::from(*t),
            _ => 1,
        })
        .collect()
}

fn tok_err(e: impl std::fmt::Display) -> ModelError {
    ModelError::Tokenizer(e.to_string())
}

/// Qwen2's split rule, as its `tokenizer.json` states it: contractions,
/// letter runs with at most one leading non-letter, single digits,
/// punctuation runs with an optional leading space and trailing newlines,
/// newline runs, then other whitespace.
const QWEN2_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// How text is cut into words before BPE, by the `tokenizer.ggml.pre`
/// names llama.cpp writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PreTokenizerRules {
    /// GPT-2's regex (`gpt2`, `default`, or no name at all).
    Gpt2,
    /// Every digit on its own, then GPT-2's regex (SmolLM, StarCoder).
    Gpt2SplitDigits,
    /// Qwen2's regex: digits one by one, letter runs keep one leading
    /// non-letter, no GPT-2 regex after it.
    Qwen2,
}

impl PreTokenizerRules {
    /// An unknown name is an error: tokenizing with the wrong rules gives
    /// ids the model was never trained on, and quietly worse answers.
    fn from_gguf(name: Option<&str>) -> Result<Self> {
        match name.unwrap_or("gpt2") {
            "gpt2" | "default" => Ok(Self::Gpt2),
            "smollm" | "starcoder" | "refact" | "codeshell" => Ok(Self::Gpt2SplitDigits),
            "qwen2" => Ok(Self::Qwen2),
            other => Err(ModelError::Tokenizer(format!(
                "pre-tokenizer {other:?} (tokenizer.ggml.pre) is not supported; \
                 supported: gpt2, default, smollm, starcoder, refact, codeshell, qwen2"
            ))),
        }
    }

    fn pre_tokenizer(self) -> Result<PreTokenizerWrapper> {
        // GPT-2's byte-level step; with its own regex unless one ran before.
        let byte_level = |own_regex| ByteLevel::new(false, true, own_regex);
        Ok(match self {
            Self::Gpt2 => PreTokenizerWrapper::ByteLevel(byte_level(true)),
            Self::Gpt2SplitDigits => PreTokenizerWrapper::Sequence(Sequence::new(vec![
                PreTokenizerWrapper::Digits(Digits::new(true)),
                PreTokenizerWrapper::ByteLevel(byte_level(true)),
            ])),
            Self::Qwen2 => {
                let split = Split::new(
                    SplitPattern::Regex(QWEN2_SPLIT.into()),
                    SplitDelimiterBehavior::Isolated,
                    false,
                )
                .map_err(tok_err)?;
                PreTokenizerWrapper::Sequence(Sequence::new(vec![
                    PreTokenizerWrapper::Split(split),
                    PreTokenizerWrapper::ByteLevel(byte_level(false)),
                ]))
            }
        })
    }
}

impl TextTokenizer {
    /// Builds the tokenizer from GGUF metadata.
    pub fn from_gguf_metadata(md: &HashMap<String, Value>) -> Result<Self> {
        let kind = meta_str(md, "tokenizer.ggml.model").unwrap_or_default();
        if kind != "gpt2" {
            return Err(ModelError::Tokenizer(format!(
                "tokenizer model {kind:?} is not supported (only byte-level BPE \"gpt2\")"
            )));
        }
        let tokens = string_array(md, "tokenizer.ggml.tokens")?;
        let merges = string_array(md, "tokenizer.ggml.merges")?
            .into_iter()
            .map(|m| {
                m.split_once(' ')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .ok_or_else(|| ModelError::Tokenizer(format!("malformed merge {m:?}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let vocab: Vocab = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.to_string(), i as u32))
            .collect();
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(tok_err)?;

        let mut chat = Tokenizer::new(bpe);
        let rules = PreTokenizerRules::from_gguf(meta_str(md, "tokenizer.ggml.pre"))?;
        if rules == PreTokenizerRules::Qwen2 {
            // Qwen2's own tokenizer composes text (NFC) before splitting it.
            chat.with_normalizer(Some(NFC)).map_err(tok_err)?;
        }
        chat.with_pre_tokenizer(Some(rules.pre_tokenizer()?));
        chat.with_decoder(Some(ByteLevelDecoder::default()));

        let types = token_types(md, tokens.len());
        let id = |key: &str| meta_usize(md, key).map(|v| v as u32);
        let bos = id("tokenizer.ggml.bos_token_id");
        let eos = id("tokenizer.ggml.eos_token_id");
        let mut added = Vec::new();
        for (i, tok) in tokens.iter().enumerate() {
            let ty = types.get(i).copied().unwrap_or(1);
            let is_marker = Some(i as u32) == bos || Some(i as u32) == eos;
            if ty == TOKEN_TYPE_CONTROL || is_marker {
                added.push(AddedToken::from(tok.to_string(), true));
            } else if ty == TOKEN_TYPE_USER_DEFINED {
                added.push(AddedToken::from(tok.to_string(), false));
            }
        }
        chat.add_special_tokens(added).map_err(tok_err)?;

        let mut plain = chat.clone();
        plain.set_encode_special_tokens(true);
        let lookup = |t: &str| chat.token_to_id(t);
        let specials = SpecialTokens {
            bos,
            eos,
            im_start: lookup("<|im_start|>"),
            im_end: lookup("<|im_end|>"),
            end_of_text: lookup("<|endoftext|>"),
        };
        Ok(Self {
            chat,
            plain,
            specials,
        })
    }

    /// Encodes text in which special-token strings (`<|im_start|>`, ...) are
    /// turned into their single ids: use it for prompt templates.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self.chat.encode(text, false).map_err(tok_err)?;
        Ok(enc.get_ids().to_vec())
    }

    /// Encodes text treating special-token strings as ordinary characters:
    /// use it for user content.
    pub fn encode_plain(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self.plain.encode(text, false).map_err(tok_err)?;
        Ok(enc.get_ids().to_vec())
    }

    pub fn decode(&self, ids: &[u32], skip_special: bool) -> Result<String> {
        self.chat.decode(ids, skip_special).map_err(tok_err)
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.chat.token_to_id(token)
    }

    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.chat.id_to_token(id)
    }

    pub fn vocab_size(&self) -> usize {
        self.chat.get_vocab_size(true)
    }

    pub fn specials(&self) -> &SpecialTokens {
        &self.specials
    }

    /// Ids that end an assistant turn: `<|im_end|>`, `<|endoftext|>` and EOS.
    pub fn stop_ids(&self) -> Vec<u32> {
        let s = &self.specials;
        let mut ids: Vec<u32> = [s.im_end, s.end_of_text, s.eos]
            .into_iter()
            .flatten()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Ids of tokens that end a sentence: made only of punctuation and
    /// ending in `.`, `!` or `?` (`.`, `!`, `?`, `).`, `...`, with or
    /// without surrounding whitespace).
    pub fn sentence_end_ids(&self) -> Vec<u32> {
        (0..self.vocab_size() as u32)
            .filter(|&id| {
                let Ok(text) = self.decode(&[id], true) else {
                    return false;
                };
                let text = text.trim();
                text.ends_with(['.', '!', '?']) && text.chars().all(|c| c.is_ascii_punctuation())
            })
            .collect()
    }

    /// The underlying `tokenizers` tokenizer (special tokens recognised).
    pub fn inner(&self) -> &Tokenizer {
        &self.chat
    }
}
