//! The database: one [`sqlx::AnyPool`] over SQLite or PostgreSQL, the embedded
//! migrations, and every query the service makes.
//!
//! Every statement is written once, in the SQL both databases share
//! (`$1` placeholders, `INSERT … ON CONFLICT DO NOTHING`, `UPDATE … WHERE` with
//! the expected state): each decision that two instances could race on is one
//! atomic statement whose affected-row count says who won, so no transaction
//! spans a call to WeChat Pay and no in-process lock is needed.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{AnyPool, Executor as _, Row as _};

use crate::error::Error;

/// The migrations, embedded at build time from `migrations/` (the files keep
/// sqlx's `<VERSION>_<DESCRIPTION>.sql` names, so `sqlx migrate run` can apply
/// them too). They are listed here rather than through `sqlx::migrate!`, which
/// would build sqlx's macro crate with both database drivers a second time;
/// a test checks that this list and the folder agree.
pub const MIGRATIONS: &[(i64, &str, &str)] =
    &[(1, "initial", include_str!("../migrations/0001_initial.sql"))];

/// How long a delivery is remembered by the replay guard, in seconds of signed
/// time: twice the verifier's ±300 s window.
pub const REPLAY_WINDOW_SECS: i64 = 600;

#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|&(version, description, sql)| {
                    Migration::new(
                        version,
                        Cow::Borrowed(description),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file (one machine; several processes may share it).
    Sqlite,
    /// A PostgreSQL server (several instances on several machines).
    Postgres,
}

impl Backend {
    /// The backend a database URL names: `sqlite:…`, or `postgres://…` /
    /// `postgresql://…`.
    pub fn of_url(url: &str) -> Result<Self, Error> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(Error::Config(
                "the database URL must start with sqlite:// or postgres:// (--database-url / BRAND_SERVICE_DATABASE_URL)"
                    .to_owned(),
            ))
        }
    }
}

/// `sqlite://path` → `sqlite://path?mode=rwc` (create the file when missing),
/// unless the URL already says how to open it.
fn sqlite_url(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// The connection pool and the queries.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// Where a send stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendState {
    /// Stored; not answered yet (or the answer was lost): sent again with the
    /// same `send_request_no` until it is.
    Pending,
    /// WeChat Pay answered with the coupon.
    Sent,
    /// WeChat Pay refused it for good (e.g. the stock's budget is spent).
    Failed,
}

impl SendState {
    fn as_str(self) -> &'static str {
        match self {
            SendState::Pending => "pending",
            SendState::Sent => "sent",
            SendState::Failed => "failed",
        }
    }

    fn parse(value: &str) -> Result<Self, Error> {
        match value {
            "pending" => Ok(SendState::Pending),
            "sent" => Ok(SendState::Sent),
            "failed" => Ok(SendState::Failed),
            other => Err(Error::Corrupt(format!("unknown send state {other:?}"))),
        }
    }
}

/// What a caller asked to send: which stock's coupon to which user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendSpec {
    /// The user.
    pub openid: String,
    /// The AppID the OpenID belongs to.
    pub appid: String,
    /// The product coupon.
    pub product_coupon_id: String,
    /// The stock to send from.
    pub stock_id: String,
}

/// A stored send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRow {
    /// The request number, chosen and stored before the first attempt.
    pub send_request_no: String,
    /// The caller's `Idempotency-Key`, when given.
    pub idempotency_key: Option<String>,
    /// What is sent.
    pub spec: SendSpec,
    /// Where it stands.
    pub state: SendState,
    /// The coupon, once sent.
    pub coupon_code: Option<String>,
    /// The coupon's state in the send's answer (`CONFIRMING`).
    pub coupon_state: Option<String>,
    /// Attempts made.
    pub attempts: i64,
    /// The last failure, in words.
    pub last_error: Option<String>,
    /// When it was stored (Unix seconds).
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
}

/// The coupon event a notification carried, as the deduplication table keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// `PRODUCT_COUPON.SEND`, …
    pub event_type: String,
    /// The coupon.
    pub coupon_code: String,
    /// The notification id (shared by redeliveries).
    pub notification_id: String,
    /// The user.
    pub openid: String,
    /// The AppID of the OpenID, when the notification names it.
    pub appid: Option<String>,
    /// The product coupon.
    pub product_coupon_id: String,
    /// The stock.
    pub stock_id: String,
    /// The out_request_no of the action the event calls for (the confirm).
    pub action_request_no: Option<String>,
}

