//! The `docsmith` command line: `serve`, `render`, `validate`.
//!
//! Every `serve` flag has an environment variable; defaults are safe for a
//! public network.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::http::{self, ServiceConfig};
use crate::job;
use crate::render::{self, RenderError};
use crate::render_ctx::{CancelToken, RenderCtx};
use crate::templates::Catalog;

#[derive(Debug, Parser)]
#[command(
    name = "docsmith",
    version,
    about = "Document generation: JSON jobs in, PDF/DOCX/XLSX/images/ZIP out"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (and, with its queue settings, async job workers).
    Serve(ServeArgs),
    /// Run async job workers only, sharing the job database and result
    /// storage of `serve` nodes (no HTTP).
    Worker(WorkerArgs),
    /// Render one job file without a server (same code path as the service).
    Render(RenderArgs),
    /// Check a job file and list every problem in it.
    Validate(ValidateArgs),
    /// List the templates, or print one's sample job (a starting point).
    Templates(TemplatesArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "DOCSMITH_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Jobs rendering at once [default: number of cores].
    #[arg(long, env = "DOCSMITH_WORKERS")]
    pub workers: Option<usize>,
    /// Jobs that may wait for a worker; beyond this new jobs get 503.
    #[arg(long, env = "DOCSMITH_QUEUE_DEPTH", default_value_t = 64)]
    pub queue_depth: usize,
    /// Largest request body (e.g. 32MiB, 500KB, 1048576).
    #[arg(long, env = "DOCSMITH_MAX_BODY", default_value = "32MiB", value_parser = parse_size)]
    pub max_body: usize,
    /// Largest request body of POST /v1/images (image uploads).
    #[arg(long, env = "DOCSMITH_MAX_UPLOAD", default_value = "256MiB", value_parser = parse_size)]
    pub max_upload: usize,
    /// Most image files one POST /v1/images may carry.
    #[arg(long, env = "DOCSMITH_MAX_IMAGE_FILES", default_value_t = 100)]
    pub max_image_files: usize,
    /// Largest stored template's markup (PUT /v1/templates/NAME).
    #[arg(long, env = "DOCSMITH_MAX_TEMPLATE_BYTES", default_value = "1MiB", value_parser = parse_size)]
    pub max_template_bytes: usize,
    /// Template versions one API key may keep stored.
    #[arg(long, env = "DOCSMITH_MAX_STORED_TEMPLATES", default_value_t = 1000)]
    pub max_stored_templates: u64,
    /// Time limit per job, queueing included (e.g. 60s, 500ms, 2m).
    #[arg(long, env = "DOCSMITH_JOB_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub job_timeout: Duration,
    /// Time to receive a request's head (the connection is closed beyond) and
    /// its whole body (408 beyond).
    #[arg(long, env = "DOCSMITH_BODY_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub body_timeout: Duration,
    /// API keys, one per line: NAME KEY [ROUTES] [CONCURRENCY] (see README).
    /// With keys, /v1/* needs `Authorization: Bearer KEY`.
    #[arg(long, env = "DOCSMITH_API_KEYS_FILE")]
    pub api_keys_file: Option<PathBuf>,
    /// API keys given directly, in the file's format, entries separated by `;`.
    #[arg(long, env = "DOCSMITH_API_KEYS", hide_env_values = true)]
    pub api_keys: Option<String>,
    /// Serve /v1/* without API keys on an address other than loopback
    /// (by default docsmith refuses to, so it is never exposed open by mistake).
    #[arg(long, env = "DOCSMITH_ALLOW_ANONYMOUS")]
    pub allow_anonymous: bool,
    /// Origins allowed to call the API from a browser, comma-separated, or `*`
    /// [default: none, no CORS headers].
    #[arg(long, env = "DOCSMITH_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// On SIGTERM/Ctrl-C, how long in-flight jobs may take to finish.
    #[arg(long, env = "DOCSMITH_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
    #[command(flatten)]
    pub queue: QueueArgs,
    #[command(flatten)]
    pub templates: TemplateArgs,
    #[command(flatten)]
    pub logging: LogArgs,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Threads rendering at once [default: number of cores].
    #[arg(long, env = "DOCSMITH_WORKERS")]
    pub workers: Option<usize>,
    /// Serve GET /metrics (Prometheus) and GET /healthz on this address
    /// [default: none].
    #[arg(long, env = "DOCSMITH_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// On SIGTERM/Ctrl-C, how long the jobs under way may take to finish
    /// (past it they run again elsewhere once their leases run out).
    #[arg(long, env = "DOCSMITH_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
    #[command(flatten)]
    pub queue: QueueArgs,
    #[command(flatten)]
    pub templates: TemplateArgs,
    #[command(flatten)]
    pub logging: LogArgs,
}

