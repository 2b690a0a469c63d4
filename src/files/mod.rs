//! The server's file store: uploads (lesson videos now; evidence and
//! certificates later) written under one directory, streamed in and out so a
//! large video never sits in memory, and served with HTTP ranges so a phone
//! can seek in a video.

use crate::web::error::{AppError, AppResult};
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;
use tower::ServiceExt;

/// Largest upload: `GONGJIANG_MAX_UPLOAD_MB` (default 1024 MiB).
pub fn max_upload_bytes() -> usize {
    std::env::var("GONGJIANG_MAX_UPLOAD_MB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1024)
        .saturating_mul(1024 * 1024)
}

/// Video types a phone's browser plays.
pub const VIDEO_TYPES: [(&str, &str); 3] = [
    ("video/mp4", "mp4"),
    ("video/webm", "webm"),
    ("video/ogg", "ogv"),
];

/// The extension a video of this content type is stored with, or why it is refused.
pub fn video_extension(content_type: &str) -> Result<&'static str, String> {
    let t = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    VIDEO_TYPES
        .iter()
        .find(|(mime, _)| *mime == t)
        .map(|(_, ext)| *ext)
        .ok_or_else(|| "视频格式应为 MP4、WebM 或 Ogg（手机浏览器能播放的格式）".to_string())
}

#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
}

/// A file being written: it becomes visible under its name only on `finish`,
/// and a dropped upload leaves no file behind.
pub struct Upload {
    file: tokio::fs::File,
    part: PathBuf,
    done: bool,
    pub name: String,
    pub size: u64,
    limit: u64,
}

impl FileStore {
    pub fn new(dir: impl Into<PathBuf>) -> FileStore {
        FileStore { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Starts writing `folder/<random>.<ext>`. The store's folders are the
    /// owner's alone (0700) and so are its files (0600): uploads carry
    /// personal data.
    pub async fn create(&self, folder: &str, ext: &str) -> AppResult<Upload> {
        let dir = self.dir.join(folder);
        private_dir(&self.dir)
            .and_then(|_| private_dir(&dir))
            .map_err(|e| {
                AppError::Internal(anyhow::anyhow!("cannot create {}: {e}", dir.display()))
            })?;
        let random: u64 = rand::thread_rng().gen();
        let name = format!("{folder}/{random:016x}.{ext}");
        let part = self.dir.join(format!("{name}.part"));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&part)
            .await
            .map_err(|e| {
                AppError::Internal(anyhow::anyhow!("cannot write {}: {e}", part.display()))
            })?;
        Ok(Upload {
            file,
            part,
            done: false,
            name,
            size: 0,
            limit: max_upload_bytes() as u64,
        })
    }

    /// The path of a stored file; names come from the database, never from a request.
    fn path(&self, name: &str) -> AppResult<PathBuf> {
        if name
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
        {
            return Err(AppError::not_found("文件"));
        }
        Ok(self.dir.join(name))
    }

    /// Serves a stored file with ranges (seeking) and its type (from the
    /// extension it was stored with), cached privately only (the files are
    /// for signed-in members).
    pub async fn serve(&self, name: &str, req: Request) -> AppResult<Response> {
        let path = self.path(name)?;
        if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Err(AppError::not_found("文件"));
        }
        let mut res = match tower_http::services::ServeFile::new(&path)
            .oneshot(req)
            .await
        {
            Ok(r) => r.map(Body::new).into_response(),
            Err(never) => match never {},
        };
        res.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("private, max-age=3600"),
        );
        Ok(res)
    }

    /// Removes a stored file (a replaced video); a file already gone is fine.
    pub async fn remove(&self, name: &str) {
        if let Ok(path) = self.path(name) {
            let _ = tokio::fs::remove_file(path).await;
        }
    }
}

/// Creates `dir` (and its parents) for its owner alone, or makes an existing one so.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// An upload kept only while it is worked on (a roster being imported): the
/// file is removed when this is dropped.
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
}

impl TempFile {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Upload {
    /// The same upload with a lower size limit.
    pub fn with_limit(mut self, bytes: u64) -> Upload {
        self.limit = self.limit.min(bytes);
        self
    }

    /// Keeps the written file as a temporary one, removed when the `TempFile` goes.
    pub async fn into_temp(mut self) -> AppResult<TempFile> {
        self.file
            .flush()
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("writing an upload: {e}")))?;
        self.done = true;
        Ok(TempFile {
            path: self.part.clone(),
        })
    }

    /// Appends a chunk; refuses (413) beyond the upload limit.
    pub async fn write(&mut self, chunk: &[u8]) -> AppResult<()> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(AppError::TooLarge(format!(
                "文件超过 {} MB 的上限",
                self.limit / 1024 / 1024
            )));
        }
        self.file
            .write_all(chunk)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("writing an upload: {e}")))
    }

    /// Makes the file visible under its name.
    pub async fn finish(mut self, store: &FileStore) -> AppResult<String> {
        self.file
            .sync_all()
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("writing an upload: {e}")))?;
        let target = store.path(&self.name)?;
        tokio::fs::rename(&self.part, &target)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("storing an upload: {e}")))?;
        self.done = true;
        Ok(self.name.clone())
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn uploads_appear_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        let mut up = store.create("lessons", "mp4").await.unwrap();
        up.write(b"0123456789").await.unwrap();
        let name = up.finish(&store).await.unwrap();
        assert!(name.starts_with("lessons/") && name.ends_with(".mp4"));
        assert_eq!(
            std::fs::read(dir.path().join(&name)).unwrap(),
            b"0123456789"
        );

        // Over the limit: refused, and the dropped upload leaves nothing.
        let mut big = store.create("lessons", "mp4").await.unwrap();
        big.limit = 8;
        assert!(matches!(
            big.write(b"0123456789").await,
            Err(AppError::TooLarge(_))
        ));
        drop(big);
        let left: Vec<_> = std::fs::read_dir(dir.path().join("lessons"))
            .unwrap()
            .collect();
        assert_eq!(left.len(), 1, "only the finished file stays");

        store.remove(&name).await;
        assert!(!dir.path().join(&name).exists());
        for bad in ["../x.mp4", "lessons//x", "/etc/passwd", "lessons/./x"] {
            assert!(store.path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phone_playable_types_only() {
        assert_eq!(video_extension("video/mp4"), Ok("mp4"));
        assert_eq!(video_extension("Video/WebM; codecs=vp9"), Ok("webm"));
        assert!(video_extension("video/x-msvideo").is_err());
        assert!(video_extension("").is_err());
    }
}
