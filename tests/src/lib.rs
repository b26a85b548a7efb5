//! Runs the real `synergies` binary — all-in-one, or one process per service against the
//! local PostgreSQL and NATS — and drives it through the gateway as a client would.
//!
//! The split layout is started the way `deploy/local/run.sh` starts it: `synergies migrate`,
//! then `synergies serve <service>` for each service, then a wait on the gateway's `/readyz?services=all`.

pub mod api;
pub mod browser;
pub mod fixtures;
pub mod servers;
pub mod smtp;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use synergies_platform::testing::{TestServers, unique_prefix};

pub const OPERATOR_TOKEN: &str = "operator-token-for-tests";
/// The backend services, from the platform's one list.
pub use synergies_platform::services::BACKENDS;

/// The `synergies` binary built next to this test executable.
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target directory");
    let binary = dir.join("synergies");
    assert!(
        binary.exists(),
        "{} is missing: run the tests with `cargo nextest run --workspace`",
        binary.display()
    );
    binary
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

struct Process {
    args: Vec<String>,
    env: BTreeMap<String, String>,
    log: PathBuf,
    child: Option<Child>,
}

impl Process {
    fn spawn(&mut self) {
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let child = Command::new(binary())
            .args(&self.args)
            .envs(&self.env)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("synergies starts");
        self.child = Some(child);
    }

    fn signal(&mut self, signal: i32) {
        if let Some(child) = &self.child {
            let pid = libc::pid_t::try_from(child.id()).expect("pid fits");
            // SAFETY: sending a signal to our own child process has no memory-safety impact.
            #[allow(unsafe_code)]
            unsafe {
                libc::kill(pid, signal);
            }
        }
    }

    fn wait(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .take()
            .map(|mut child| child.wait().expect("child exit status"))
    }
}

/// The running platform.
pub struct Platform {
    pub base_url: String,
    pub client: api::Client,
    processes: BTreeMap<String, Process>,
    pub dir: tempfile::TempDir,
    /// Split layout: the services' PostgreSQL schemas are `<schema_prefix><service>`.
    pub schema_prefix: String,
    /// Split layout: each service's own PostgreSQL role, as (name, password).
    pub database_roles: BTreeMap<String, (String, String)>,
}

impl Platform {
    /// Renders a page of Dijon as the member's browser would, in `language`: how the site learns
    /// the language a member reads (and the e-mails they get are written in).
    pub async fn visit_in(&self, member: &api::Member, language: &str) {
        let response = reqwest::Client::new()
            .get(format!("{}/dijon/annonces?lang={language}", self.base_url))
            .header(
                "Cookie",
                format!("__Host-synergies-access={}", member.token),
            )
            .send()
            .await
            .expect("gateway answers");
        assert_eq!(response.status().as_u16(), 200);
    }

    /// Every service in one process, on SQLite files and the in-process bus.
    pub async fn all_in_one(extra_env: &[(&str, &str)]) -> Self {
        Self::all_in_one_with(&[], extra_env).await
    }

    /// The all-in-one mode with extra command-line arguments (e.g. `--demo`).
    pub async fn all_in_one_with(extra_args: &[&str], extra_env: &[(&str, &str)]) -> Self {
        Self::started(|| Self::all_in_one_prepared(extra_args, extra_env)).await
    }