/// How `serve` and `worker` log.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Log line format.
    #[arg(long, env = "DOCSMITH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,
    /// Log filter (tracing EnvFilter syntax, e.g. `info` or `docsmith=debug`).
    #[arg(long, env = "DOCSMITH_LOG", default_value = "info")]
    pub log: String,
}

impl LogArgs {
    fn init(&self) {
        init_logging(self.log_format, &self.log);
    }
}

/// Where async jobs and their results live, and how they run.
#[derive(Debug, Args)]
pub struct QueueArgs {
    /// Directory of the embedded job database, stored results and
    /// temporary files (created if missing).
    #[arg(long, env = "DOCSMITH_DATA_DIR", default_value = "docsmith-data")]
    pub data_dir: PathBuf,
    /// Job database: sqlite://PATH or postgres://USER:PASSWORD@HOST/DB, shared
    /// by every node [default: SQLite in --data-dir].
    #[arg(long, env = "DOCSMITH_DATABASE", hide_env_values = true)]
    pub database: Option<String>,
    /// Result storage: a directory, file://DIR or s3://BUCKET/PREFIX
    /// (credentials, region and endpoint from the AWS_* variables)
    /// [default: --data-dir/results].
    #[arg(long, env = "DOCSMITH_STORAGE")]
    pub storage: Option<String>,
    /// How long a finished async job and its document are kept.
    #[arg(long, env = "DOCSMITH_JOB_TTL", default_value = "24h", value_parser = parse_duration)]
    pub job_ttl: Duration,
    /// How long a worker's claim on a job lasts without a heartbeat; a job
    /// whose worker died runs again after it.
    #[arg(long, env = "DOCSMITH_LEASE", default_value = "30s", value_parser = parse_duration)]
    pub lease: Duration,
    /// Runs of one async job before it is failed (its worker died each time).
    #[arg(long, env = "DOCSMITH_MAX_ATTEMPTS", default_value_t = 3)]
    pub max_attempts: u32,
    /// Time limit of one async job's run.
    #[arg(long, env = "DOCSMITH_ASYNC_JOB_TIMEOUT", default_value = "15m", value_parser = parse_duration)]
    pub async_job_timeout: Duration,
    /// Async jobs this node runs at once; 0 makes a node that only takes
    /// and serves them [default: --workers].
    #[arg(long, env = "DOCSMITH_ASYNC_WORKERS")]
    pub async_workers: Option<usize>,
    /// How often an idle worker looks for jobs submitted on other nodes.
    #[arg(long, env = "DOCSMITH_POLL", default_value = "500ms", value_parser = parse_duration)]
    pub poll: Duration,
    /// Hosts a job's `callback_url` may name, comma-separated: `host`,
    /// `host:port` or `*.domain` [default: none, webhooks refused].
    #[arg(long, env = "DOCSMITH_CALLBACK_ALLOW", value_delimiter = ',')]
    pub callback_allow: Vec<String>,
    /// The HMAC-SHA256 key webhooks are signed with (needed with
    /// --callback-allow; at least 16 bytes).
    #[arg(long, env = "DOCSMITH_CALLBACK_SECRET", hide_env_values = true)]
    pub callback_secret: Option<String>,
    /// Deliveries of one webhook (1 s, 2 s, 4 s … apart, at most 10 min)
    /// before it is given up.
    #[arg(long, env = "DOCSMITH_CALLBACK_ATTEMPTS", default_value_t = 10)]
    pub callback_attempts: u32,
}

