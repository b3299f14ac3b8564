//! `brand-service`: the reference brand service. `--sandbox` runs it against
//! the embedded WeChat Pay sandbox; otherwise it calls WeChat Pay with the
//! brand identity of the `WXPAY_*` variables (or flags).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use brand_service::{BrandService, Error, NOTIFY_PATH, ServiceConfig, Store, sandbox};
use clap::Parser;
use coupon_client::wxpay_sign::{ApiV3Key, Clock as _, PrivateKey, PublicKey, SystemClock};
use coupon_client::{BrandClient, WebhookHandler};
use coupon_sandbox::Sandbox;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// A reference brand service for WeChat Pay product coupons: sends coupons,
/// confirms them on their SEND notification, uses them, and keeps every
/// decision in SQLite or PostgreSQL.
// No `Debug`: the arguments hold the APIv3 key.
#[derive(Parser)]
#[command(name = "brand-service", version)]
struct Args {
    /// `sqlite://FILE` (created when missing) or `postgres://USER@HOST:PORT/DB`.
    /// Default with --sandbox: a new SQLite file in the temporary directory.
    #[arg(long, env = "BRAND_SERVICE_DATABASE_URL", value_name = "URL")]
    database_url: Option<String>,

    /// The address to listen on (WeChat Pay reaches /wxpay/notify through your HTTPS front).
    #[arg(
        long,
        env = "BRAND_SERVICE_LISTEN",
        value_name = "ADDR",
        default_value = "127.0.0.1:8080"
    )]
    listen: SocketAddr,

    /// Start the embedded WeChat Pay sandbox in this process, with its notify URL
    /// pointed at this service and a product coupon and stock to send from.
    #[arg(long)]
    sandbox: bool,

    /// The AppID for sends and confirms that name none.
    #[arg(long, env = "BRAND_SERVICE_APPID", value_name = "APPID")]
    appid: Option<String>,

    /// This instance's name in the claims it takes (default: random).
    #[arg(long, env = "BRAND_SERVICE_INSTANCE_ID", value_name = "NAME")]
    instance_id: Option<String>,

    /// How long a claim on a notification holds before another instance may take it over.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    claim_lease_secs: u64,

    /// How often pending sends are retried (those left by a crash or a lost answer).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    recovery_interval_secs: u64,

    /// Brand id.
    #[arg(long, env = "WXPAY_BRAND_ID", value_name = "ID")]
    brand_id: Option<String>,

    /// Serial number of the brand's API certificate.
    #[arg(long, env = "WXPAY_BRAND_SERIAL_NO", value_name = "SERIAL")]
    brand_serial_no: Option<String>,

    /// The brand's API private key (PEM file).
    #[arg(long, env = "WXPAY_BRAND_PRIVATE_KEY", value_name = "PEM")]
    brand_private_key: Option<PathBuf>,

    /// WeChat Pay public key id (`PUB_KEY_ID_…`).
    #[arg(long, env = "WXPAY_PUBLIC_KEY_ID", value_name = "ID")]
    public_key_id: Option<String>,

    /// WeChat Pay public key (PEM file).
    #[arg(long, env = "WXPAY_PUBLIC_KEY", value_name = "PEM")]
    public_key: Option<PathBuf>,

    /// The APIv3 key (the brand API key) notifications are encrypted with.
    #[arg(
        long,
        env = "WXPAY_APIV3_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    apiv3_key: Option<String>,

    /// WeChat Pay's base URL (default https://api.mch.weixin.qq.com).
    #[arg(long, env = "WXPAY_BASE_URL", value_name = "URL")]
    base_url: Option<String>,

    /// The backup base URL (default: WeChat Pay's backup host, unless --base-url is set).
    #[arg(long, env = "WXPAY_BACKUP_BASE_URL", value_name = "URL")]
    backup_base_url: Option<String>,
}

fn required(value: Option<String>, name: &str) -> Result<String, Error> {
    value.ok_or_else(|| Error::Config(format!("set {name} (or run with --sandbox)")))
}

fn required_path(value: Option<PathBuf>, name: &str) -> Result<PathBuf, Error> {
    value.ok_or_else(|| Error::Config(format!("set {name} (or run with --sandbox)")))
}

