//! The application state every handler and extractor is given. Low in the
//! house: stores, rules and extractors may use it, it uses none of them.

use crate::auth::limit::LoginLimiter;
use crate::db::Db;
use crate::pii::Keyring;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub keys: Arc<Keyring>,
    pub limiter: Arc<LoginLimiter>,
    /// Signed-in callers served from memory (exactly invalidated).
    pub sessions: Arc<crate::auth::session::Sessions>,
    /// Roster imports running in this process, for live progress.
    pub imports: Arc<crate::roster::running::Running>,
    /// Where uploads go; `None` refuses uploads (a state built without one).
    pub files: Option<Arc<crate::files::FileStore>>,
    /// How uploaded workbooks are parsed: in a child process of this binary.
    pub parser: Arc<crate::roster::isolate::Parser>,
    /// Served behind an HTTPS proxy (`--behind-https`): cookies are `Secure`,
    /// HSTS is sent, and the client's address is the proxy's `X-Forwarded-For`.
    pub behind_https: bool,
}

impl AppState {
    pub fn new(db: Db, keys: Keyring) -> AppState {
        AppState {
            db,
            keys: Arc::new(keys),
            limiter: Arc::new(LoginLimiter::default()),
            sessions: Arc::default(),
            imports: Arc::new(crate::roster::running::Running::default()),
            files: None,
            parser: Arc::new(crate::roster::isolate::Parser::current_exe()),
            behind_https: false,
        }
    }

    /// The state as served behind an HTTPS proxy.
    pub fn behind_https(mut self, on: bool) -> AppState {
        self.behind_https = on;
        self
    }

    /// The state with another gongjiang binary as the sheet parser (tests and
    /// benchmarks, whose own executable is not gongjiang).
    pub fn with_parser(mut self, parser: crate::roster::isolate::Parser) -> AppState {
        self.parser = Arc::new(parser);
        self
    }

    /// The state with its file store (the server sets it from `config::files_dir`).
    pub fn with_files(mut self, dir: impl Into<std::path::PathBuf>) -> AppState {
        self.files = Some(Arc::new(crate::files::FileStore::new(dir)));
        self
    }

    pub fn files(&self) -> crate::web::error::AppResult<&crate::files::FileStore> {
        self.files.as_deref().ok_or_else(|| {
            crate::web::error::AppError::Internal(anyhow::anyhow!("no file store configured"))
        })
    }
}
