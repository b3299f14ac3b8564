//! `demo`: placeholder.

use crate::error::CliError;

pub(crate) async fn run() -> Result<(), CliError> {
    Err(CliError::Demo("not yet".into()))
}
