//! Where finished documents are kept until they expire: a directory
//! (`file://PATH`, the default under the data directory) or an
//! S3-compatible bucket (`s3://BUCKET/PREFIX`, credentials and endpoint from
//! the usual `AWS_*` variables), through `object_store`.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use tokio::io::AsyncReadExt;

/// Results are sent to the store in parts of this size (S3's minimum part
/// is 5 MiB); a smaller result goes in one request.
const PART_BYTES: usize = 8 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("result storage: {0}")]
    Store(#[from] object_store::Error),
    #[error("result storage: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Config(String),
    #[error("the result is not in the store")]
    Missing,
}

/// The result store.
#[derive(Debug, Clone)]
pub struct Results {
    store: Arc<dyn ObjectStore>,
    /// What `--storage` named, for logs.
    pub url: String,
}

impl Results {
    /// Opens `url`: `file:///ABSOLUTE/DIR`, a plain directory path, or
    /// `s3://BUCKET[/PREFIX]`.
    pub fn open(url: &str) -> Result<Results, ResultsError> {
        let store: Arc<dyn ObjectStore> = if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(ResultsError::Config(format!(
                    "--storage {url:?} names no bucket"
                )));
            }
            let s3 = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()?;
            let prefix = prefix.trim_matches('/');
            if prefix.is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(object_store::prefix::PrefixStore::new(s3, prefix))
            }
        } else {
            let dir = url.strip_prefix("file://").unwrap_or(url);
            if dir.is_empty() || url.contains("://") && !url.starts_with("file://") {
                return Err(ResultsError::Config(format!(
                    "--storage {url:?} is neither a directory, file://DIR nor s3://BUCKET"
                )));
            }
            std::fs::create_dir_all(dir)?;
            Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir)?)
        };
        Ok(Results {
            store,
            url: url.to_owned(),
        })
    }

    fn key(id: &str) -> Key {
        Key::from(format!("results/{id}"))
    }

    /// Stores the document in `file` as the result of job `id`; returns its
    /// size. A run that is repeated (its worker's lease ran out) writes the
    /// same bytes again: rendering is deterministic.
    pub async fn put_file(&self, id: &str, file: &Path) -> Result<u64, ResultsError> {
        let key = Self::key(id);
        let mut reader = tokio::fs::File::open(file).await?;
        let size = reader.metadata().await?.len();
        if size <= PART_BYTES as u64 {
            let mut bytes = Vec::with_capacity(size as usize);
            reader.read_to_end(&mut bytes).await?;
            self.store.put(&key, PutPayload::from(bytes)).await?;
            return Ok(size);
        }
        let upload = self.store.put_multipart(&key).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut buf = vec![0u8; PART_BYTES];
        loop {
            let n = match reader.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) => {
                    let _ = writer.abort().await;
                    return Err(err.into());
                }
            };
            // At most two parts in flight: memory stays bounded.
            if let Err(err) = writer.wait_for_capacity(2).await {
                return Err(err.into());
            }
            writer.write(&buf[..n]);
        }
        writer.finish().await?;
        Ok(size)
    }

    /// Stores `bytes` as the result of job `id`.
    pub async fn put_bytes(&self, id: &str, bytes: Bytes) -> Result<u64, ResultsError> {
        let size = bytes.len() as u64;
        self.store
            .put(&Self::key(id), PutPayload::from(bytes))
            .await?;
        Ok(size)
    }

    /// The result of job `id` as a stream of bytes, and its size.
    pub async fn get(
        &self,
        id: &str,
    ) -> Result<(u64, BoxStream<'static, Result<Bytes, object_store::Error>>), ResultsError> {
        match self.store.get(&Self::key(id)).await {
            Ok(result) => Ok((result.meta.size, result.into_stream())),
            Err(object_store::Error::NotFound { .. }) => Err(ResultsError::Missing),
            Err(err) => Err(err.into()),
        }
    }

    /// Deletes the result of job `id`; one that is not there is no error.
    pub async fn delete(&self, id: &str) -> Result<(), ResultsError> {
        match self.store.delete(&Self::key(id)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }
}
