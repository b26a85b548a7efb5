//! Exponential backoff for start-up connections and idempotent calls.

use std::future::Future;
use std::time::Duration;

/// Delay before attempt `attempt` (1-based): a random time between half of and the whole
/// ceiling (100 ms doubling, capped at `max`), so that replicas which lost the same server at
/// the same moment do not all come back to it in lockstep.
pub fn backoff(attempt: u32, max: Duration) -> Duration {
    let ceiling = ceiling(attempt, max);
    ceiling / 2 + ceiling.mul_f64(rand::random::<f64>() / 2.0)
}

fn ceiling(attempt: u32, max: Duration) -> Duration {
    let millis = 100u64.saturating_mul(1u64 << attempt.saturating_sub(1).min(16));
    Duration::from_millis(millis).min(max)
}

/// Retries `operation` until it succeeds, logging each failure with what is being reached.
/// Used at start-up, where a missing database or bus must not crash the process.
pub async fn until_ok<T, E, F, Fut>(what: &str, mut operation: F) -> T
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match operation().await {
            Ok(value) => {
                if attempt > 1 {
                    tracing::info!(attempt, "{what} reachable again");
                }
                return value;
            }
            Err(error) => {
                let delay = backoff(attempt, Duration::from_secs(10));
                tracing::warn!(attempt, retry_in_ms = delay.as_millis() as u64, %error, "{what} unreachable, retrying");
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// Retries a gRPC call that is safe to repeat while the server answers `Unavailable`.
pub async fn idempotent_call<T, F, Fut>(mut call: F) -> Result<T, tonic::Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, tonic::Status>>,
{
    const ATTEMPTS: u32 = 3;
    let mut attempt = 0;
    loop {
        attempt += 1;
        match call().await {
            Err(status) if status.code() == tonic::Code::Unavailable && attempt < ATTEMPTS => {
                tokio::time::sleep(backoff(attempt, Duration::from_secs(1))).await;
            }
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        let max = Duration::from_secs(1);
        assert_eq!(ceiling(1, max), Duration::from_millis(100));
        assert_eq!(ceiling(2, max), Duration::from_millis(200));
        assert_eq!(ceiling(20, max), max);
    }

    #[test]
    fn backoff_is_spread_between_half_and_the_whole_ceiling() {
        let max = Duration::from_secs(1);
        for attempt in [1, 2, 3, 20] {
            let delays: Vec<Duration> = (0..200).map(|_| backoff(attempt, max)).collect();
            let ceiling = ceiling(attempt, max);
            assert!(
                delays
                    .iter()
                    .all(|delay| *delay >= ceiling / 2 && *delay <= ceiling)
            );
            // Two hundred draws all equal would mean no jitter at all.
            assert!(delays.iter().any(|delay| *delay != delays[0]));
        }
    }
}
