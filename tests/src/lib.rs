//! Runs the real `synergies` binary — all-in-one, or one process per service against the
//! local PostgreSQL and NATS — and drives it through the gateway as a client would.
//!
//! The split layout is started the way `deploy/local/run.sh` starts it: `synergies migrate`,
//! then `synergies serve <service>` for each service, then a wait on the gateway's `/readyz?services=all`.
//!
//! Every process listens on port 0 and says which port it got in its `--ready-file`: the harness
//! never picks a port for the binary, so no other process can take one in between. `free_port`
//! is for third-party servers that cannot say (PostgreSQL, NATS, the SMTP sink, chromedriver).

pub mod api;
pub mod browser;
pub mod collector;
pub mod fixtures;
pub mod servers;
pub mod smtp;

use std::collections::BTreeMap;
use std::fs::File;
use std::net::SocketAddr;
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

/// Calls of the gRPC `method` a process served, read from its metrics listener at
/// `metrics_address` (every call served is a count of `synergies_grpc_server_duration_seconds`).
pub async fn grpc_calls_served(metrics_address: &str, method: &str) -> u64 {
    let text = reqwest::get(format!("http://{metrics_address}/metrics"))
        .await
        .expect("metrics answer")
        .text()
        .await
        .expect("metrics text");
    let method = format!("method=\"{method}\"");
    text.lines()
        .filter(|line| {
            line.starts_with("synergies_grpc_server_duration_seconds_count")
                && line.contains(&method)
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// A port nobody listens on right now, for a third-party server that cannot bind port 0 and
/// say which port it got (the `synergies` binary can: see [`Platform`]).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// How a process is told where to listen.
enum Listen {
    /// `--listen <address>` (the all-in-one mode).
    Argument,
    /// A variable: `SYNERGIES_SERVICES__<NAME>_LISTEN`, `SYNERGIES_GATEWAY__LISTEN`.
    Variable(String),
}

struct Process {
    args: Vec<String>,
    env: BTreeMap<String, String>,
    log: PathBuf,
    child: Option<Child>,
    listen: Listen,
    /// Its listener in the ready file: `gateway` or the service's name.
    listener: &'static str,
    ready_file: PathBuf,
    /// Each listener's address, from the ready file of its first start.
    bound: BTreeMap<String, SocketAddr>,
}

impl Process {
    /// A process listening on any free port (port 0) until its first start says which.
    fn new(
        dir: &Path,
        name: &str,
        args: Vec<String>,
        mut env: BTreeMap<String, String>,
        listen: Listen,
        listener: &'static str,
    ) -> Self {
        let mut args = args;
        match &listen {
            Listen::Argument => args.extend(["--listen".into(), "127.0.0.1:0".into()]),
            Listen::Variable(key) => {
                env.insert(key.clone(), "127.0.0.1:0".into());
            }
        }
        Self {
            args,
            env,
            log: dir.join(format!("{name}.log")),
            child: None,
            listen,
            listener,
            ready_file: dir.join(format!("{name}.ready.json")),
            bound: BTreeMap::new(),
        }
    }

    fn spawn(&mut self) {
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        // A file left by an earlier start would say ready before this one is.
        let _ = std::fs::remove_file(&self.ready_file);
        let child = Command::new(binary())
            .arg("--ready-file")
            .arg(&self.ready_file)
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

    fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(Some(_))))
    }

    /// Waits for the ready file of the start in progress (bounded; the process exiting ends
    /// the wait at once), then keeps listening there: a restart comes back on the same address,
    /// where the other processes and the tests reach it. Its address.
    async fn until_bound(&mut self) -> Result<SocketAddr, String> {
        let deadline = tokio::time::Instant::now() + Duration::from_mins(1);
        let mut ticks = tokio::time::interval(Duration::from_millis(20));
        let bound = loop {
            ticks.tick().await;
            let written = std::fs::read(&self.ready_file).ok().and_then(|bytes| {
                serde_json::from_slice::<BTreeMap<String, SocketAddr>>(&bytes).ok()
            });
            if let Some(bound) = written {
                break bound;
            }
            if self.exited() || tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "{} did not write {}:\n{}",
                    self.log.display(),
                    self.ready_file.display(),
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                ));
            }
        };
        let address = *bound
            .get(self.listener)
            .ok_or_else(|| format!("no {} address in {bound:?}", self.listener))?;
        match &self.listen {
            Listen::Argument => {
                let at = self
                    .args
                    .iter()
                    .position(|a| a == "--listen")
                    .expect("--listen");
                self.args[at + 1] = address.to_string();
            }
            Listen::Variable(key) => {
                self.env.insert(key.clone(), address.to_string());
            }
        }
        self.bound = bound;
        Ok(address)
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
    /// How the processes reach the services: `https` when they authenticate each other.
    service_scheme: &'static str,
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
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut env = base_env();
        env.extend(
            extra_env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let args = [
            "--data-dir".into(),
            dir.path().join("data").display().to_string(),
        ]
        .into_iter()
        .chain(extra_args.iter().map(|a| (*a).to_owned()))
        .collect();
        let process = Process::new(
            dir.path(),
            "synergies",
            args,
            env,
            Listen::Argument,
            "gateway",
        );
        let mut platform = Self::new(dir, [("synergies".to_owned(), process)].into());
        platform.start_in_order(&["synergies"]).await;
        platform
    }

    /// One process per service against the test PostgreSQL and NATS, with a schema and bus
    /// prefix of its own. `extra_env(service)` adds variables to one service's process.
    pub async fn split(
        servers: &TestServers,
        extra_env: impl Fn(&str) -> Vec<(String, String)>,
    ) -> Self {
        Self::split_with_scheme(servers, &extra_env, "http").await
    }

    /// [`Platform::split`] with every service reached at an `https://` address: for mutual
    /// TLS between the processes, which `extra_env` configures (each one's certificate).
    pub async fn split_over_tls(
        servers: &TestServers,
        extra_env: impl Fn(&str) -> Vec<(String, String)>,
    ) -> Self {
        Self::split_with_scheme(servers, &extra_env, "https").await
    }

    async fn split_with_scheme(
        servers: &TestServers,
        extra_env: &impl Fn(&str) -> Vec<(String, String)>,
        scheme: &'static str,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let prefix = unique_prefix();
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
        // And each flows replica, of its flow index.
        env.insert(
            "SYNERGIES_FLOWS__SEARCH_DIRECTORY".into(),
            dir.path().join("flows-search-index").display().to_string(),
        );
        // A process learns where the services started before it listen (`start_in_order`);
        // the others keep an address of the right scheme until then, which a process with
        // certificates requires of every service address at start (channels connect lazily).
        for backend in BACKENDS {
            env.insert(
                url_variable(backend.name),
                format!("{scheme}://127.0.0.1:{}", backend.default_port),
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

        let processes = BACKENDS
            .iter()
            .map(|backend| (backend.name, listen_variable(backend.name)))
            .chain([("gateway", "SYNERGIES_GATEWAY__LISTEN".to_owned())])
            .map(|(service, listen)| {
                let mut service_env = env.clone();
                service_env.extend(role_env(service));
                service_env.extend(extra_env(service));
                let process = Process::new(
                    dir.path(),
                    service,
                    vec!["serve".into(), service.to_owned()],
                    service_env,
                    Listen::Variable(listen),
                    service,
                );
                (service.to_owned(), process)
            })
            .collect();
        let mut platform = Self::new(dir, processes);
        platform.schema_prefix = schema_prefix;
        platform.service_scheme = scheme;
        platform.database_roles = roles;
        let order: Vec<&str> = synergies_platform::services::names()
            .chain(["gateway"])
            .collect();
        platform.start_in_order(&order).await;
        platform
    }

    fn new(dir: tempfile::TempDir, processes: BTreeMap<String, Process>) -> Self {
        Self {
            base_url: String::new(),
            client: api::Client::new(""),
            processes,
            dir,
            schema_prefix: String::new(),
            service_scheme: "http",
            database_roles: BTreeMap::new(),
        }
    }

    /// Starts the processes one after the other, each told where those before it listen (the
    /// list of services is in that order: a service calls only services before it, and the
    /// gateway, last, calls them all), then waits until the platform is ready. The last one
    /// serves the public API.
    async fn start_in_order(&mut self, order: &[&str]) {
        let mut urls: Vec<(String, String)> = Vec::new();
        for name in order {
            let process = self.processes.get_mut(*name).expect("known process");
            for (service, url) in &urls {
                process.env.insert(url_variable(service), url.clone());
            }
            process.spawn();
            let address = match process.until_bound().await {
                Ok(address) => address,
                Err(failure) => panic!("{failure}\n{}", self.all_logs()),
            };
            urls.push((
                (*name).to_owned(),
                format!("{}://{address}", self.service_scheme),
            ));
        }
        // The last one is the gateway, whose public side is plain HTTP in tests.
        let (_, last) = urls.pop().expect("a process");
        let base_url = last.replacen(self.service_scheme, "http", 1);
        self.client = api::Client::new(&base_url);
        self.base_url = base_url;
        if let Err(failure) = self.until_ready().await {
            panic!("{failure}");
        }
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
        let name = format!("{service}-{}", self.processes.len());
        let mut replica = Process::new(
            self.dir.path(),
            &name,
            first.args.clone(),
            first.env.clone(),
            Listen::Variable(listen_variable(service)),
            backend.name,
        );
        replica.spawn();
        let address = match replica.until_bound().await {
            Ok(address) => address,
            Err(failure) => panic!("the replica {name} did not start: {failure}"),
        };
        self.processes.insert(name.clone(), replica);
        let channel = synergies_platform::grpc::channel(&format!("http://{address}"))
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

    /// Where a listener of a started process answers: `gateway` or a service's name, and
    /// `metrics` when `SYNERGIES_TELEMETRY__METRICS_LISTEN` is set (`127.0.0.1:0`: any port).
    pub fn address(&self, process: &str, listener: &str) -> Option<SocketAddr> {
        self.processes.get(process)?.bound.get(listener).copied()
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
        self.address(service, service)
            .map(|address| format!("{}://{address}", self.service_scheme))
    }

    /// Runs an operator's command (`synergies <args>`, e.g. `dead-letters list`) against this
    /// platform's storage and bus, as an operator on its machine would, and returns what it
    /// printed; panics when it fails.
    pub fn cli(&self, args: &[&str]) -> String {
        self.cli_with(args, &[])
    }

    /// Runs `synergies <args>` inside a service's own setting, as a probe in its pod does:
    /// with that process's environment and the address it really bound.
    pub fn cli_in(&self, service: &str, args: &[&str]) -> String {
        let process = &self.processes[service];
        let mut env: Vec<(String, String)> = process.env.clone().into_iter().collect();
        if let Some(address) = self.address(service, service) {
            env.push((listen_variable(service), address.to_string()));
        }
        self.cli_with(args, &env)
    }

    fn cli_with(&self, args: &[&str], extra_env: &[(String, String)]) -> String {
        let (process, leading): (&Process, &[String]) = match self.processes.get("synergies") {
            // All-in-one: its `--data-dir` comes first.
            Some(all_in_one) => (all_in_one, &all_in_one.args[..2]),
            None => (&self.processes["gateway"], &[]),
        };
        let output = Command::new(binary())
            .args(leading)
            .args(args)
            .envs(&process.env)
            .envs(extra_env.iter().map(|(key, value)| (key, value)))
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

    /// Runs an operator's command as [`Platform::cli`] does, with `input` on its standard input
    /// (a mail piped to it); its output, whether it succeeded or not.
    pub fn cli_reading(&self, args: &[&str], input: &[u8]) -> std::process::Output {
        use std::io::Write as _;
        let (process, leading): (&Process, &[String]) = match self.processes.get("synergies") {
            Some(all_in_one) => (all_in_one, &all_in_one.args[..2]),
            None => (&self.processes["gateway"], &[]),
        };
        let mut child = Command::new(binary())
            .args(leading)
            .args(args)
            .envs(&process.env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("synergies runs");
        child
            .stdin
            .take()
            .expect("its standard input")
            .write_all(input)
            .expect("input written");
        child.wait_with_output().expect("synergies ends")
    }

    /// Where the process `name` (a replica of `service`, see [`Platform::add_replica`]) answers.
    pub fn replica_url(&self, name: &str, service: &str) -> Option<String> {
        self.address(name, service)
            .map(|address| format!("{}://{address}", self.service_scheme))
    }

    /// The process id of the running process `name`.
    pub fn pid(&self, name: &str) -> Option<u32> {
        self.processes
            .get(name)
            .and_then(|process| process.child.as_ref())
            .map(Child::id)
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

/// The variable a backend's listen address is set in.
fn listen_variable(service: &str) -> String {
    format!("SYNERGIES_SERVICES__{}_LISTEN", service.to_uppercase())
}

/// The variable where the others find a backend.
fn url_variable(service: &str) -> String {
    format!("SYNERGIES_SERVICES__{}_URL", service.to_uppercase())
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