impl QueueArgs {
    /// The queue settings; an error when webhooks are allowed without a
    /// secret to sign them.
    fn config(&self, workers: usize) -> Result<crate::queue::QueueConfig, String> {
        let allow: Vec<String> = self
            .callback_allow
            .iter()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .collect();
        let secret = self.callback_secret.clone().unwrap_or_default();
        if !allow.is_empty() && secret.len() < 16 {
            return Err(
                "--callback-allow needs --callback-secret (DOCSMITH_CALLBACK_SECRET) of at least 16 bytes to sign webhooks"
                    .to_owned(),
            );
        }
        let mut config = crate::queue::QueueConfig::new(self.data_dir.clone());
        config.callbacks.allow = allow;
        config.callbacks.secret = secret.into_bytes();
        config.callbacks.max_attempts = self.callback_attempts.max(1);
        config.database = self.database.clone();
        config.storage = self.storage.clone();
        config.ttl = self.job_ttl;
        config.lease = self.lease.max(Duration::from_secs(1));
        config.max_attempts = self.max_attempts.max(1);
        config.job_timeout = self.async_job_timeout;
        config.workers = self.async_workers.unwrap_or(workers);
        config.poll = self.poll.max(Duration::from_millis(10));
        Ok(config)
    }
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Directory of templates (NAME.xml, NAME.json), used instead of the
    /// built-in ones (invoice, letter, report, compiled into the binary).
    #[arg(long, env = "DOCSMITH_TEMPLATES_DIR")]
    pub templates_dir: Option<PathBuf>,
    /// Directory of extra fonts (.ttf/.otf), added to the built-in ones;
    /// their families can be named in `font` attributes and join the fallbacks.
    #[arg(long, env = "DOCSMITH_FONTS_DIR")]
    pub fonts_dir: Option<PathBuf>,
    /// Template work one render may do: an instruction, or 64 bytes of data
    /// built, costs one (stops runaway loops and bounds template memory).
    #[arg(long, env = "DOCSMITH_TEMPLATE_FUEL", default_value_t = crate::template::TemplateLimits::default().fuel)]
    pub template_fuel: u64,
    /// Largest markup a template may produce [default: 64MiB].
    #[arg(long, env = "DOCSMITH_TEMPLATE_MAX_OUTPUT", value_parser = parse_size)]
    pub template_max_output: Option<usize>,
    /// Most pages one document may have.
    #[arg(long, env = "DOCSMITH_MAX_PAGES", default_value_t = crate::layout::paginate::DEFAULT_MAX_PAGES)]
    pub max_pages: usize,
    /// Largest image a document may embed or an image job may read, in pixels
    /// (checked from the header, before decoding).
    #[arg(long, env = "DOCSMITH_MAX_IMAGE_PIXELS", default_value_t = crate::doc::DEFAULT_MAX_IMAGE_PIXELS)]
    pub max_image_pixels: u64,
    /// Largest input image of an image job, in bytes (e.g. 64MiB).
    #[arg(long, env = "DOCSMITH_MAX_IMAGE_BYTES", default_value = "64MiB", value_parser = parse_size)]
    pub max_image_bytes: usize,
    /// Most entries of a zip job, nested archives' entries included.
    #[arg(long, env = "DOCSMITH_MAX_ZIP_ENTRIES", default_value_t = crate::templates::DEFAULT_MAX_ZIP_ENTRIES)]
    pub max_zip_entries: usize,
    /// Deepest nesting of zip jobs (1: no archive inside an archive).
    #[arg(long, env = "DOCSMITH_MAX_ZIP_DEPTH", default_value_t = crate::templates::DEFAULT_MAX_ZIP_DEPTH)]
    pub max_zip_depth: usize,
    /// Most bytes the entries of a zip job may hold, uncompressed (e.g. 2GiB).
    #[arg(long, env = "DOCSMITH_MAX_ZIP_BYTES", default_value = "2GiB", value_parser = parse_size_u64)]
    pub max_zip_bytes: u64,
}

