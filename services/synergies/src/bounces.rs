//! `synergies bounces ingest --tenant <slug>`: feeds one delivery status notification (RFC
//! 3464), read whole from standard input, as `POST /api/v1/tenants/{tenant}/bounces` does — for
//! a bounce mailbox's pipe (Postfix: `bounces unix - n n - - pipe user=synergies
//! argv=/usr/local/bin/synergies bounces ingest --tenant dijon-metropole`). It writes to the
//! notifications database directly (PostgreSQL, or `--embedded` the all-in-one mode's file), so
//! it needs neither the gateway nor an operator token: who may run it is who may read the
//! configuration. A text that is no report fails (exit status 1) and says why.

use std::io::Read;

use synergies_platform::db::StorageTarget;

/// Reads the report from `input` and feeds it; prints what it did to each recipient.
pub async fn ingest(
    target: &StorageTarget,
    tenant: &str,
    input: &mut dyn Read,
) -> anyhow::Result<()> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    // Reports are ASCII in practice; a stray 8-bit byte must not refuse the whole report
    // (as the API does).
    let raw = String::from_utf8_lossy(&bytes);
    let database = synergies_notifications::database(target).await?;
    let store = synergies_notifications::bounces::bounce_store(&database);
    let outcome = synergies_notifications::bounces::ingest_report(
        store.as_ref(),
        tenant,
        &raw,
        synergies_platform::time::now(),
    )
    .await
    .map_err(|error| anyhow::anyhow!("{error}"))?;
    if outcome.duplicate {
        println!("report already fed: nothing counted again");
    }
    for reported in outcome.recipients {
        let status = &reported.status;
        let state = match (&reported.failures, reported.counted) {
            (Some(failures), _) if failures.undeliverable_since.is_some() => format!(
                "counted ({} hard failures): undeliverable",
                failures.hard_failures
            ),
            (Some(failures), _) => format!("counted ({} hard failures)", failures.hard_failures),
            (None, true) => "counted".to_owned(),
            (None, false) => "not counted".to_owned(),
        };
        println!(
            "{} {} {}: {state}",
            status.address, status.action, status.status
        );
    }
    Ok(())
}
