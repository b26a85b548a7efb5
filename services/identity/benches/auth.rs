//! What authentication costs: verifying and signing access tokens (every request pays the
//! first), and hashing and checking passwords with the chosen argon2id parameters (every
//! sign-in pays the second). Prints percentiles and throughput.
//!
//! `cargo bench -p synergies-identity --bench auth`

use std::sync::Arc;
use std::time::{Duration, Instant};

use synergies_identity::passwords;
use synergies_platform::auth::{Claims, Jwks, Role, SigningKey, StaticKeys, Verifier};

fn report(name: &str, mut samples: Vec<Duration>, unit: &str) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    let scale = |d: Duration| {
        if unit == "µs" {
            d.as_secs_f64() * 1e6
        } else {
            d.as_secs_f64() * 1e3
        }
    };
    println!(
        "| {name} | {} | {:.1} {unit} | {:.1} {unit} | {:.1} {unit} |",
        samples.len(),
        scale(at(0.50)),
        scale(at(0.99)),
        scale(*samples.last().unwrap())
    );
}

fn time<T>(mut operation: impl FnMut() -> T) -> Duration {
    let started = Instant::now();
    std::hint::black_box(operation());
    started.elapsed()
}

#[tokio::main]
async fn main() {
    let key = SigningKey::generate();
    let verifier = Verifier::new(Arc::new(StaticKeys(Jwks {
        keys: vec![key.jwk()],
    })));
    let claims = Claims::new(
        uuid::Uuid::now_v7().to_string(),
        "dijon".into(),
        Some(uuid::Uuid::now_v7().to_string()),
        vec![Role::Member],
    );
    let token = key.sign(&claims);
    verifier.verify(&token).await.unwrap();

    println!("| operation | samples | p50 | p99 | max |");
    println!("|---|---|---|---|---|");
    let mut verify = Vec::new();
    for _ in 0..20_000 {
        let started = Instant::now();
        std::hint::black_box(verifier.verify(&token).await.unwrap());
        verify.push(started.elapsed());
    }
    report(
        "access token verification (EdDSA, cached key)",
        verify,
        "µs",
    );
    let sign = (0..20_000).map(|_| time(|| key.sign(&claims))).collect();
    report("access token signing", sign, "µs");

    let stored = passwords::hash("la brasserie du lac recycle");
    let hash = (0..30)
        .map(|_| time(|| passwords::hash("la brasserie du lac recycle")))
        .collect();
    report("password hash (argon2id m=19 MiB t=2 p=1)", hash, "ms");
    let check = (0..30)
        .map(|_| time(|| passwords::verify("la brasserie du lac recycle", &stored)))
        .collect();
    report("password check (sign-in)", check, "ms");

    // Sign-in throughput is bounded by password checks: run them on every core at once.
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let per_core = 40;
    let started = Instant::now();
    let workers: Vec<_> = (0..cores)
        .map(|_| {
            let stored = stored.clone();
            std::thread::spawn(move || {
                for _ in 0..per_core {
                    assert!(passwords::verify("la brasserie du lac recycle", &stored));
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!();
    println!(
        "sign-in password checks on {cores} cores: {:.0} per second",
        (cores * per_core) as f64 / elapsed
    );
}