/// Why templates or fonts could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    #[error(transparent)]
    Templates(#[from] crate::templates::CatalogError),
    #[error(transparent)]
    Fonts(#[from] crate::fonts::FontError),
}

impl TemplateArgs {
    fn load(&self) -> Result<Catalog, AssetError> {
        let defaults = crate::template::TemplateLimits::default();
        let limits = crate::template::TemplateLimits {
            fuel: self.template_fuel,
            max_output: self.template_max_output.unwrap_or(defaults.max_output),
            ..defaults
        };
        let mut catalog = match &self.templates_dir {
            Some(dir) => Catalog::load_with(dir, limits)?,
            None => Catalog::builtin(limits)?,
        };
        catalog.doc_limits = crate::templates::DocLimits {
            max_pages: self.max_pages,
            max_image_pixels: self.max_image_pixels,
            max_image_bytes: self.max_image_bytes,
            max_zip_entries: self.max_zip_entries,
            max_zip_depth: self.max_zip_depth,
            max_zip_bytes: self.max_zip_bytes,
        };
        Ok(match &self.fonts_dir {
            Some(fonts) => catalog.with_fonts(std::sync::Arc::new(
                crate::fonts::FontBook::with_dir(fonts)?,
            )),
            None => catalog,
        })
    }
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The job file (JSON); `-` reads standard input.
    pub job: PathBuf,
    /// Where to write the document; `-` is standard output [default: the job's filename].
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// A file the job refers to as `file:NAME`, given as NAME=PATH (repeatable).
    #[arg(long = "file", value_name = "NAME=PATH", value_parser = parse_file_arg)]
    pub files: Vec<(String, PathBuf)>,
    /// Time limit (e.g. 30s); none by default.
    #[arg(long, value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Entries of a zip job rendered at once [default: number of cores].
    #[arg(long, env = "DOCSMITH_WORKERS")]
    pub workers: Option<usize>,
    /// Nothing on stderr but errors: no progress (a zip job shows it, a bar
    /// on a terminal, a line per tenth otherwise) and no closing line.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub templates: TemplateArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The job file (JSON); `-` reads standard input.
    pub job: PathBuf,
    /// A file the job refers to as `file:NAME`, given as NAME=PATH (repeatable).
    #[arg(long = "file", value_name = "NAME=PATH", value_parser = parse_file_arg)]
    pub files: Vec<(String, PathBuf)>,
    #[command(flatten)]
    pub templates: TemplateArgs,
}

#[derive(Debug, Args)]
pub struct TemplatesArgs {
    /// Print this template's sample job (JSON, ready for `docsmith render`)
    /// instead of the list.
    pub name: Option<String>,
    #[command(flatten)]
    pub templates: TemplateArgs,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Worker(args) => worker_command(args),
        Command::Render(args) => render_command(args),
        Command::Validate(args) => validate_command(args),
        Command::Templates(args) => templates_command(args),
    }
}

/// Exit code for a job that is wrong (as opposed to a failure of docsmith).
const EXIT_INVALID: u8 = 2;

