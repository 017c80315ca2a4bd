//! Token layout of one example, shared by training and evaluation so that
//! both see the prompt exactly as the enrichment worker builds it.

use super::data::Row;
use super::error::TrainError;
use crate::enrich::{Prompts, Task};
use crate::model::TextTokenizer;

/// One row as token ids: `prefix` (system and snippet, run by the base
/// model), `invocation` (the task's instruction up to the opened assistant
/// turn) and `answer` (the target, ending in `<|im_end|>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedExample {
    pub prefix: Vec<u32>,
    pub invocation: Vec<u32>,
    pub answer: Vec<u32>,
}

impl EncodedExample {
    /// Tokens fed to the model in training: everything but the last answer
    /// token, which is only predicted.
    pub fn fed_len(&self) -> usize {
        self.prefix.len() + self.invocation.len() + self.answer.len() - 1
    }

    /// `invocation` followed by all answer tokens but the last.
    pub fn suffix_input(&self) -> Vec<u32> {
        let mut tokens = self.invocation.clone();
        tokens.extend_from_slice(&self.answer[..self.answer.len() - 1]);
        tokens
    }
}

/// Encodes rows for one task with one tokenizer and one set of prompts.
#[derive(Debug)]
pub struct Encoder<'a> {
    tokenizer: &'a TextTokenizer,
    prompts: &'a Prompts,
    task: Task,
    invocation: Vec<u32>,
    im_end: u32,
}

impl<'a> Encoder<'a> {
    pub fn new(
        tokenizer: &'a TextTokenizer,
        prompts: &'a Prompts,
        task: Task,
    ) -> Result<Self, TrainError> {
        let im_end = tokenizer.specials().im_end.ok_or_else(|| {
            TrainError::Settings("the model's tokenizer has no <|im_end|> token".into())
        })?;
        let invocation = tokenizer.encode(&prompts.suffix(task))?;
        Ok(Self {
            tokenizer,
            prompts,
            task,
            invocation,
            im_end,
        })
    }

    /// The task's invocation tokens (the same for every row).
    pub fn invocation(&self) -> &[u32] {
        &self.invocation
    }

    /// The shared prefix of `row`. The snippet inside it has its special
    /// tokens neutralised by [`Prompts::prefix`], so the template markers are
    /// the only control tokens.
    pub fn prefix(&self, row: &Row) -> Result<Vec<u32>, TrainError> {
        let text = self
            .prompts
            .prefix(&row.code, &row.language, row.file_name.as_deref());
        Ok(self.tokenizer.encode(&text)?)
    }

    /// The full example, or `None` when the row has no target for the task.
    pub fn example(&self, row: &Row) -> Result<Option<EncodedExample>, TrainError> {
        let Some(target) = row.target(self.task) else {
            return Ok(None);
        };
        // The answer is model output, not template: any `<|im_end|>` text in
        // a label must not become an early stop.
        let mut answer = self.tokenizer.encode_plain(&target)?;
        answer.push(self.im_end);
        Ok(Some(EncodedExample {
            prefix: self.prefix(row)?,
            invocation: self.invocation.clone(),
            answer,
        }))
    }
}

/// Encodes `row` for `task`; see [`Encoder`] to encode many rows.
pub fn encode_example(
    tokenizer: &TextTokenizer,
    prompts: &Prompts,
    task: Task,
    row: &Row,
) -> Result<Option<EncodedExample>, TrainError> {
    Encoder::new(tokenizer, prompts, task)?.example(row)
}
