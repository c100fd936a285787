//! IDX files (the MNIST format: big-endian header, then raw values), plain or gzipped.

use crate::Classification;
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

/// An IDX file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum IdxError {
    #[error("cannot read {path}: {source}")]
    /// The file cannot be read.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    #[error("{path}: not an IDX file (magic bytes {found:02x?})")]
    /// The file does not start with an IDX magic number.
    BadMagic {
        /// The file.
        path: PathBuf,
        /// Its first bytes.
        found: Vec<u8>,
    },
    #[error("{path}: IDX value type 0x{0:02x} is not supported (only unsigned bytes, 0x08)", .code)]
    /// An element type other than unsigned bytes.
    UnsupportedType {
        /// The file.
        path: PathBuf,
        /// The type code found.
        code: u8,
    },
    #[error("{path}: truncated: the header promises {expected} bytes of data, the file has {got}")]
    /// The file is shorter than its header says.
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes the header promises.
        expected: usize,
        /// Bytes present.
        got: usize,
    },
    #[error("{path}: expected {want} dimensions, the file has {got}")]
    /// Images or labels with the wrong number of dimensions.
    Rank {
        /// The file.
        path: PathBuf,
        /// Dimensions expected.
        want: usize,
        /// Dimensions found.
        got: usize,
    },
    #[error("{images} images but {labels} labels")]
    /// Images and labels of different counts.
    Mismatch {
        /// Images.
        images: usize,
        /// Labels.
        labels: usize,
    },
    #[error("{path}: label {label} is not a class 0–9")]
    /// A label outside 0–9.
    BadLabel {
        /// The labels file.
        path: PathBuf,
        /// The label.
        label: u8,
    },
    #[error("no {name} (or {name}.gz) in {dir}")]
    /// A file of the split is not in the folder.
    Missing {
        /// The folder.
        dir: PathBuf,
        /// The file looked for (with or without .gz).
        name: String,
    },
}

/// A decoded IDX array of unsigned bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Idx {
    /// Sizes of the dimensions.
    pub dims: Vec<usize>,
    /// The elements, row-major.
    pub data: Vec<u8>,
}

/// Parses IDX bytes (already decompressed): `0 0 type ndim`, `ndim` big-endian u32 sizes, data.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Idx, IdxError> {
    let p = || path.to_path_buf();
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Err(IdxError::BadMagic {
            path: p(),
            found: bytes[..bytes.len().min(4)].to_vec(),
        });
    }
    if bytes[2] != 0x08 {
        return Err(IdxError::UnsupportedType {
            path: p(),
            code: bytes[2],
        });
    }
    let ndim = bytes[3] as usize;
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(IdxError::Truncated {
            path: p(),
            expected: header,
            got: bytes.len(),
        });
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let expected = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .unwrap_or(usize::MAX);
    let got = bytes.len() - header;
    if got < expected {
        return Err(IdxError::Truncated {
            path: p(),
            expected,
            got,
        });
    }
    Ok(Idx {
        dims,
        data: bytes[header..header + expected].to_vec(),
    })
}

/// Reads `path`, decompressing it when it is gzipped.
pub fn read(path: &Path) -> Result<Idx, IdxError> {
    let io = |source| IdxError::Io {
        path: path.to_path_buf(),
        source,
    };
    let raw = std::fs::read(path).map_err(io)?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut bytes = Vec::new();
        GzDecoder::new(&raw[..])
            .read_to_end(&mut bytes)
            .map_err(io)?;
        parse(path, &bytes)
    } else {
        parse(path, &raw)
    }
}

/// `dir/name` or `dir/name.gz`, whichever exists.
fn find(dir: &Path, name: &str) -> Result<PathBuf, IdxError> {
    [dir.join(name), dir.join(format!("{name}.gz"))]
        .into_iter()
        .find(|p| p.exists())
        .ok_or_else(|| IdxError::Missing {
            dir: dir.to_path_buf(),
            name: name.to_string(),
        })
}