    fn all_in_one_prepared(extra_args: &[&str], extra_env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let port = free_port();
        let mut env = base_env();
        env.extend(
            extra_env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let process = Process {
            args: vec![
                "--data-dir".into(),
                dir.path().join("data").display().to_string(),
                "--listen".into(),
                format!("127.0.0.1:{port}"),
            ]
            .into_iter()
            .chain(extra_args.iter().map(|a| (*a).to_owned()))
            .collect(),
            env,
            log: dir.path().join("synergies.log"),
            child: None,
        };
        Self::new(port, dir, [("synergies".to_owned(), process)].into())
    }

    /// One process per service against the test PostgreSQL and NATS, with a schema and bus
    /// prefix of its own. `extra_env(service)` adds variables to one service's process.
    pub async fn split(
        servers: &TestServers,
        extra_env: impl Fn(&str) -> Vec<(String, String)>,
    ) -> Self {
        Self::started(|| Self::split_prepared(servers, &extra_env)).await
    }

    fn split_prepared(
        servers: &TestServers,
        extra_env: &impl Fn(&str) -> Vec<(String, String)>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let prefix = unique_prefix();
        let gateway_port = free_port();
        let mut env = base_env();
        env.insert(
            "SYNERGIES_DATABASE__URL".into(),
            servers.database_url.clone(),
        );
        let schema_prefix = format!("{prefix}_");
        env.insert(
            "SYNERGIES_DATABASE__SCHEMA_PREFIX".into(),
            schema_prefix.clone(),
        );
        env.insert("SYNERGIES_DATABASE__MAX_CONNECTIONS".into(), "4".into());
        env.insert("SYNERGIES_BUS__NATS_URL".into(), servers.nats_url.clone());
        env.insert("SYNERGIES_BUS__PREFIX".into(), prefix);
        env.insert(
            "SYNERGIES_PHOTOS__DIRECTORY".into(),
            dir.path().join("photos").display().to_string(),
        );
        // Each listings replica takes a slot of its own in this directory.
        env.insert(
            "SYNERGIES_LISTINGS__SEARCH_DIRECTORY".into(),
            dir.path().join("search-index").display().to_string(),
        );
        env.insert(
            "SYNERGIES_GATEWAY__LISTEN".into(),
            format!("127.0.0.1:{gateway_port}"),
        );
        for service in synergies_platform::services::names() {
            let port = free_port();
            let upper = service.to_uppercase();
            env.insert(
                format!("SYNERGIES_SERVICES__{upper}_LISTEN"),
                format!("127.0.0.1:{port}"),
            );
            env.insert(
                format!("SYNERGIES_SERVICES__{upper}_URL"),
                format!("http://127.0.0.1:{port}"),
            );
        }
        // Each service connects as its own role, as in production: `migrate` (the owner)
        // creates them all, each service gets only its own. Roles are cluster-wide, so their
        // names carry this platform's prefix, as its schemas do.
        let roles: BTreeMap<String, (String, String)> = synergies_platform::services::names()
            .map(|service| {
                let role = format!("{schema_prefix}{service}");
                let password = uuid::Uuid::new_v4().simple().to_string();
                (service.to_owned(), (role, password))
            })
            .collect();
        let role_env = |service: &str| -> Vec<(String, String)> {
            let Some((role, password)) = roles.get(service) else {
                return Vec::new();
            };
            let upper = service.to_uppercase();
            vec![
                (
                    format!("SYNERGIES_DATABASE__ROLES__{upper}_USER"),
                    role.clone(),
                ),
                (
                    format!("SYNERGIES_DATABASE__ROLES__{upper}_PASSWORD"),
                    password.clone(),
                ),
            ]
        };
        let migrate = Command::new(binary())
            .arg("migrate")
            .envs(&env)
            .envs(roles.keys().flat_map(|service| role_env(service)))
            .output()
            .expect("migrate runs");
        assert!(
            migrate.status.success(),
            "migrate failed: {}",
            String::from_utf8_lossy(&migrate.stderr)
        );

        let processes = synergies_platform::services::names()
            .chain(["gateway"])
            .map(|service| {
                let mut service_env = env.clone();
                service_env.extend(role_env(service));
                service_env.extend(extra_env(service));
                let process = Process {
                    args: vec!["serve".into(), service.to_owned()],
                    env: service_env,
                    log: dir.path().join(format!("{service}.log")),
                    child: None,
                };
                (service.to_owned(), process)
            })
            .collect();
        let mut platform = Self::new(gateway_port, dir, processes);
        platform.schema_prefix = schema_prefix;
        platform.database_roles = roles;
        platform
    }

    /// Starts what `prepared` sets up. The ports were free when picked, but another process can
    /// take one before the service binds it: then everything is set up again on other ports.
    async fn started(mut prepared: impl FnMut() -> Self) -> Self {
        const ATTEMPTS: u32 = 3;
        for attempt in 1..=ATTEMPTS {
            let mut platform = prepared();
            match platform.start_all().await {
                Ok(()) => return platform,
                Err(failure)
                    if attempt < ATTEMPTS && failure.contains("Address already in use") => {}
                Err(failure) => panic!("{failure}"),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    fn new(port: u16, dir: tempfile::TempDir, processes: BTreeMap<String, Process>) -> Self {
        let base_url = format!("http://127.0.0.1:{port}");
        Self {
            client: api::Client::new(&base_url),
            base_url,
            processes,
            dir,
            schema_prefix: String::new(),
            database_roles: BTreeMap::new(),
        }
    }

    async fn start_all(&mut self) -> Result<(), String> {
        for process in self.processes.values_mut() {
            process.spawn();
        }
        self.until_ready().await
    }

    /// Polls `/readyz` until every service answers (bounded; never a fixed sleep). A process
    /// that exits meanwhile ends the wait at once; the failure carries every process's log.
    async fn until_ready(&mut self) -> Result<(), String> {
        let readyz = format!("{}/readyz?services=all", self.base_url);
        let deadline = tokio::time::Instant::now() + Duration::from_mins(1);
        let mut ticks = tokio::time::interval(Duration::from_millis(50));
        loop {
            ticks.tick().await;
            if let Some(name) = self.exited_process() {
                return Err(format!(
                    "{name} exited before the platform was ready:\n{}",
                    self.all_logs()
                ));
            }
            let answer = self.client.http.get(&readyz).send().await;
            if answer.is_ok_and(|response| response.status().is_success()) {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "the platform did not become ready:\n{}",
                    self.all_logs()
                ));
            }
        }
    }

    /// The name of a started process that has exited, if one has.
    fn exited_process(&mut self) -> Option<String> {
        self.processes.iter_mut().find_map(|(name, process)| {
            let child = process.child.as_mut()?;
            matches!(child.try_wait(), Ok(Some(_))).then(|| name.clone())
        })
    }

    /// SIGKILL: the process gets no chance to clean up.
    pub fn kill(&mut self, name: &str) {
        let process = self.processes.get_mut(name).expect("known process");
        process.signal(libc::SIGKILL);
        process.wait();
    }

    /// SIGTERM, and the exit status once it has drained and stopped.
    pub fn terminate(&mut self, name: &str) -> std::process::ExitStatus {
        let process = self.processes.get_mut(name).expect("known process");
        process.signal(libc::SIGTERM);
        process.wait().expect("process was running")
    }

    /// Starts a stopped process again, with some variables changed.
    pub async fn restart(&mut self, name: &str, env: &[(&str, &str)]) {
        let process = self.processes.get_mut(name).expect("known process");
        for (key, value) in env {
            process.env.insert((*key).to_owned(), (*value).to_owned());
        }
        process.spawn();
        if let Err(failure) = self.until_ready().await {
            panic!("{failure}");
        }
    }

    /// Starts several stopped processes again, then waits until the platform is ready (a
    /// restart of one alone would wait for the others, still down).
    pub async fn restart_together(&mut self, names: &[&str]) {
        for name in names {
            self.processes
                .get_mut(*name)
                .expect("known process")
                .spawn();
        }
        if let Err(failure) = self.until_ready().await {
            panic!("{failure}");
        }
    }

    /// Starts a stopped process again, with some variables changed, and waits for it to exit
    /// by itself (a fault injected by those variables): its exit status.
    pub async fn run_until_exit(
        &mut self,
        name: &str,
        env: &[(&str, &str)],
    ) -> std::process::ExitStatus {
        let process = self.processes.get_mut(name).expect("known process");
        for (key, value) in env {
            process.env.insert((*key).to_owned(), (*value).to_owned());
        }
        process.spawn();
        let deadline = tokio::time::Instant::now() + Duration::from_mins(1);
        let mut ticks = tokio::time::interval(Duration::from_millis(50));
        loop {
            ticks.tick().await;
            let child = process.child.as_mut().expect("just spawned");
            if let Ok(Some(status)) = child.try_wait() {
                process.child = None;
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} did not exit:\n{}",
                std::fs::read_to_string(&process.log).unwrap_or_default()
            );
        }
    }

    /// Split layout: starts one more replica of `service` (a process of its own, listening on
    /// another port, sharing its database schema and durable consumers) and waits until its
    /// gRPC health says it serves. Returns the replica's process name.
    pub async fn add_replica(&mut self, service: &str) -> String {
        let backend = BACKENDS
            .iter()
            .find(|b| b.name == service)
            .expect("a backend service");
        let first = self.processes.get(service).expect("split layout");
        let port = free_port();
        let mut env = first.env.clone();
        env.insert(
            format!("SYNERGIES_SERVICES__{}_LISTEN", service.to_uppercase()),
            format!("127.0.0.1:{port}"),
        );
        let name = format!("{service}-{}", self.processes.len());
        let mut replica = Process {
            args: first.args.clone(),
            env,
            log: self.dir.path().join(format!("{name}.log")),
            child: None,
        };
        replica.spawn();
        self.processes.insert(name.clone(), replica);
        let channel = synergies_platform::grpc::channel(&format!("http://127.0.0.1:{port}"))
            .expect("a valid address");
        let deadline = tokio::time::Instant::now() + Duration::from_mins(1);
        let mut ticks = tokio::time::interval(Duration::from_millis(50));
        loop {
            ticks.tick().await;
            if synergies_platform::grpc::is_serving(channel.clone(), backend.grpc_service).await {
                return name;
            }
            assert!(
                self.exited_process().is_none() && tokio::time::Instant::now() < deadline,
                "the replica {name} did not start:\n{}",
                self.logs(&name)
            );
        }
    }

    pub fn logs(&self, name: &str) -> String {
        std::fs::read_to_string(&self.processes[name].log).unwrap_or_default()
    }

    pub fn all_logs(&self) -> String {
        let mut all = String::new();
        for name in self.processes.keys() {
            all.push_str("=== ");
            all.push_str(name);
            all.push('\n');
            all.push_str(&self.logs(name));
        }
        all
    }

    /// Where a service's gRPC server answers in the split layout.
    pub fn service_url(&self, service: &str) -> Option<String> {
        let key = format!("SYNERGIES_SERVICES__{}_URL", service.to_uppercase());
        self.processes
            .get(service)
            .and_then(|p| p.env.get(&key).cloned())
    }

    /// Runs an operator's command (`synergies <args>`, e.g. `dead-letters list`) against this
    /// platform's storage and bus, as an operator on its machine would, and returns what it
    /// printed; panics when it fails.
    pub fn cli(&self, args: &[&str]) -> String {
        let (process, leading): (&Process, &[String]) = match self.processes.get("synergies") {
            // All-in-one: its `--data-dir` comes first.
            Some(all_in_one) => (all_in_one, &all_in_one.args[..2]),
            None => (&self.processes["gateway"], &[]),
        };
        let output = Command::new(binary())
            .args(leading)
            .args(args)
            .envs(&process.env)
            .output()
            .expect("synergies runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "synergies {args:?} failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }

    /// Where the process `name` (a replica of `service`, see [`Platform::add_replica`]) answers.
    pub fn replica_url(&self, name: &str, service: &str) -> Option<String> {
        let key = format!("SYNERGIES_SERVICES__{}_LISTEN", service.to_uppercase());
        self.processes
            .get(name)
            .and_then(|p| p.env.get(&key))
            .map(|address| format!("http://{address}"))
    }

    /// Names of the processes, e.g. `synergies` or the five services.
    pub fn process_names(&self) -> Vec<String> {
        self.processes.keys().cloned().collect()
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        for process in self.processes.values_mut() {
            process.signal(libc::SIGKILL);
            process.wait();
        }
        // Logs and data of a failed run, to read afterwards.
        if std::thread::panicking() && std::env::var_os("SYNERGIES_TEST_KEEP_FAILED").is_some() {
            let kept = std::mem::replace(
                &mut self.dir,
                tempfile::tempdir().expect("temporary directory"),
            );
            eprintln!(
                "kept the failed platform's files in {}",
                kept.keep().display()
            );
        }
    }
}

fn base_env() -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "SYNERGIES_IDENTITY__OPERATOR_TOKEN".to_owned(),
            OPERATOR_TOKEN.to_owned(),
        ),
        ("SYNERGIES_TELEMETRY__FILTER".to_owned(), "info".to_owned()),
        (
            "SYNERGIES_OUTBOX__POLL_INTERVAL_MS".to_owned(),
            "200".to_owned(),
        ),
        ("RUST_LOG".to_owned(), "info".to_owned()),
    ])
}
