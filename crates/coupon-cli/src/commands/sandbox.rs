//! `sandbox`: placeholder until coupon-sandbox lands.

use clap::Args;

use crate::error::CliError;

#[derive(Debug, Args)]
pub(crate) struct SandboxArgs {}

pub(crate) async fn run(_args: SandboxArgs) -> Result<(), CliError> {
    Err(CliError::Config("not yet".into()))
}