/// A stored coupon event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// The event as received first.
    pub event: NewEvent,
    /// `processing` or `done`.
    pub state: String,
    /// What was done: `confirmed`, `refused`, `recorded`.
    pub outcome: Option<String>,
    /// The coupon's state after the action.
    pub coupon_state: Option<String>,
    /// The worker holding the claim, while processing.
    pub claimed_by: Option<String>,
    /// Until when the claim holds (Unix seconds).
    pub claim_expires_at: i64,
    /// Claims made (first one and takeovers).
    pub attempts: i64,
    /// The last failure, in words.
    pub last_error: Option<String>,
    /// When it was first received.
    pub received_at: i64,
    /// When it was done.
    pub done_at: Option<i64>,
}

/// The outcome of claiming an event for processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This worker holds it now: act, then [`Store::finish_event`].
    Claimed(EventRow),
    /// Already processed: nothing to do.
    Done(EventRow),
    /// Another worker holds a live claim: answer so that WeChat Pay redelivers.
    Busy(EventRow),
}

/// Where a coupon is: its user, AppID, product coupon and stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponRef {
    /// The user.
    pub openid: String,
    /// The AppID, when known.
    pub appid: Option<String>,
    /// The product coupon.
    pub product_coupon_id: String,
    /// The stock.
    pub stock_id: String,
}

/// The order a use is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseSpec {
    /// The merchant order number.
    pub out_trade_no: String,
    /// The WeChat Pay transaction id, when known.
    pub transaction_id: Option<String>,
    /// The merchant id of the order, when known.
    pub mchid: Option<String>,
}

/// A stored use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseRow {
    /// The use's out_request_no, chosen and stored before the first attempt.
    pub use_request_no: String,
    /// The coupon.
    pub coupon_code: String,
    /// The order.
    pub order: UseSpec,
    /// The use time sent (RFC 3339), fixed with the number so retries send the same body.
    pub use_time: String,
    /// `pending` or `used`.
    pub state: String,
    /// The coupon's state in the answer (`USED`).
    pub coupon_state: Option<String>,
    /// Attempts made.
    pub attempts: i64,
    /// The last failure, in words.
    pub last_error: Option<String>,
    /// When it was stored.
    pub created_at: i64,
}

const SEND_COLUMNS: &str = "send_request_no, idempotency_key, openid, appid, product_coupon_id, \
     stock_id, state, coupon_code, coupon_state, attempts, last_error, created_at, updated_at";
const EVENT_COLUMNS: &str = "event_type, coupon_code, notification_id, openid, appid, \
     product_coupon_id, stock_id, state, outcome, action_request_no, coupon_state, claimed_by, \
     claim_expires_at, attempts, last_error, received_at, done_at";
const USE_COLUMNS: &str = "use_request_no, coupon_code, out_trade_no, transaction_id, mchid, \
     use_time, state, coupon_state, attempts, last_error, created_at";