fn serve(args: ServeArgs) -> ExitCode {
    args.logging.init();
    let templates = match args.templates.load() {
        Ok(catalog) => catalog,
        Err(err) => {
            tracing::error!(error = %err, "cannot read the templates directory");
            return ExitCode::FAILURE;
        }
    };
    let defaults = ServiceConfig::default();
    let config = ServiceConfig {
        workers: args.workers.unwrap_or(defaults.workers).max(1),
        queue_depth: args.queue_depth,
        max_body: args.max_body,
        job_timeout: args.job_timeout,
        retry_after_secs: defaults.retry_after_secs,
        max_upload: args.max_upload,
        max_image_files: args.max_image_files,
        body_timeout: args.body_timeout,
        cors_origins: args.cors_origins.clone(),
        max_template_bytes: args.max_template_bytes,
        max_stored_templates: args.max_stored_templates,
    };
    let keys = match load_keys(&args) {
        Ok(keys) => keys,
        Err(err) => {
            tracing::error!(error = %err, "cannot read the API keys");
            return ExitCode::FAILURE;
        }
    };
    if keys.is_empty() && !args.addr.ip().is_loopback() && !args.allow_anonymous {
        tracing::error!(
            addr = %args.addr,
            "refusing to serve /v1/* without API keys on an address other than loopback: \
             give --api-keys-file or DOCSMITH_API_KEYS, or --allow-anonymous to serve it open"
        );
        return ExitCode::from(EXIT_INVALID);
    }
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    let queue_config = match args.queue.config(config.workers) {
        Ok(queue_config) => queue_config,
        Err(err) => {
            tracing::error!("{err}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let served = runtime.block_on(async {
        let queue = crate::queue::Queue::open(queue_config)
            .await
            .map_err(|err| std::io::Error::other(format!("async jobs: {err}")))?;
        http::serve::run(
            args.addr,
            config,
            templates,
            keys,
            Some(queue),
            args.shutdown_timeout,
        )
        .await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "the service stopped with an error");
            ExitCode::FAILURE
        }
    }
}

fn worker_command(args: WorkerArgs) -> ExitCode {
    args.logging.init();
    let templates = match args.templates.load() {
        Ok(catalog) => catalog,
        Err(err) => {
            tracing::error!(error = %err, "cannot read the templates directory");
            return ExitCode::FAILURE;
        }
    };
    let workers = args.workers.unwrap_or_else(http::default_workers).max(1);
    let mut config = match args.queue.config(workers) {
        Ok(config) => config,
        Err(err) => {
            tracing::error!("{err}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    if config.workers == 0 {
        config.workers = workers;
    }
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    let grace = args.shutdown_timeout;
    let metrics_addr = args.metrics_addr;
    let result = runtime.block_on(async move {
        let ops = http::ops_app();
        if let Some(addr) = metrics_addr {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|err| format!("--metrics-addr {addr}: {err}"))?;
            tracing::info!(addr = %listener.local_addr().unwrap_or(addr), "metrics on http://{}/metrics", listener.local_addr().unwrap_or(addr));
            tokio::spawn(async move { axum::serve(listener, ops).await });
        }
        let queue = crate::queue::Queue::open(config)
            .await
            .map_err(|err| err.to_string())?;
        let engine = crate::queue::worker::Engine {
            pool: std::sync::Arc::new(crate::pool::Pool::new(workers, workers)),
            templates,
            retry_after_secs: 1,
        };
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut running = tokio::spawn(crate::queue::worker::run(queue, engine, stop_rx));
        tokio::select! {
            _ = &mut running => {}
            _ = http::serve::shutdown_signal() => {
                tracing::info!(grace_s = grace.as_secs(), "shutting down: finishing the jobs under way");
                let _ = stop_tx.send(true);
                if tokio::time::timeout(grace, running).await.is_err() {
                    tracing::warn!("jobs under way did not finish in time; they run again elsewhere once their leases run out");
                }
            }
        }
        tracing::info!("docsmith worker stopped");
        Ok::<(), String>(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "the worker stopped with an error");
            ExitCode::FAILURE
        }
    }
}

/// The keys of `--api-keys-file` and `--api-keys` together.
fn load_keys(args: &ServeArgs) -> Result<http::auth::ApiKeys, String> {
    let mut keys = http::auth::ApiKeys::none();
    if let Some(path) = &args.api_keys_file {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        keys.extend(http::auth::ApiKeys::parse(
            &text,
            &path.display().to_string(),
        )?)?;
    }
    if let Some(text) = &args.api_keys {
        keys.extend(http::auth::ApiKeys::parse(text, "DOCSMITH_API_KEYS")?)?;
    }
    Ok(keys)
}

/// The async runtime of `serve` and `worker`, or None (said on stderr).
fn runtime() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Jobs are parsed and validated on these threads too.
        .thread_stack_size(crate::pool::WORKER_STACK_BYTES)
        .build()
        .map_err(|err| eprintln!("docsmith: cannot start the async runtime: {err}"))
        .ok()
}

