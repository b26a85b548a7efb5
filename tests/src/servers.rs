//! A PostgreSQL cluster and a NATS server of a test's own, on free ports in a temporary
//! directory, which the test may stop, kill and start again without disturbing the machine's
//! servers (that every other test shares). Used by the fault suite.
//!
//! Both come from the machine's packages (`/usr/lib/postgresql/*/bin`, `nats-server` on the
//! `PATH` or in `/usr/sbin`). Where they are absent, [`OwnServers::start`] answers `None` and
//! the caller skips with a loud message.
//!
//! [`OwnServers::start_with_tls`] starts them speaking TLS only: PostgreSQL with `ssl=on` and
//! `hostssl` rules alone, NATS with a `tls` block and a user and password.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::free_port;

/// The machine's PostgreSQL server binaries (`initdb`, `postgres`), newest major first.
fn postgres_bin_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("SYNERGIES_TEST_POSTGRES_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut majors: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("postgres").exists())
        .collect();
    majors.sort();
    majors.pop()
}

fn nats_server_binary() -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("nats-server"))
            .find(|candidate| candidate.exists())
    });
    from_path.or_else(|| {
        let debian = PathBuf::from("/usr/sbin/nats-server");
        debian.exists().then_some(debian)
    })
}

/// PostgreSQL refuses to run as root: as root, the cluster runs as the `postgres` account.
fn unprivileged_account() -> Option<(u32, u32)> {
    // SAFETY: `geteuid` has no preconditions.
    #[allow(unsafe_code)]
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        return None;
    }
    let name = std::ffi::CString::new("postgres").expect("no NUL");
    // SAFETY: `getpwnam` reads a NUL-terminated name; the record it returns is read at once,
    // before any other call could overwrite it (tests start servers one at a time per thread).
    #[allow(unsafe_code)]
    unsafe {
        let record = libc::getpwnam(name.as_ptr());
        (!record.is_null()).then(|| ((*record).pw_uid, (*record).pw_gid))
    }
}

/// A server's certificate and key, and the certificate authority that signed them (PEM files).
#[derive(Debug, Clone)]
pub struct ServerTls {
    pub ca_file: PathBuf,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

/// A PostgreSQL cluster of the test's own.
pub struct OwnPostgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    account: Option<(u32, u32)>,
    log: PathBuf,
    server: Option<Child>,
    /// Settings given to every start (TLS).
    settings: Vec<String>,
    /// With TLS: the CA clients check the server against.
    ca_file: Option<PathBuf>,
}

