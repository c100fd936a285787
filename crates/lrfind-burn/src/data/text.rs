//! A character-level language-model corpus: text in, windows of `seq_len + 1` characters out
//! (inputs are the first `seq_len`, targets the same shifted by one).

use super::{Batches, Rows};
use burn::prelude::*;
use std::path::{Path, PathBuf};

/// A text file that cannot be used as a corpus.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not valid UTF-8 at byte {offset}")]
    Utf8 { path: PathBuf, offset: usize },
    #[error(
        "{path}: {chars} characters; a corpus needs at least {needed} for windows of {seq_len}"
    )]
    TooShort {
        path: PathBuf,
        chars: usize,
        needed: usize,
        seq_len: usize,
    },
}

/// A corpus as token ids, one per character, and its vocabulary (sorted characters).
#[derive(Debug, Clone, PartialEq)]
pub struct Corpus {
    pub tokens: Vec<i64>,
    pub vocab: Vec<char>,
}

/// Share of the corpus (its end) held out for validation.
pub const HELD_OUT: f64 = 0.1;

impl Corpus {
    pub fn from_text(text: &str) -> Corpus {
        let mut vocab: Vec<char> = text.chars().collect();
        vocab.sort_unstable();
        vocab.dedup();
        let tokens = text
            .chars()
            .map(|c| vocab.binary_search(&c).expect("in vocabulary") as i64)
            .collect();
        Corpus { tokens, vocab }
    }

    /// Reads `path`; it must hold enough text for a training and a held-out window of `seq_len`.
    pub fn read(path: &Path, seq_len: usize) -> Result<Corpus, TextError> {
        let bytes = std::fs::read(path).map_err(|source| TextError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| TextError::Utf8 {
            path: path.to_path_buf(),
            offset: e.utf8_error().valid_up_to(),
        })?;
        let corpus = Corpus::from_text(&text);
        let needed = ((seq_len + 1) as f64 / HELD_OUT).ceil() as usize;
        if corpus.tokens.len() < needed {
            return Err(TextError::TooShort {
                path: path.to_path_buf(),
                chars: corpus.tokens.len(),
                needed,
                seq_len,
            });
        }
        Ok(corpus)
    }

    /// (training tokens, held-out tokens): the last [`HELD_OUT`] of the text is held out.
    pub fn split(&self) -> (&[i64], &[i64]) {
        let cut = self.tokens.len() - (self.tokens.len() as f64 * HELD_OUT) as usize;
        self.tokens.split_at(cut)
    }
}

/// A batch of windows: inputs and targets `[batch, seq_len]`.
#[derive(Debug, Clone)]
pub struct TextBatch {
    pub inputs: Tensor<2, Int>,
    pub targets: Tensor<2, Int>,
}

/// Mini-batches of text windows.
pub type TextBatches = Batches<TextBatch>;

/// Non-overlapping windows of `seq_len + 1` tokens (consecutive windows share one token).
#[derive(Debug, Clone, Copy)]
pub struct Windows<'a> {
    pub tokens: &'a [i64],
    pub seq_len: usize,
    /// Windows used, from the start of `tokens`.
    pub count: usize,
}

impl<'a> Windows<'a> {
    /// At most `limit` windows of `tokens` (which must hold at least `seq_len + 1` tokens).
    pub fn new(tokens: &'a [i64], seq_len: usize, limit: usize) -> Windows<'a> {
        let count = (tokens.len().saturating_sub(1) / seq_len.max(1)).min(limit);
        Windows {
            tokens,
            seq_len,
            count,
        }
    }
}

impl Rows for Windows<'_> {
    type Batch = TextBatch;
    fn rows(&self) -> usize {
        self.count
    }
    fn batch(&self, rows: &[usize], device: &Device) -> TextBatch {
        let t = self.seq_len;
        let window = |shift: usize| {
            let mut out = Vec::with_capacity(rows.len() * t);
            for &r in rows {
                out.extend_from_slice(&self.tokens[r * t + shift..r * t + shift + t]);
            }
            Tensor::from_data(TensorData::new(out, [rows.len(), t]), device)
        };
        TextBatch {
            inputs: window(0),
            targets: window(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_targets_shift_by_one() {
        let corpus = Corpus::from_text("abcabcabcabcabcabcabcabcabcabcabcabcabcabc");
        assert_eq!(corpus.vocab, vec!['a', 'b', 'c']);
        let device = Device::flex();
        let batches = Batches::training(&Windows::new(&corpus.tokens, 4, 100), 2, 0, &device);
        for b in batches.all() {
            let x: Vec<i64> = b
                .inputs
                .clone()
                .into_data()
                .convert::<i64>()
                .try_to_vec::<i64>()
                .unwrap();
            let y: Vec<i64> = b
                .targets
                .clone()
                .into_data()
                .convert::<i64>()
                .try_to_vec::<i64>()
                .unwrap();
            for (x, y) in x.iter().zip(&y) {
                assert_eq!((x + 1) % 3, *y);
            }
        }
        let (train, held) = corpus.split();
        assert_eq!(train.len() + held.len(), corpus.tokens.len());
    }

    #[test]
    fn short_or_broken_text_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let short = dir.path().join("short.txt");
        std::fs::write(&short, "hello").unwrap();
        let e = Corpus::read(&short, 64).unwrap_err().to_string();
        assert!(
            e.contains("5 characters; a corpus needs at least 650"),
            "{e}"
        );
        let bad = dir.path().join("bad.txt");
        std::fs::write(&bad, b"ok\xff\xfe").unwrap();
        let e = Corpus::read(&bad, 4).unwrap_err().to_string();
        assert!(e.ends_with("not valid UTF-8 at byte 2"), "{e}");
    }
}
