-- The brand service's tables. Portable SQL: the same file runs on SQLite and
-- PostgreSQL (TEXT, BIGINT, composite keys, UNIQUE; times are Unix seconds
-- from the service's clock, never the database's).

-- The replay guard (coupon_client::ReplayGuard): one row per delivery, keyed by
-- the signature's serial, timestamp and nonce, kept for 10 minutes of signed time.
CREATE TABLE webhook_deliveries (
    delivery_key    TEXT   NOT NULL PRIMARY KEY,
    notification_id TEXT   NOT NULL,
    signed_at       BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_expires_at ON webhook_deliveries (expires_at);

-- Business deduplication: one row per (event type, coupon). A redelivery (same
-- notification id, fresh signature) or a second instance finds the row and does
-- nothing twice. While `state` is 'processing' the row is claimed by one worker
-- until `claim_expires_at`; a claim that outlives a crashed worker is taken over.
CREATE TABLE coupon_events (
    event_type        TEXT   NOT NULL,
    coupon_code       TEXT   NOT NULL,
    notification_id   TEXT   NOT NULL,
    openid            TEXT   NOT NULL,
    appid             TEXT,
    product_coupon_id TEXT   NOT NULL,
    stock_id          TEXT   NOT NULL,
    -- 'processing' | 'done'
    state             TEXT   NOT NULL,
    -- what was done: 'confirmed', 'refused', 'recorded'
    outcome           TEXT,
    -- the confirm's out_request_no, derived from the coupon code
    action_request_no TEXT,
    coupon_state      TEXT,
    claimed_by        TEXT,
    claim_expires_at  BIGINT NOT NULL,
    attempts          BIGINT NOT NULL,
    last_error        TEXT,
    received_at       BIGINT NOT NULL,
    done_at           BIGINT,
    PRIMARY KEY (event_type, coupon_code)
);

-- Sends: the row and its send_request_no are stored before the call, so a crash
-- or a lost answer is retried with the same number (WeChat Pay replays it).
CREATE TABLE coupon_sends (
    send_request_no   TEXT   NOT NULL PRIMARY KEY,
    -- the caller's Idempotency-Key header, when given
    idempotency_key   TEXT   UNIQUE,
    openid            TEXT   NOT NULL,
    appid             TEXT   NOT NULL,
    product_coupon_id TEXT   NOT NULL,
    stock_id          TEXT   NOT NULL,
    -- 'pending' | 'sent' | 'failed'
    state             TEXT   NOT NULL,
    coupon_code       TEXT,
    coupon_state      TEXT,
    attempts          BIGINT NOT NULL,
    last_error        TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX coupon_sends_state ON coupon_sends (state, updated_at);
CREATE INDEX coupon_sends_coupon_code ON coupon_sends (coupon_code);

-- Uses: one row per (coupon, order), with its out_request_no and use time stored
-- before the call, so a retry sends the same request.
CREATE TABLE coupon_uses (
    use_request_no TEXT   NOT NULL PRIMARY KEY,
    coupon_code    TEXT   NOT NULL,
    out_trade_no   TEXT   NOT NULL,
    transaction_id TEXT,
    mchid          TEXT,
    use_time       TEXT   NOT NULL,
    -- 'pending' | 'used'
    state          TEXT   NOT NULL,
    coupon_state   TEXT,
    attempts       BIGINT NOT NULL,
    last_error     TEXT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (coupon_code, out_trade_no)
);
