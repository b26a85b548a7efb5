//! The binary's own contract: help, configuration errors, start-up without a database.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn synergies() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_synergies"));
    command.env_remove("SYNERGIES_CONFIG");
    command
}

#[test]
fn help_explains_each_command() {
    let output = synergies().arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for command in ["serve", "migrate", "dead-letters", "--data-dir", "--listen"] {
        assert!(
            help.contains(command),
            "--help does not mention {command}:\n{help}"
        );
    }
}

#[test]
fn a_misspelt_variable_stops_start_up_and_is_named() {
    let output = synergies()
        .arg("migrate")
        .env("SYNERGIES_DATABASE__ULR", "postgres://x")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let error = String::from_utf8(output.stderr).unwrap();
    assert!(error.contains("SYNERGIES_DATABASE__ULR"), "{error}");
}

#[test]
fn a_malformed_value_stops_start_up_and_is_named() {
    let output = synergies()
        .arg("migrate")
        .env("SYNERGIES_BUS__ACK_WAIT_SECS", "soon")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let error = String::from_utf8(output.stderr).unwrap();
    assert!(error.contains("SYNERGIES_BUS__ACK_WAIT_SECS"), "{error}");
}

#[test]
fn an_unreachable_database_is_retried_with_a_clear_log_line_not_a_panic() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = synergies()
        .args(["serve", "listings"])
        .env(
            "SYNERGIES_DATABASE__URL",
            format!("postgres://postgres@127.0.0.1:{closed_port}/none"),
        )
        .env("SYNERGIES_SERVICES__LISTINGS_LISTEN", "127.0.0.1:0")
        .env("SYNERGIES_TELEMETRY__FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut retries = 0;
    while retries < 2 {
        assert!(Instant::now() < deadline, "no retry log line");
        let line = lines
            .next()
            .expect("the process keeps running and logging")
            .unwrap();
        if line.contains("unreachable, retrying") && line.contains("PostgreSQL") {
            retries += 1;
        }
        assert!(!line.contains("panicked"), "{line}");
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the process must keep retrying"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn signing_keys_rotate_on_the_embedded_database() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let rotate = || {
        let output = synergies()
            .args(["--data-dir", data_dir, "rotate-signing-key", "--embedded"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let first = rotate();
    let second = rotate();
    assert!(first.starts_with("new signing key "), "{first}");
    assert_ne!(first, second, "each rotation adds a new key");
}

#[test]
fn an_operator_creates_a_territory_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let create = |communes: &[&str]| {
        let mut command = synergies();
        command.args([
            "--data-dir",
            data_dir,
            "tenant",
            "create",
            "--embedded",
            "--slug",
            "dijon-metropole",
            "--name",
            "Dijon Métropole",
            "--facilitator",
            "CCI Côte-d'Or",
            "--centre",
            "47.3229,5.0379",
            "--bounds",
            "47.25,4.93,47.40,5.16",
        ]);
        for commune in communes {
            command.args(["--commune", commune]);
        }
        command.output().unwrap()
    };
    let malformed = create(&["21231:Dijon"]);
    assert!(!malformed.status.success());
    let error = String::from_utf8_lossy(&malformed.stderr);
    assert!(error.contains("expected INSEE:Name:postal"), "{error}");
    let not_insee = create(&["2123:Dijon:21000"]);
    assert!(!not_insee.status.success());
    let error = String::from_utf8_lossy(&not_insee.stderr);
    assert!(error.contains("not an INSEE commune code"), "{error}");

    let created = create(&["21231:Dijon:21000", "21166:Chenôve:21300"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let said = String::from_utf8(created.stdout).unwrap();
    assert!(
        said.contains("territory dijon-metropole (Dijon Métropole) created with 2 communes"),
        "{said}"
    );
    assert!(
        said.contains("facilitator organisation CCI Côte-d'Or"),
        "{said}"
    );
    let again = create(&["21231:Dijon:21000"]);
    assert!(!again.status.success(), "a slug names one territory");
    let error = String::from_utf8_lossy(&again.stderr);
    assert!(error.contains("already exists"), "{error}");
}

#[test]
fn an_operator_onboards_intercommunalities_by_their_siren() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let create = |args: &[&str]| {
        let output = synergies()
            .args(["--data-dir", data_dir, "tenant", "create", "--embedded"])
            .args(args)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (created, said, error) = create(&["--slug", "dijon-metropole", "--epci", "242100410"]);
    assert!(created, "{error}");
    assert!(
        said.contains("territory dijon-metropole (Dijon Métropole) created with 23 communes"),
        "{said}"
    );
    let (created, said, error) = create(&[
        "--slug",
        "cote-de-nuits",
        "--name",
        "Côte de Nuits",
        "--epci",
        "200 070 894",
    ]);
    assert!(created, "{error}");
    assert!(
        said.contains("territory cote-de-nuits (Côte de Nuits) created with 55 communes"),
        "{said}"
    );

    let (created, _, error) = create(&["--slug", "nowhere", "--epci", "123456789"]);
    assert!(!created);
    assert!(
        error.contains("no intercommunality has the SIREN 123456789"),
        "{error}"
    );
    let (created, _, error) = create(&[
        "--slug",
        "both",
        "--epci",
        "242100410",
        "--commune",
        "21231:Dijon:21000",
    ]);
    assert!(
        !created,
        "communes come from the list or from the EPCI, not both"
    );
    assert!(error.contains("cannot be used with"), "{error}");
    let (created, _, error) = create(&["--slug", "nameless"]);
    assert!(!created);
    assert!(error.contains("--name"), "{error}");
}
