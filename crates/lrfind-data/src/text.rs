//! A character-level language-model corpus: text in, windows of `seq_len + 1` characters out
//! (inputs are the first `seq_len`, targets the same shifted by one).

use std::path::{Path, PathBuf};

/// A text file that cannot be used as a corpus.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("{path}: {source}")]
    /// The file cannot be read.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    #[error("{path}: not valid UTF-8 at byte {offset}")]
    /// The file is not UTF-8.
    Utf8 {
        /// The file.
        path: PathBuf,
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    #[error(
        "{path}: {chars} characters; a corpus needs at least {needed} for windows of {seq_len}"
    )]
    /// Too little text for training and held-out windows.
    TooShort {
        /// The file.
        path: PathBuf,
        /// Characters it has.
        chars: usize,
        /// Characters needed.
        needed: usize,
        /// The context length asked for.
        seq_len: usize,
    },
}

/// A corpus as token ids, one per character, and its vocabulary (sorted characters).
#[derive(Debug, Clone, PartialEq)]
pub struct Corpus {
    /// Token id of every character.
    pub tokens: Vec<i64>,
    /// The characters, by token id.
    pub vocab: Vec<char>,
}

/// Share of the corpus (its end) held out for validation.
pub const HELD_OUT: f64 = 0.1;

impl Corpus {
    /// The corpus of `text` (vocabulary in order of first appearance).
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

/// Non-overlapping windows of `seq_len + 1` tokens (consecutive windows share one token).
#[derive(Debug, Clone, Copy)]
pub struct Windows<'a> {
    /// The tokens.
    pub tokens: &'a [i64],
    /// Tokens per window (the context length).
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

#[cfg(test)]
mod tests {
    use super::*;

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
