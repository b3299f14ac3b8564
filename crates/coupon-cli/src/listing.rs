//! List output for humans and scripts: one page or every page, as JSON (the
//! default, streamed) or as an aligned table, with a progress line on a
//! terminal.

use std::io::{self, IsTerminal};

use clap::ValueEnum;
use comfy_table::{Table, presets};
use coupon_client::PageStream;
use coupon_model::stock::Stock;
use coupon_model::store::StoreInfo;
use coupon_model::user_coupon::UserCoupon;
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::error::CliError;
use crate::output::{JsonArrayWriter, note, print_json, print_text};

/// How a list is printed (`--output`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// JSON on stdout: the page as the API answered it, or with --all one
    /// array of every item, streamed.
    #[default]
    Json,
    /// Aligned columns of the key fields (with --all, every row is kept in
    /// memory until the last page).
    Table,
}

/// The key fields of a list item, for `--output table`.
pub trait TableRow {
    /// The column titles.
    const HEADERS: &'static [&'static str];
    /// The cells of one row, in column order (`-` for an absent field).
    fn cells(&self) -> Vec<String>;
}

fn or_dash<T: AsRef<str>>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.as_ref().to_owned())
}

impl TableRow for Stock {
    const HEADERS: &'static [&'static str] = &[
        "stock_id",
        "state",
        "code mode",
        "sent (total/today)",
        "max count",
        "remark",
    ];

    fn cells(&self) -> Vec<String> {
        let sent = self.sent_count_info.map_or_else(
            || "-".to_owned(),
            |s| {
                format!(
                    "{}/{}",
                    or_dash(s.total_count.map(|n| n.to_string())),
                    or_dash(s.today_count.map(|n| n.to_string()))
                )
            },
        );
        vec![
            self.stock_id.to_string(),
            or_dash(self.state.as_ref().map(|s| s.as_str())),
            or_dash(self.coupon_code_mode.as_ref().map(|m| m.as_str())),
            sent,
            or_dash(self.stock_send_rule.map(|r| r.max_count.to_string())),
            or_dash(self.remark.as_deref()),
        ]
    }
}

impl TableRow for UserCoupon {
    const HEADERS: &'static [&'static str] = &[
        "coupon_code",
        "state",
        "product_coupon_id",
        "stock_id",
        "valid until",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.coupon_code.to_string(),
            or_dash(self.coupon_state.as_ref().map(|s| s.as_str())),
            or_dash(
                self.product_coupon
                    .as_ref()
                    .map(|p| p.product_coupon_id.as_str()),
            ),
            or_dash(self.stock.as_ref().map(|s| s.stock_id.as_str())),
            or_dash(self.valid_end_time.as_ref().map(|t| t.as_str())),
        ]
    }
}

impl TableRow for StoreInfo {
    const HEADERS: &'static [&'static str] = &["store_id"];

    fn cells(&self) -> Vec<String> {
        vec![self.store_id.to_string()]
    }
}

/// The table of `rows`, aligned by display width (CJK-aware), untrusted
/// text escaped.
fn table<T: TableRow>(rows: &[T]) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(T::HEADERS.iter().copied());
    for row in rows {
        table.add_row(
            row.cells()
                .iter()
                .map(|c| coupon_model::text::excerpt(c, 80).into_owned()),
        );
    }
    table
        .to_string()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Prints one page: its answer as JSON, or its items as a table (the next
/// page's token then goes to stderr).
pub fn print_page<R: Serialize, T: TableRow>(
    format: OutputFormat,
    answer: &R,
    items: &[T],
    next_page_token: Option<&str>,
) -> Result<(), CliError> {
    match format {
        OutputFormat::Json => print_json(answer),
        OutputFormat::Table => {
            print_text(&table(items))?;
            if let Some(token) = next_page_token {
                note(format!(
                    "more: add --page-token {} (or --all for every page)",
                    coupon_model::text::excerpt(token, 200)
                ));
            }
            Ok(())
        }
    }
}

/// A progress line on stderr — items and pages so far — shown only when
/// stderr is a terminal.
struct Progress {
    bar: ProgressBar,
    noun: &'static str,
}

impl Progress {
    fn new(noun: &'static str) -> Self {
        let target = if io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        let style = ProgressStyle::with_template("{spinner} {pos} {prefix}, {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_prefix(noun);
        bar.set_message("0 pages");
        Self { bar, noun }
    }

    fn page(&self, items: u64, pages: u64) {
        self.bar.set_position(items);
        self.bar
            .set_message(format!("{pages} page{}", if pages == 1 { "" } else { "s" }));
        self.bar.tick();
    }

    fn finish(&self, items: u64, pages: u64) {
        self.bar.finish_with_message(format!(
            "{pages} page{} — {items} {} in all",
            if pages == 1 { "" } else { "s" },
            self.noun
        ));
    }
}

/// Prints every item of `pages`: one JSON array streamed as the pages
/// arrive, or a table after the last page; a progress line on a terminal.
/// After an error the JSON array is closed (stdout stays valid JSON holding
/// the items fetched so far; a table shows them too) and the error returned.
pub async fn print_all<T: Serialize + TableRow>(
    mut pages: PageStream<T>,
    noun: &'static str,
    format: OutputFormat,
) -> Result<(), CliError> {
    let progress = Progress::new(noun);
    let mut writer = match format {
        OutputFormat::Json => Some(JsonArrayWriter::start()?),
        OutputFormat::Table => None,
    };
    let mut rows: Vec<T> = Vec::new();
    let (mut items, mut count) = (0u64, 0u64);
    let mut failure = None;
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => {
                count += 1;
                items += page.items.len() as u64;
                match writer.as_mut() {
                    Some(writer) => {
                        for item in &page.items {
                            writer.push(item)?;
                        }
                    }
                    None => rows.extend(page.items),
                }
                progress.page(items, count);
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    match writer {
        Some(writer) => {
            writer.finish()?;
        }
        None => print_text(&table(&rows))?,
    }
    progress.finish(items, count);
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}