fn init_logging(format: LogFormat, filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr);
    let result = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    if let Err(err) = result {
        eprintln!("docsmith: logging not set up: {err}");
    }
}

fn read_job_file(path: &Path) -> io::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        io::stdin().read_to_end(&mut bytes)?;
        Ok(bytes)
    } else {
        std::fs::read(path)
    }
}

/// Parses and validates a job file, printing problems to stderr.
fn load_job(path: &Path, templates: &TemplateArgs) -> Result<job::Job, ExitCode> {
    let bytes = read_job_file(path).map_err(|err| {
        eprintln!("docsmith: cannot read {}: {err}", path.display());
        ExitCode::FAILURE
    })?;
    let catalog = templates.load().map_err(|err| {
        eprintln!("docsmith: cannot read the templates directory: {err}");
        ExitCode::FAILURE
    })?;
    job::parse(&bytes)
        .and_then(|request| job::validate(request, &catalog))
        .map_err(|err| {
            eprintln!("docsmith: {}: {err}", path.display());
            ExitCode::from(EXIT_INVALID)
        })
}

/// The files named by `--file NAME=PATH`, read.
fn read_files(args: &[(String, PathBuf)]) -> Result<crate::doc::Files, ExitCode> {
    let mut files = crate::doc::Files::new();
    for (name, path) in args {
        let bytes = std::fs::read(path).map_err(|err| {
            eprintln!("docsmith: --file {name}={}: {err}", path.display());
            ExitCode::from(EXIT_INVALID)
        })?;
        files.insert(name.clone(), bytes.into());
    }
    Ok(files)
}

fn templates_command(args: TemplatesArgs) -> ExitCode {
    let catalog = match args.templates.load() {
        Ok(catalog) => catalog,
        Err(err) => {
            eprintln!("docsmith: cannot read the templates: {err}");
            return ExitCode::FAILURE;
        }
    };
    // Written whole; a reader that stops early (`| head`) is no error.
    let mut out = String::new();
    let Some(name) = args.name else {
        let width = catalog.names().map(str::len).max().unwrap_or(0);
        for info in catalog.infos() {
            out.push_str(&format!(
                "{:width$}  {:9}  {}\n",
                info.name,
                info.formats.join(","),
                info.description
            ));
        }
        let _ = std::io::stdout().write_all(out.as_bytes());
        return ExitCode::SUCCESS;
    };
    let Some(info) = catalog.infos().find(|i| i.name == name) else {
        let known: Vec<&str> = catalog.names().collect();
        eprintln!(
            "docsmith: no template {name:?}; there are: {}",
            known.join(", ")
        );
        return ExitCode::from(EXIT_INVALID);
    };
    #[derive(serde::Serialize)]
    struct SampleJob<'a> {
        format: &'a str,
        template: &'a str,
        data: &'a serde_json::Value,
    }
    let empty = serde_json::json!({});
    let job = SampleJob {
        format: info.formats.first().map_or("pdf", String::as_str),
        template: &info.name,
        data: info.sample_data.as_ref().unwrap_or(&empty),
    };
    match serde_json::to_string_pretty(&job) {
        Ok(text) => {
            out.push_str(&text);
            out.push('\n');
            let _ = std::io::stdout().write_all(out.as_bytes());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("docsmith: {err}");
            ExitCode::FAILURE
        }
    }
}

