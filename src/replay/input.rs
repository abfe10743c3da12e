//! Where events come from: files, directories of rotated logs, and `-` for standard input; plain
//! or gzip (told apart by content, so `audit.log.1` can be compressed and `audit.log.gz` plain).
//! Gzip is read with `MultiGzDecoder`, because rotation and `cat a.gz b.gz` both produce several
//! members in one file.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use super::err::ReplayError;

/// How much is read from a source at a time.
const BUFFER: usize = 256 << 10;

/// One source of events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Standard input.
    Stdin,
    /// A file.
    File(PathBuf),
}

impl Source {
    /// The name reports use.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "-".to_owned(),
            Source::File(path) => path.display().to_string(),
        }
    }

    /// The size on disk, when known (for the progress bar).
    pub fn size(&self) -> Option<u64> {
        match self {
            Source::Stdin => None,
            Source::File(path) => std::fs::metadata(path).ok().map(|m| m.len()),
        }
    }

    /// Opens the source, decompressing gzip; `progress` counts the bytes read from it.
    pub fn open(
        &self,
        progress: Option<Arc<dyn Fn(u64) + Send + Sync>>,
    ) -> io::Result<Box<dyn BufRead + Send>> {
        let raw: Box<dyn Read + Send> = match self {
            Source::Stdin => Box::new(io::stdin()),
            Source::File(path) => Box::new(File::open(path)?),
        };
        let raw = Counting {
            inner: raw,
            progress,
        };
        let mut buffered = BufReader::with_capacity(BUFFER, raw);
        let gzip = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
        Ok(if gzip {
            Box::new(BufReader::with_capacity(
                BUFFER,
                MultiGzDecoder::new(buffered),
            ))
        } else {
            Box::new(buffered)
        })
    }
}

struct Counting {
    inner: Box<dyn Read + Send>,
    progress: Option<Arc<dyn Fn(u64) + Send + Sync>>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(progress) = &self.progress {
            progress(n as u64);
        }
        Ok(n)
    }
}

/// Expands the command line's `LOG...` into sources, in order: `-` is standard input, a directory
/// is its rotated set (see [`rotation_order`]), anything else a file that must exist.
pub fn expand(arguments: &[String]) -> Result<Vec<Source>, ReplayError> {
    let mut sources = Vec::new();
    for argument in arguments {
        if argument == "-" {
            sources.push(Source::Stdin);
            continue;
        }
        let path = Path::new(argument);
        let metadata = std::fs::metadata(path).map_err(|source| ReplayError::Input {
            path: argument.clone(),
            source,
        })?;
        if metadata.is_dir() {
            let mut files = Vec::new();
            let entries = std::fs::read_dir(path).map_err(|source| ReplayError::Input {
                path: argument.clone(),
                source,
            })?;
            for entry in entries {
                let entry = entry.map_err(|source| ReplayError::Input {
                    path: argument.clone(),
                    source,
                })?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.') && entry.path().is_file() {
                    files.push(name);
                }
            }
            rotation_order(&mut files);
            sources.extend(files.into_iter().map(|f| Source::File(path.join(f))));
        } else {
            sources.push(Source::File(path.to_owned()));
        }
    }
    Ok(sources)
}

/// Orders a directory's file names oldest first, as log rotation names them:
/// * logrotate's `audit.log.3.gz`, `audit.log.2`, `audit.log.1` (a higher number is older);
/// * kube-apiserver's own backups `audit-2026-11-26T16-49-15.123.log[.gz]` (by the timestamp);
/// * then the live file (`audit.log`), and any other names alphabetically.
pub fn rotation_order(names: &mut [String]) {
    names.sort_by_cached_key(|name| rotation_key(name));
}

fn rotation_key(name: &str) -> (u8, String, std::cmp::Reverse<u64>, String) {
    let stem = name.strip_suffix(".gz").unwrap_or(name);
    if let Some((base, number)) = stem.rsplit_once('.')
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && let Ok(n) = number.parse::<u64>()
    {
        return (0, base.to_owned(), std::cmp::Reverse(n), String::new());
    }
    if let Some(stamp) = backup_timestamp(stem) {
        return (1, stamp.to_owned(), std::cmp::Reverse(0), String::new());
    }
    (2, String::new(), std::cmp::Reverse(0), name.to_owned())
}

/// The `YYYY-MM-DDTHH-MM-SS.mmm` part of a lumberjack backup name.
fn backup_timestamp(stem: &str) -> Option<&str> {
    let bytes = stem.as_bytes();
    (0..bytes.len()).find_map(|i| {
        let candidate = stem.get(i..i + 23)?;
        let shape = candidate.bytes().zip("0000-00-00T00-00-00.000".bytes());
        shape
            .clone()
            .all(|(c, s)| {
                if s == b'0' {
                    c.is_ascii_digit()
                } else {
                    c == s
                }
            })
            .then_some(candidate)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_sets_are_read_oldest_first() {
        let mut names: Vec<String> = [
            "audit.log",
            "audit.log.1",
            "audit.log.10.gz",
            "audit.log.2.gz",
            "audit-2026-11-26T16-49-15.123.log.gz",
            "audit-2026-11-25T01-00-00.000.log",
        ]
        .map(String::from)
        .to_vec();
        rotation_order(&mut names);
        assert_eq!(
            names,
            [
                "audit.log.10.gz",
                "audit.log.2.gz",
                "audit.log.1",
                "audit-2026-11-25T01-00-00.000.log",
                "audit-2026-11-26T16-49-15.123.log.gz",
                "audit.log",
            ]
        );
    }
}