/// An MNIST-layout folder (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-…`):
/// the training (`train = true`) or test split, at most `limit` images, pixels scaled to [0, 1].
pub fn load_split(
    dir: &Path,
    train: bool,
    limit: Option<usize>,
) -> Result<Classification, IdxError> {
    let prefix = if train { "train" } else { "t10k" };
    let images_path = find(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let labels_path = find(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    let images = read(&images_path)?;
    let labels = read(&labels_path)?;
    if images.dims.len() != 3 {
        return Err(IdxError::Rank {
            path: images_path,
            want: 3,
            got: images.dims.len(),
        });
    }
    if labels.dims.len() != 1 {
        return Err(IdxError::Rank {
            path: labels_path,
            want: 1,
            got: labels.dims.len(),
        });
    }
    if images.dims[0] != labels.dims[0] {
        return Err(IdxError::Mismatch {
            images: images.dims[0],
            labels: labels.dims[0],
        });
    }
    if let Some(&label) = labels.data.iter().find(|&&l| l > 9) {
        return Err(IdxError::BadLabel {
            path: labels_path,
            label,
        });
    }
    let n = limit.map_or(images.dims[0], |l| l.min(images.dims[0]));
    let dim = images.dims[1] * images.dims[2];
    Ok(Classification {
        features: images.data[..n * dim]
            .iter()
            .map(|&p| p as f32 / 255.0)
            .collect(),
        labels: labels.data[..n].iter().map(|&l| l as i64).collect(),
        dim,
        classes: 10,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut b = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            b.extend(d.to_be_bytes());
        }
        b.extend(data);
        b
    }

    #[test]
    fn parses_a_small_file() {
        let got = parse(Path::new("x"), &idx(&[2, 3], &[1, 2, 3, 4, 5, 6])).unwrap();
        assert_eq!(
            got,
            Idx {
                dims: vec![2, 3],
                data: vec![1, 2, 3, 4, 5, 6]
            }
        );
    }

    #[test]
    fn a_truncated_file_is_an_error_naming_the_sizes() {
        let e = parse(Path::new("t.idx"), &idx(&[2, 3], &[1, 2, 3]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "t.idx: truncated: the header promises 6 bytes of data, the file has 3"
        );
        let e = parse(Path::new("t.idx"), &[0, 0, 8, 3, 0, 0]).unwrap_err();
        assert!(matches!(e, IdxError::Truncated { .. }));
    }

    #[test]
    fn bad_magic_and_types_are_errors() {
        assert!(matches!(
            parse(Path::new("x"), b"PK\x03\x04"),
            Err(IdxError::BadMagic { .. })
        ));
        assert!(matches!(
            parse(Path::new("x"), &[0, 0, 0x0d, 1, 0, 0, 0, 0]),
            Err(IdxError::UnsupportedType { .. })
        ));
        assert!(matches!(
            parse(Path::new("x"), &[]),
            Err(IdxError::BadMagic { .. })
        ));
    }

    #[test]
    fn a_folder_of_gzipped_files_loads_and_mismatches_are_caught() {
        use flate2::write::GzEncoder;
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let gz = |name: &str, bytes: Vec<u8>| {
            let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&bytes).unwrap();
            std::fs::write(dir.path().join(name), e.finish().unwrap()).unwrap();
        };
        gz(
            "train-images-idx3-ubyte.gz",
            idx(&[3, 2, 2], &[0, 255, 0, 255, 1, 2, 3, 4, 5, 6, 7, 8]),
        );
        std::fs::write(
            dir.path().join("train-labels-idx1-ubyte"),
            idx(&[3], &[7, 1, 9]),
        )
        .unwrap();
        let d = load_split(dir.path(), true, Some(2)).unwrap();
        assert_eq!((d.len(), d.dim, d.labels.clone()), (2, 4, vec![7, 1]));
        assert_eq!(d.features[1], 1.0);
        std::fs::write(
            dir.path().join("train-labels-idx1-ubyte"),
            idx(&[2], &[7, 1]),
        )
        .unwrap();
        assert!(matches!(
            load_split(dir.path(), true, None),
            Err(IdxError::Mismatch {
                images: 3,
                labels: 2
            })
        ));
        assert!(matches!(
            load_split(dir.path(), false, None),
            Err(IdxError::Missing { .. })
        ));
    }
}