fn send_row(row: &AnyRow) -> Result<SendRow, Error> {
    Ok(SendRow {
        send_request_no: row.try_get("send_request_no")?,
        idempotency_key: row.try_get("idempotency_key")?,
        spec: SendSpec {
            openid: row.try_get("openid")?,
            appid: row.try_get("appid")?,
            product_coupon_id: row.try_get("product_coupon_id")?,
            stock_id: row.try_get("stock_id")?,
        },
        state: SendState::parse(&row.try_get::<String, _>("state")?)?,
        coupon_code: row.try_get("coupon_code")?,
        coupon_state: row.try_get("coupon_state")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn event_row(row: &AnyRow) -> Result<EventRow, Error> {
    Ok(EventRow {
        event: NewEvent {
            event_type: row.try_get("event_type")?,
            coupon_code: row.try_get("coupon_code")?,
            notification_id: row.try_get("notification_id")?,
            openid: row.try_get("openid")?,
            appid: row.try_get("appid")?,
            product_coupon_id: row.try_get("product_coupon_id")?,
            stock_id: row.try_get("stock_id")?,
            action_request_no: row.try_get("action_request_no")?,
        },
        state: row.try_get("state")?,
        outcome: row.try_get("outcome")?,
        coupon_state: row.try_get("coupon_state")?,
        claimed_by: row.try_get("claimed_by")?,
        claim_expires_at: row.try_get("claim_expires_at")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        received_at: row.try_get("received_at")?,
        done_at: row.try_get("done_at")?,
    })
}

fn use_row(row: &AnyRow) -> Result<UseRow, Error> {
    Ok(UseRow {
        use_request_no: row.try_get("use_request_no")?,
        coupon_code: row.try_get("coupon_code")?,
        order: UseSpec {
            out_trade_no: row.try_get("out_trade_no")?,
            transaction_id: row.try_get("transaction_id")?,
            mchid: row.try_get("mchid")?,
        },
        use_time: row.try_get("use_time")?,
        state: row.try_get("state")?,
        coupon_state: row.try_get("coupon_state")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Keeps stored error texts short.
fn bounded(text: &str) -> String {
    const MAX: usize = 500;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

impl Store {
    /// Connects to `url` (`sqlite://FILE` — created when missing — or
    /// `postgres://USER@HOST:PORT/DB`) and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let (url, max_connections) = match backend {
            Backend::Sqlite => (sqlite_url(url), 4),
            Backend::Postgres => (url.to_owned(), 8),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    if conn.backend_name() == "SQLite" {
                        // Readers never wait for the writer; a writer waits
                        // for another (another process on the same file) up
                        // to 10 s instead of failing at once.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        let store = Store { pool, backend };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the embedded migrations not applied yet (PostgreSQL: under an
    /// advisory lock, so instances starting together apply them once).
    pub async fn migrate(&self) -> Result<(), Error> {
        let migrator = Migrator::new(Embedded).await?;
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers (`SELECT 1`).
    pub async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool (waits for connections in use to come back).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ---- replay guard ----

    /// Records a delivery (`key` = serial:timestamp:nonce): `true` the first
    /// time, `false` when it was recorded before. Deliveries older than the
    /// replay window are forgotten on the way.
    pub async fn record_delivery(
        &self,
        key: &str,
        notification_id: &str,
        signed_at: i64,
    ) -> Result<bool, Error> {
        sqlx::query("DELETE FROM webhook_deliveries WHERE expires_at < $1")
            .bind(signed_at)
            .execute(&self.pool)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO webhook_deliveries (delivery_key, notification_id, signed_at, expires_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(key)
        .bind(notification_id)
        .bind(signed_at)
        .bind(signed_at.saturating_add(REPLAY_WINDOW_SECS))
        .execute(&self.pool)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    // ---- coupon events ----

    /// Claims `event` for processing by `owner` until `now + lease`: the
    /// first receipt inserts the row; a later one takes over a claim that was
    /// released or has expired; otherwise the row says it is done, or busy.
    pub async fn claim_event(
        &self,
        event: &NewEvent,
        owner: &str,
        now: i64,
        lease: Duration,
    ) -> Result<Claim, Error> {
        let until = now.saturating_add(i64::try_from(lease.as_secs()).unwrap_or(i64::MAX));
        let inserted = sqlx::query(
            "INSERT INTO coupon_events (event_type, coupon_code, notification_id, openid, appid, \
             product_coupon_id, stock_id, state, action_request_no, claimed_by, claim_expires_at, \
             attempts, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'processing', $8, $9, $10, 1, $11) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&event.event_type)
        .bind(&event.coupon_code)
        .bind(&event.notification_id)
        .bind(&event.openid)
        .bind(event.appid.as_deref())
        .bind(&event.product_coupon_id)
        .bind(&event.stock_id)
        .bind(event.action_request_no.as_deref())
        .bind(owner)
        .bind(until)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let claimed = inserted.rows_affected() == 1 || {
            let taken = sqlx::query(
                "UPDATE coupon_events SET claimed_by = $1, claim_expires_at = $2, \
                 attempts = attempts + 1 \
                 WHERE event_type = $3 AND coupon_code = $4 AND state = 'processing' \
                 AND claim_expires_at <= $5",
            )
            .bind(owner)
            .bind(until)
            .bind(&event.event_type)
            .bind(&event.coupon_code)
            .bind(now)
            .execute(&self.pool)
            .await?;
            taken.rows_affected() == 1
        };
        let row = self
            .event(&event.event_type, &event.coupon_code)
            .await?
            .ok_or_else(|| Error::Corrupt("a claimed coupon event vanished".to_owned()))?;
        Ok(if claimed {
            Claim::Claimed(row)
        } else if row.state == "done" {
            Claim::Done(row)
        } else {
            Claim::Busy(row)
        })
    }

    /// Marks the claimed event `(event_type, coupon_code)` done with `outcome`. `false` when `owner` no
    /// longer held the claim (it expired and another worker took it over).
    pub async fn finish_event(
        &self,
        (event_type, coupon_code): (&str, &str),
        owner: &str,
        now: i64,
        outcome: &str,
        coupon_state: Option<&str>,
        error: Option<&str>,
    ) -> Result<bool, Error> {
        let done = sqlx::query(
            "UPDATE coupon_events SET state = 'done', outcome = $1, coupon_state = $2, \
             last_error = $3, done_at = $4, claimed_by = NULL, claim_expires_at = 0 \
             WHERE event_type = $5 AND coupon_code = $6 AND state = 'processing' AND claimed_by = $7",
        )
        .bind(outcome)
        .bind(coupon_state)
        .bind(error.map(bounded))
        .bind(now)
        .bind(event_type)
        .bind(coupon_code)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives a claim back after a failure that a redelivery may cure: the next
    /// delivery, to any instance, claims it at once.
    pub async fn release_event(
        &self,
        event_type: &str,
        coupon_code: &str,
        owner: &str,
        error: &str,
    ) -> Result<(), Error> {
        sqlx::query(
            "UPDATE coupon_events SET claimed_by = NULL, claim_expires_at = 0, last_error = $1 \
             WHERE event_type = $2 AND coupon_code = $3 AND state = 'processing' AND claimed_by = $4",
        )
        .bind(bounded(error))
        .bind(event_type)
        .bind(coupon_code)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records an event that needs no action (a use or return WeChat Pay
    /// reports): `true` the first time.
    pub async fn record_event(&self, event: &NewEvent, now: i64) -> Result<bool, Error> {
        let inserted = sqlx::query(
            "INSERT INTO coupon_events (event_type, coupon_code, notification_id, openid, appid, \
             product_coupon_id, stock_id, state, outcome, claim_expires_at, attempts, received_at, \
             done_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'done', 'recorded', 0, 1, $8, $8) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&event.event_type)
        .bind(&event.coupon_code)
        .bind(&event.notification_id)
        .bind(&event.openid)
        .bind(event.appid.as_deref())
        .bind(&event.product_coupon_id)
        .bind(&event.stock_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    /// The stored event `(event_type, coupon_code)`.
    pub async fn event(
        &self,
        event_type: &str,
        coupon_code: &str,
    ) -> Result<Option<EventRow>, Error> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM coupon_events WHERE event_type = $1 AND coupon_code = $2"
        );
        sqlx::query(&sql)
            .bind(event_type)
            .bind(coupon_code)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(event_row)
            .transpose()
    }

    /// Every stored event of `coupon_code`.
    pub async fn events_of(&self, coupon_code: &str) -> Result<Vec<EventRow>, Error> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM coupon_events WHERE coupon_code = $1 ORDER BY received_at, event_type"
        );
        sqlx::query(&sql)
            .bind(coupon_code)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(event_row)
            .collect()
    }

    // ---- sends ----

    /// Stores a new pending send under `send_request_no` (and the caller's
    /// `idempotency_key`). When another send already holds the key, nothing
    /// is stored and that send is returned: `(row, false)`.
    pub async fn insert_send(
        &self,
        send_request_no: &str,
        idempotency_key: Option<&str>,
        spec: &SendSpec,
        now: i64,
    ) -> Result<(SendRow, bool), Error> {
        let inserted = sqlx::query(
            "INSERT INTO coupon_sends (send_request_no, idempotency_key, openid, appid, \
             product_coupon_id, stock_id, state, attempts, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7) ON CONFLICT DO NOTHING",
        )
        .bind(send_request_no)
        .bind(idempotency_key)
        .bind(&spec.openid)
        .bind(&spec.appid)
        .bind(&spec.product_coupon_id)
        .bind(&spec.stock_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let created = inserted.rows_affected() == 1;
        let row = match (created, idempotency_key) {
            (false, Some(key)) => self.send_by_key(key).await?,
            _ => self.send(send_request_no).await?,
        };
        row.map(|row| (row, created))
            .ok_or_else(|| Error::Corrupt("a stored send vanished".to_owned()))
    }

    /// The send stored under the caller's `Idempotency-Key`.
    pub async fn send_by_key(&self, key: &str) -> Result<Option<SendRow>, Error> {
        let sql = format!("SELECT {SEND_COLUMNS} FROM coupon_sends WHERE idempotency_key = $1");
        sqlx::query(&sql)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(send_row)
            .transpose()
    }

    /// The send stored under `send_request_no`.
    pub async fn send(&self, send_request_no: &str) -> Result<Option<SendRow>, Error> {
        let sql = format!("SELECT {SEND_COLUMNS} FROM coupon_sends WHERE send_request_no = $1");
        sqlx::query(&sql)
            .bind(send_request_no)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(send_row)
            .transpose()
    }

    /// The sends of `openid`, oldest first.
    pub async fn sends_to(&self, openid: &str) -> Result<Vec<SendRow>, Error> {
        let sql = format!(
            "SELECT {SEND_COLUMNS} FROM coupon_sends WHERE openid = $1 ORDER BY created_at, send_request_no"
        );
        sqlx::query(&sql)
            .bind(openid)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(send_row)
            .collect()
    }

    /// Pending sends last changed at or before `changed_before`, oldest first
    /// (at most `limit`).
    pub async fn pending_sends(
        &self,
        changed_before: i64,
        limit: i64,
    ) -> Result<Vec<SendRow>, Error> {
        let sql = format!(
            "SELECT {SEND_COLUMNS} FROM coupon_sends WHERE state = 'pending' AND updated_at <= $1 \
             ORDER BY updated_at, send_request_no LIMIT $2"
        );
        sqlx::query(&sql)
            .bind(changed_before)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(send_row)
            .collect()
    }

    /// Counts an attempt of a pending send (before the call).
    pub async fn note_send_attempt(&self, send_request_no: &str, now: i64) -> Result<(), Error> {
        sqlx::query(
            "UPDATE coupon_sends SET attempts = attempts + 1, updated_at = $1 \
             WHERE send_request_no = $2 AND state = 'pending'",
        )
        .bind(now)
        .bind(send_request_no)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Settles a send: `Sent` with its coupon, `Failed` with the refusal, or
    /// still `Pending` with the error that a retry may cure.
    pub async fn settle_send(
        &self,
        send_request_no: &str,
        state: SendState,
        coupon_code: Option<&str>,
        coupon_state: Option<&str>,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), Error> {
        sqlx::query(
            "UPDATE coupon_sends SET state = $1, \
             coupon_code = COALESCE($2, coupon_code), coupon_state = COALESCE($3, coupon_state), \
             last_error = $4, updated_at = $5 \
             WHERE send_request_no = $6 AND state = 'pending'",
        )
        .bind(state.as_str())
        .bind(coupon_code)
        .bind(coupon_state)
        .bind(error.map(bounded))
        .bind(now)
        .bind(send_request_no)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    // ---- coupons and uses ----

    /// Where coupon `coupon_code` is, from its send or its SEND notification.
    pub async fn coupon(&self, coupon_code: &str) -> Result<Option<CouponRef>, Error> {
        let sent = sqlx::query(
            "SELECT openid, appid, product_coupon_id, stock_id FROM coupon_sends \
             WHERE coupon_code = $1 AND state = 'sent' LIMIT 1",
        )
        .bind(coupon_code)
        .fetch_optional(&self.pool)
        .await?;
        let row = match sent {
            Some(row) => Some(row),
            None => {
                sqlx::query(
                    "SELECT openid, appid, product_coupon_id, stock_id FROM coupon_events \
                     WHERE coupon_code = $1 ORDER BY received_at LIMIT 1",
                )
                .bind(coupon_code)
                .fetch_optional(&self.pool)
                .await?
            }
        };
        row.map(|row| {
            Ok(CouponRef {
                openid: row.try_get("openid")?,
                appid: row.try_get("appid")?,
                product_coupon_id: row.try_get("product_coupon_id")?,
                stock_id: row.try_get("stock_id")?,
            })
        })
        .transpose()
    }

    /// The send that produced `coupon_code`.
    pub async fn send_of_coupon(&self, coupon_code: &str) -> Result<Option<SendRow>, Error> {
        let sql = format!(
            "SELECT {SEND_COLUMNS} FROM coupon_sends WHERE coupon_code = $1 ORDER BY created_at LIMIT 1"
        );
        sqlx::query(&sql)
            .bind(coupon_code)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(send_row)
            .transpose()
    }

    /// Stores a pending use of `coupon_code` for `order` under
    /// `use_request_no` and `use_time`; when the coupon already has a use for
    /// that order, nothing is stored and that use is returned: `(row, false)`.
    pub async fn insert_use(
        &self,
        use_request_no: &str,
        coupon_code: &str,
        order: &UseSpec,
        use_time: &str,
        now: i64,
    ) -> Result<(UseRow, bool), Error> {
        let inserted = sqlx::query(
            "INSERT INTO coupon_uses (use_request_no, coupon_code, out_trade_no, transaction_id, \
             mchid, use_time, state, attempts, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7) ON CONFLICT DO NOTHING",
        )
        .bind(use_request_no)
        .bind(coupon_code)
        .bind(&order.out_trade_no)
        .bind(order.transaction_id.as_deref())
        .bind(order.mchid.as_deref())
        .bind(use_time)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let row = self
            .use_for(coupon_code, &order.out_trade_no)
            .await?
            .ok_or_else(|| Error::Corrupt("a stored use vanished".to_owned()))?;
        Ok((row, inserted.rows_affected() == 1))
    }

    /// The use of `coupon_code` for order `out_trade_no`.
    pub async fn use_for(
        &self,
        coupon_code: &str,
        out_trade_no: &str,
    ) -> Result<Option<UseRow>, Error> {
        let sql = format!(
            "SELECT {USE_COLUMNS} FROM coupon_uses WHERE coupon_code = $1 AND out_trade_no = $2"
        );
        sqlx::query(&sql)
            .bind(coupon_code)
            .bind(out_trade_no)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(use_row)
            .transpose()
    }

    /// Settles an attempt of a use: `used` with the coupon's state, or still
    /// pending with `error`.
    pub async fn settle_use(
        &self,
        use_request_no: &str,
        used: bool,
        coupon_state: Option<&str>,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), Error> {
        sqlx::query(
            "UPDATE coupon_uses SET state = $1, coupon_state = COALESCE($2, coupon_state), \
             last_error = $3, attempts = attempts + 1, updated_at = $4 \
             WHERE use_request_no = $5 AND state = 'pending'",
        )
        .bind(if used { "used" } else { "pending" })
        .bind(coupon_state)
        .bind(error.map(bounded))
        .bind(now)
        .bind(use_request_no)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The uses of `coupon_code`, oldest first.
    pub async fn uses_of(&self, coupon_code: &str) -> Result<Vec<UseRow>, Error> {
        let sql = format!(
            "SELECT {USE_COLUMNS} FROM coupon_uses WHERE coupon_code = $1 ORDER BY created_at, use_request_no"
        );
        sqlx::query(&sql)
            .bind(coupon_code)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(use_row)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_migrations_match_the_folder() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|(v, d, _)| format!("{v:04}_{d}.sql"))
            .collect();
        assert_eq!(
            files, listed,
            "list every file of migrations/ in MIGRATIONS"
        );
        for (name, (_, _, sql)) in files.iter().zip(MIGRATIONS) {
            assert_eq!(std::fs::read_to_string(dir.join(name)).unwrap(), *sql);
        }
    }

    #[test]
    fn sqlite_urls_create_the_file() {
        assert_eq!(sqlite_url("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(
            sqlite_url("sqlite://a.db?cache=shared"),
            "sqlite://a.db?cache=shared&mode=rwc"
        );
        assert_eq!(sqlite_url("sqlite://a.db?mode=ro"), "sqlite://a.db?mode=ro");
        assert!(Backend::of_url("mysql://x").is_err());
        assert_eq!(
            Backend::of_url("postgresql://h/db").unwrap(),
            Backend::Postgres
        );
    }

    #[test]
    fn error_texts_are_bounded() {
        assert_eq!(bounded("short"), "short");
        assert_eq!(bounded(&"é".repeat(600)).chars().count(), 501);
    }
}