/// The brand client and webhook handler from the `WXPAY_*` settings.
fn wechat_pay(args: &Args) -> Result<(BrandClient, WebhookHandler), Error> {
    let key_error = |what: &str| {
        let what = what.to_owned();
        move |e: coupon_client::wxpay_sign::Error| Error::Config(format!("{what}: {e}"))
    };
    let private_key = PrivateKey::from_pem_file(required_path(
        args.brand_private_key.clone(),
        "WXPAY_BRAND_PRIVATE_KEY",
    )?)
    .map_err(key_error("WXPAY_BRAND_PRIVATE_KEY"))?;
    let public_key =
        PublicKey::from_pem_file(required_path(args.public_key.clone(), "WXPAY_PUBLIC_KEY")?)
            .map_err(key_error("WXPAY_PUBLIC_KEY"))?;
    let apiv3_key = ApiV3Key::new(required(args.apiv3_key.clone(), "WXPAY_APIV3_KEY")?)
        .map_err(key_error("WXPAY_APIV3_KEY"))?;
    let mut builder = BrandClient::builder()
        .brand_id(required(args.brand_id.clone(), "WXPAY_BRAND_ID")?)
        .serial_no(required(
            args.brand_serial_no.clone(),
            "WXPAY_BRAND_SERIAL_NO",
        )?)
        .private_key(private_key)
        .wechatpay_public_key(
            required(args.public_key_id.clone(), "WXPAY_PUBLIC_KEY_ID")?,
            public_key,
        );
    if let Some(url) = &args.base_url {
        builder = builder
            .base_url(url.clone())
            .backup_base_url(args.backup_base_url.clone());
    }
    let client = builder.build()?;
    let handler = client.webhook_handler(apiv3_key);
    Ok((client, handler))
}

fn say(line: impl AsRef<str>) {
    // The banner is a courtesy: a closed stdout does not stop the service.
    let _ = writeln!(std::io::stdout().lock(), "{}", line.as_ref());
}

async fn shutdown_signal() {
    if tokio::signal::ctrl_c().await.is_err() {
        // No signal handler: run until killed.
        std::future::pending::<()>().await;
    }
    tracing::info!("shutting down");
}

async fn run(args: Args) -> Result<(), Error> {
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(Error::io(format!(
            "cannot listen on {} (choose another with --listen, e.g. 127.0.0.1:0)",
            args.listen
        )))?;
    let addr = listener
        .local_addr()
        .map_err(Error::io("reading the listen address"))?;
    let notify_url = format!("http://{addr}{NOTIFY_PATH}");

    let mut config =
        ServiceConfig::new()?.with_claim_lease(Duration::from_secs(args.claim_lease_secs.max(1)));
    if let Some(id) = &args.instance_id {
        config = config.with_instance_id(id.clone());
    }

    let mut embedded: Option<Sandbox> = None;
    let (client, handler, database_url) = if args.sandbox {
        let sandbox = Sandbox::builder().notify_url(&notify_url).start().await?;
        let creds = sandbox.credentials().clone();
        let client = sandbox::brand_client(&creds, &sandbox.base_url())?;
        let handler = sandbox::webhook_handler(&client, &creds);
        let now = SystemClock.now_unix();
        let (pc, stock) =
            sandbox::create_stock(&client, &format!("brand_service_{now}"), now).await?;
        let database_url = args.database_url.clone().unwrap_or_else(|| {
            let file = std::env::temp_dir()
                .join(format!("brand-service-sandbox-{}.db", std::process::id()));
            format!("sqlite://{}", file.display())
        });
        config = config.with_default_appid(sandbox::APPID);
        say(format!(
            "sandbox at {} (brand {}), notifying {notify_url}",
            sandbox.base_url(),
            creds.brand_id
        ));
        say(format!(
            "product coupon {pc}, stock {stock}, AppID {}",
            sandbox::APPID
        ));
        say(format!(
            "try: curl -s -X POST http://{addr}/coupons -H 'Content-Type: application/json' -H 'Idempotency-Key: first-0001' \\\n       -d '{{\"openid\":\"oBrandServiceUser-000000001\",\"product_coupon_id\":\"{pc}\",\"stock_id\":\"{stock}\"}}'"
        ));
        say(format!(
            "then: curl -s http://{addr}/coupons/CODE ; curl -s -X POST http://{addr}/coupons/CODE/use -H 'Content-Type: application/json' -d '{{\"out_trade_no\":\"order_0001\"}}'"
        ));
        embedded = Some(sandbox);
        (client, handler, database_url)
    } else {
        let (client, handler) = wechat_pay(&args)?;
        let database_url = args.database_url.clone().ok_or_else(|| {
            Error::Config("set --database-url / BRAND_SERVICE_DATABASE_URL".to_owned())
        })?;
        (client, handler, database_url)
    };
    if let Some(appid) = &args.appid {
        config = config.with_default_appid(appid.clone());
    }

    let store = Store::connect(&database_url).await?;
    tracing::info!(backend = ?store.backend(), instance = %config.instance_id, "database ready");
    if store.backend() == brand_service::Backend::Sqlite {
        say(format!("database {database_url}"));
    }
    let service = BrandService::new(store.clone(), client, handler, config);
    let recovery = service.spawn_recovery(
        Duration::from_secs(args.recovery_interval_secs.max(1)),
        Duration::from_secs(30),
    );
    say(format!("brand service on http://{addr} (GET /health)"));
    let served = service.serve(listener, shutdown_signal()).await;
    recovery.abort();
    store.close().await;
    if let Some(sandbox) = embedded {
        sandbox.shutdown().await;
    }
    served
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "brand-service stopped");
            let _ = writeln!(std::io::stderr().lock(), "error: {e}");
            ExitCode::FAILURE
        }
    }
}