fn validate_command(args: ValidateArgs) -> ExitCode {
    let files = match read_files(&args.files) {
        Ok(files) => files,
        Err(code) => return code,
    };
    let mut job = match load_job(&args.job, &args.templates) {
        Ok(job) => job,
        Err(code) => return code,
    };
    if let Err(errors) = job.attach(files) {
        eprintln!("docsmith: {}", job::JobError::Invalid(errors));
        return ExitCode::from(EXIT_INVALID);
    }
    match job.check_document() {
        Ok(()) => {
            println!("valid {} job ({})", job.format, job.filename);
            ExitCode::SUCCESS
        }
        Err(errors) => {
            eprintln!("{}", job::JobError::Invalid(errors));
            ExitCode::from(EXIT_INVALID)
        }
    }
}

fn render_command(args: RenderArgs) -> ExitCode {
    let started = Instant::now();
    let files = match read_files(&args.files) {
        Ok(files) => files,
        Err(code) => return code,
    };
    let mut job = match load_job(&args.job, &args.templates) {
        Ok(job) => job,
        Err(code) => return code,
    };
    if let Err(errors) = job.attach(files) {
        eprintln!("docsmith: {}", crate::job::JobError::Invalid(errors));
        return ExitCode::from(EXIT_INVALID);
    }
    let mut ctx = RenderCtx::new(CancelToken::new(), args.timeout.map(|t| started + t));
    if crate::bundle::fans_out(&job) {
        let workers = args.workers.unwrap_or_else(http::default_workers).max(1);
        // The coordinator waits for room, so the queue only needs to keep
        // the workers fed.
        let pool = std::sync::Arc::new(crate::pool::Pool::new(workers, 2 * workers));
        ctx = ctx.with_fanout(pool, 1);
        if !args.quiet {
            let meter = ProgressMeter::new();
            ctx = ctx.with_progress(move |done, total| meter.show(done, total));
        }
    }
    let output = args.output.unwrap_or_else(|| PathBuf::from(&job.filename));
    let result = if output == Path::new("-") {
        let mut out = io::BufWriter::new(io::stdout());
        render::render(&job, &ctx, &mut out)
    } else {
        render_to_file(&job, &ctx, &output)
    };
    match result {
        Ok(()) => {
            if output != Path::new("-") && !args.quiet {
                eprintln!(
                    "docsmith: wrote {} ({} job, {:.0} ms)",
                    output.display(),
                    job.format,
                    started.elapsed().as_secs_f64() * 1e3
                );
            }
            ExitCode::SUCCESS
        }
        Err(RenderError::Invalid(errors)) => {
            // The same report as an invalid job: the template or document is wrong.
            eprintln!("{}", job::JobError::Invalid(errors));
            ExitCode::from(EXIT_INVALID)
        }
        Err(err) => {
            eprintln!("docsmith: rendering failed: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Progress of a zip job on stderr: a bar redrawn at most ten times a
/// second on a terminal, otherwise a line at every tenth of the entries.
struct ProgressMeter {
    tty: bool,
    started: Instant,
    last: std::sync::Mutex<(Instant, usize)>,
}

impl ProgressMeter {
    fn new() -> Self {
        use std::io::IsTerminal;
        let now = Instant::now();
        ProgressMeter {
            tty: io::stderr().is_terminal(),
            started: now,
            last: std::sync::Mutex::new((now, 0)),
        }
    }

    fn show(&self, done: usize, total: usize) {
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let now = Instant::now();
        let finished = done >= total;
        let elapsed = self.started.elapsed().as_secs_f64();
        if self.tty {
            if !finished && now.duration_since(last.0) < Duration::from_millis(100) {
                return;
            }
            let width = 30;
            let filled = (done * width).checked_div(total).unwrap_or(width);
            eprint!(
                "\r[{}{}] {done}/{total} entries, {elapsed:.1} s{}",
                "#".repeat(filled),
                " ".repeat(width - filled),
                if finished { "\n" } else { "" }
            );
        } else {
            let tenth = (done * 10).checked_div(total).unwrap_or(10);
            if tenth == last.1 || total < 100 {
                return;
            }
            last.1 = tenth;
            eprintln!("docsmith: {done}/{total} entries, {elapsed:.1} s");
        }
        last.0 = now;
    }
}

/// Writes beside the target and renames on success, so a failed render never
/// leaves a truncated document under the requested name. A target that is
/// not a regular file (`/dev/null`, a pipe) is written directly.
fn render_to_file(job: &job::Job, ctx: &RenderCtx, output: &Path) -> Result<(), RenderError> {
    if std::fs::metadata(output).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let mut out = io::BufWriter::new(std::fs::OpenOptions::new().write(true).open(output)?);
        render::render(job, ctx, &mut out)?;
        out.flush()?;
        return Ok(());
    }
    let mut partial = output.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let result = (|| {
        let mut file = io::BufWriter::new(std::fs::File::create(&partial)?);
        render::render(job, ctx, &mut file)?;
        file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&partial, output)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn parse_file_arg(arg: &str) -> Result<(String, PathBuf), String> {
    match arg.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => {
            Ok((name.to_owned(), PathBuf::from(path)))
        }
        _ => Err(format!("expected NAME=PATH, got {arg:?}")),
    }
}

/// Parses `32MiB`, `500KB`, `1048576` (bytes).
pub fn parse_size(arg: &str) -> Result<usize, String> {
    let arg = arg.trim();
    let split = arg.find(|c: char| !c.is_ascii_digit()).unwrap_or(arg.len());
    let (digits, unit) = arg.split_at(split);
    let n: usize = digits.parse().map_err(|_| format!("not a size: {arg:?}"))?;
    let factor: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1000,
        "kib" => 1024,
        "mb" | "m" => 1000 * 1000,
        "mib" => 1024 * 1024,
        "gb" | "g" => 1000 * 1000 * 1000,
        "gib" => 1024 * 1024 * 1024,
        other => {
            return Err(format!(
                "unknown size unit {other:?} (use B, KB, KiB, MB, MiB, GB, GiB)"
            ));
        }
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("size too large: {arg:?}"))
}

/// [`parse_size`] for limits past 4 GiB on any platform.
fn parse_size_u64(arg: &str) -> Result<u64, String> {
    parse_size(arg).map(|n| n as u64)
}

/// Parses `500ms`, `60s`, `2m`, `1h`, or plain seconds.
pub fn parse_duration(arg: &str) -> Result<Duration, String> {
    let arg = arg.trim();
    let split = arg.find(|c: char| !c.is_ascii_digit()).unwrap_or(arg.len());
    let (digits, unit) = arg.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("not a duration: {arg:?}"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        other => Err(format!("unknown duration unit {other:?} (use ms, s, m, h)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        for (input, expect) in [
            ("1048576", Ok(1_048_576)),
            ("32MiB", Ok(32 << 20)),
            ("500KB", Ok(500_000)),
            ("1 GiB", Ok(1 << 30)),
            ("12XB", Err(())),
            ("MiB", Err(())),
        ] {
            assert_eq!(parse_size(input).map_err(|_| ()), expect, "{input}");
        }
    }

    #[test]
    fn durations() {
        for (input, expect) in [
            ("60s", Ok(Duration::from_secs(60))),
            ("500ms", Ok(Duration::from_millis(500))),
            ("2m", Ok(Duration::from_secs(120))),
            ("7", Ok(Duration::from_secs(7))),
            ("5d", Err(())),
        ] {
            assert_eq!(parse_duration(input).map_err(|_| ()), expect, "{input}");
        }
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