impl OwnPostgres {
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        if let Some((uid, gid)) = self.account {
            command.uid(uid).gid(gid);
        }
        command
    }

    fn init(dir: &Path, tls: Option<&ServerTls>) -> Option<Self> {
        let bin = postgres_bin_dir()?;
        let account = unprivileged_account();
        let root = dir.join("postgres");
        std::fs::create_dir_all(&root).expect("PostgreSQL directory");
        if let Some((uid, gid)) = account {
            // The temporary directory is the test's (root's, 0700): the cluster's account
            // must reach into it.
            std::os::unix::fs::chown(&root, Some(uid), Some(gid)).expect("chown");
            let mut ancestor = Some(dir);
            while let Some(path) = ancestor {
                if path.starts_with(std::env::temp_dir()) && path != std::env::temp_dir() {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = std::fs::metadata(path)
                        .expect("metadata")
                        .permissions()
                        .mode();
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode | 0o711))
                        .expect("chmod");
                }
                ancestor = path.parent();
            }
        }
        let mut postgres = Self {
            bin,
            data: root.join("data"),
            port: free_port(),
            account,
            log: root.join("postgres.log"),
            server: None,
            settings: Vec::new(),
            ca_file: None,
        };
        let initdb = postgres
            .command("initdb")
            .args(["--auth=trust", "--username=postgres", "--no-sync", "-D"])
            .arg(&postgres.data)
            .stdin(Stdio::null())
            .output()
            .expect("initdb runs");
        assert!(
            initdb.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&initdb.stderr)
        );
        if let Some(tls) = tls {
            postgres.require_tls(&root, tls);
        }
        postgres.start();
        Some(postgres)
    }

    /// Serves TLS with `tls`'s certificate and accepts TCP sessions over TLS only.
    fn require_tls(&mut self, root: &Path, tls: &ServerTls) {
        use std::os::unix::fs::PermissionsExt;
        // The server refuses a key others may read, or that is not its account's.
        let cert = root.join("server.crt");
        let key = root.join("server.key");
        std::fs::copy(&tls.cert_file, &cert).expect("copy the certificate");
        std::fs::copy(&tls.key_file, &key).expect("copy the key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        if let Some((uid, gid)) = self.account {
            for file in [&cert, &key] {
                std::os::unix::fs::chown(file, Some(uid), Some(gid)).expect("chown");
            }
        }
        std::fs::write(
            self.data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
        )
        .expect("pg_hba.conf");
        self.settings = vec![
            "-c".into(),
            "ssl=on".into(),
            "-c".into(),
            format!("ssl_cert_file={}", cert.display()),
            "-c".into(),
            format!("ssl_key_file={}", key.display()),
        ];
        self.ca_file = Some(tls.ca_file.clone());
    }

    /// With TLS, `sslmode=verify-full` against the CA: the server's certificate must be signed
    /// by it and name the host.
    pub fn url(&self) -> String {
        let url = format!("postgres://postgres@127.0.0.1:{}/postgres", self.port);
        match &self.ca_file {
            Some(ca) => format!("{url}?sslmode=verify-full&sslrootcert={}", ca.display()),
            None => url,
        }
    }

    /// Starts the server (again, on the same port and data) and returns once it accepts
    /// connections.
    pub fn start(&mut self) {
        assert!(self.server.is_none(), "PostgreSQL is already running");
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let server = self
            .command("postgres")
            .arg("-D")
            .arg(&self.data)
            .args(["-p", &self.port.to_string(), "-h", "127.0.0.1", "-k"])
            .arg(self.data.parent().expect("data has a parent"))
            // The load is small; durability against power loss is not what is tested.
            .args(["-c", "fsync=off", "-c", "max_connections=200"])
            .args(&self.settings)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("postgres starts");
        self.server = Some(server);
        wait_until_listening("PostgreSQL", self.port, &self.log);
        // Listening comes before accepting sessions (recovery after a stop): ask.
        let deadline = std::time::Instant::now() + Duration::from_mins(1);
        loop {
            let ready = self
                .command("pg_isready")
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|status| status.success());
            if ready {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "PostgreSQL did not accept connections:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server the way an operator's fast shutdown does (sessions are cut, nothing
    /// in flight is committed), and waits until it is gone.
    pub fn stop(&mut self) {
        let mut server = self.server.take().expect("PostgreSQL is running");
        signal(&server, libc::SIGINT);
        server.wait().expect("postgres exits");
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        if let Some(mut server) = self.server.take() {
            signal(&server, libc::SIGQUIT);
            let _ = server.wait();
        }
    }
}

/// A NATS server with JetStream of the test's own.
pub struct OwnNats {
    binary: PathBuf,
    store: PathBuf,
    port: u16,
    log: PathBuf,
    server: Option<Child>,
    /// With TLS: the configuration file holding the `tls` and `authorization` blocks.
    config: Option<PathBuf>,
}

/// The user and password of a NATS server started with TLS.
pub const NATS_USER: &str = "synergies";
pub const NATS_PASSWORD: &str = "nats-password-for-tests";

impl OwnNats {
    fn init(dir: &Path, tls: Option<&ServerTls>) -> Option<Self> {
        let root = dir.join("nats");
        std::fs::create_dir_all(&root).expect("NATS directory");
        let config = tls.map(|tls| {
            let config = root.join("nats.conf");
            std::fs::write(
                &config,
                format!(
                    "tls {{\n  cert_file: \"{}\"\n  key_file: \"{}\"\n}}\n\
                     authorization {{\n  user: \"{NATS_USER}\"\n  password: \"{NATS_PASSWORD}\"\n}}\n",
                    tls.cert_file.display(),
                    tls.key_file.display()
                ),
            )
            .expect("nats.conf");
            config
        });
        let mut nats = Self {
            binary: nats_server_binary()?,
            store: root.join("jetstream"),
            port: free_port(),
            log: root.join("nats.log"),
            server: None,
            config,
        };
        nats.start();
        Some(nats)
    }

    /// `tls://` when the server speaks TLS (a client then refuses to go on without it).
    pub fn url(&self) -> String {
        let scheme = if self.config.is_some() { "tls" } else { "nats" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again, on the same port and store) and returns once it listens.
    pub fn start(&mut self) {
        assert!(self.server.is_none(), "NATS is already running");
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let mut command = Command::new(&self.binary);
        if let Some(config) = &self.config {
            command.arg("-c").arg(config);
        }
        let server = command
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.store)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("nats-server starts");
        self.server = Some(server);
        wait_until_listening("NATS", self.port, &self.log);
    }

    /// SIGKILL: the server loses what it had not written to its store.
    pub fn kill(&mut self) {
        let mut server = self.server.take().expect("NATS is running");
        signal(&server, libc::SIGKILL);
        server.wait().expect("nats-server exits");
    }
}

impl Drop for OwnNats {
    fn drop(&mut self) {
        if let Some(mut server) = self.server.take() {
            signal(&server, libc::SIGKILL);
            let _ = server.wait();
        }
    }
}

/// A PostgreSQL cluster and a NATS server of the test's own, in one temporary directory.
pub struct OwnServers {
    pub postgres: OwnPostgres,
    pub nats: OwnNats,
    _dir: tempfile::TempDir,
}

impl OwnServers {
    /// `None`, with a loud message, where the machine lacks the server binaries.
    pub fn start() -> Option<Self> {
        Self::started(None)
    }

    /// Both speaking TLS only, with `tls`'s certificate (which must name 127.0.0.1); NATS asks
    /// for [`NATS_USER`] and [`NATS_PASSWORD`]. [`OwnServers::test_servers`] then gives a
    /// `sslmode=verify-full` database URL and a `tls://` NATS URL.
    pub fn start_with_tls(tls: &ServerTls) -> Option<Self> {
        Self::started(Some(tls))
    }

    fn started(tls: Option<&ServerTls>) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let Some(postgres) = OwnPostgres::init(dir.path(), tls) else {
            eprintln!(
                "SKIPPED: no PostgreSQL server binaries (/usr/lib/postgresql/*/bin or \
                 SYNERGIES_TEST_POSTGRES_BIN): this test runs its own cluster"
            );
            return None;
        };
        let Some(nats) = OwnNats::init(dir.path(), tls) else {
            eprintln!("SKIPPED: no nats-server binary: this test runs its own NATS server");
            return None;
        };
        Some(Self {
            postgres,
            nats,
            _dir: dir,
        })
    }

    pub fn test_servers(&self) -> synergies_platform::testing::TestServers {
        synergies_platform::testing::TestServers {
            database_url: self.postgres.url(),
            nats_url: self.nats.url(),
        }
    }
}

fn signal(child: &Child, signal: i32) {
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits");
    // SAFETY: sending a signal to our own child process has no memory-safety impact.
    #[allow(unsafe_code)]
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Waits (bounded) until something accepts TCP connections on `port`.
fn wait_until_listening(what: &str, port: u16, log: &Path) {
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} did not start on port {port}:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
