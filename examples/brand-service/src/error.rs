//! The crate's error type.

/// What can go wrong in the service outside a single HTTP answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is unusable (the message says which setting).
    #[error("configuration: {0}")]
    Config(String),
    /// The database refused or could not be reached.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The embedded migrations could not be applied.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A row held a value the service never writes (another program changed it).
    #[error("database row: {0}")]
    Corrupt(String),
    /// The WeChat Pay client failed (configuration, keys).
    #[error("WeChat Pay client: {0}")]
    Client(#[from] coupon_client::Error),
    /// The embedded sandbox failed to start or to answer.
    #[error("sandbox: {0}")]
    Sandbox(#[from] coupon_sandbox::Error),
    /// Binding or serving the HTTP listener failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// A mapper of an I/O error to [`Error::Io`], saying what was being done.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.into();
        move |source| Error::Io { what, source }
    }
}
