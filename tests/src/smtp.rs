//! A real SMTP server for tests: `aiosmtpd` (from PyPI) writing every message it receives into
//! a maildir that the test reads. `tests/run.sh` installs it in a virtual environment of its own
//! and names that interpreter in `SYNERGIES_TEST_PYTHON`; without it, `python3` is used.
//!
//! Like a real server whose mailbox is gone, the sink refuses the recipients a test names
//! ([`SmtpSink::refuse`]) with a permanent `550` at `RCPT TO`, and counts those refusals.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct SmtpSink {
    pub port: u16,
    maildir: tempfile::TempDir,
    child: Child,
}

impl SmtpSink {
    pub async fn start() -> Self {
        Self::start_on(crate::free_port()).await
    }

    /// A sink on `port` (a test that first lets the platform find no server there).
    pub async fn start_on(port: u16) -> Self {
        let available = Command::new(python())
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            available,
            "the SMTP sink needs aiosmtpd, which {} cannot import: run the tests with \
             tests/run.sh (it installs aiosmtpd in target/test-python), or `pip install aiosmtpd`",
            python()
        );
        let maildir = tempfile::tempdir().expect("temporary directory");
        std::fs::write(maildir.path().join("refusing_sink.py"), REFUSING_MAILBOX)
            .expect("the sink's handler is written");
        let child = Command::new(python())
            .env("PYTHONPATH", maildir.path())
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "refusing_sink.RefusingMailbox",
            ])
            .arg(maildir.path().join("mail"))
            .arg(maildir.path().join("refused"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let sink = Self {
            port,
            maildir,
            child,
        };
        synergies_platform::testing::eventually(
            "the SMTP sink to listen",
            Duration::from_secs(20),
            || async {
                tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .ok()
                    .map(|_| ())
            },
        )
        .await;
        sink
    }

    /// From now on, `recipient` is refused for good (`550 5.1.1`) at `RCPT TO`.
    pub fn refuse(&self, recipient: &str) {
        let mut refused = self.refused();
        refused.push(recipient.to_lowercase());
        std::fs::write(self.maildir.path().join("refused"), refused.join("\n"))
            .expect("the refusals are written");
    }

    /// `recipient` is accepted again.
    pub fn accept(&self, recipient: &str) {
        let refused: Vec<String> = self
            .refused()
            .into_iter()
            .filter(|r| *r != recipient.to_lowercase())
            .collect();
        std::fs::write(self.maildir.path().join("refused"), refused.join("\n"))
            .expect("the refusals are written");
    }

    fn refused(&self) -> Vec<String> {
        std::fs::read_to_string(self.maildir.path().join("refused"))
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }

    /// How many times the sink refused `recipient` so far.
    pub fn refusals_of(&self, recipient: &str) -> usize {
        std::fs::read_to_string(self.maildir.path().join("refused.log"))
            .unwrap_or_default()
            .lines()
            .filter(|line| line.eq_ignore_ascii_case(recipient))
            .count()
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The split layout on `servers`, its notifications service sending mail to this sink.
    pub async fn split_platform(
        &self,
        servers: &synergies_platform::testing::TestServers,
    ) -> crate::Platform {
        let smtp = self.url();
        crate::Platform::split(servers, |service| {
            if service == "notifications" {
                vec![("SYNERGIES_NOTIFICATIONS__SMTP_URL".to_owned(), smtp.clone())]
            } else {
                Vec::new()
            }
        })
        .await
    }

    /// Waits for a message to `recipient`; returns its headers and decoded text body.
    pub async fn wait_for_mail_to(&self, recipient: &str) -> String {
        let new = self.maildir.path().join("mail").join("new");
        let what = format!("an e-mail to {recipient}");
        synergies_platform::testing::eventually(&what, Duration::from_secs(30), || async {
            let entries = std::fs::read_dir(&new).ok()?;
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .find_map(|path| decode(&path).filter(|message| message.contains(recipient)))
        })
        .await
    }

    /// Every message received so far, decoded as [`Self::wait_for_mail_to`] answers them,
    /// oldest first.
    pub fn mails(&self) -> Vec<String> {
        let new = self.maildir.path().join("mail").join("new");
        let Ok(entries) = std::fs::read_dir(&new) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .collect();
        // Maildir names start with the delivery time: `<seconds>.M<microseconds>P…`, the
        // microseconds not zero-padded, so the names are ordered as numbers, not as text.
        paths.sort_by_key(|path| delivery_time(path));
        paths.iter().filter_map(decode).collect()
    }

    /// Waits until `count` messages received meet `test`; answers them.
    pub async fn wait_for_mails(
        &self,
        what: &str,
        count: usize,
        test: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        synergies_platform::testing::eventually(what, Duration::from_secs(30), || async {
            let found: Vec<String> = self.mails().into_iter().filter(|m| test(m)).collect();
            (found.len() >= count).then_some(found)
        })
        .await
    }
}

/// The delivery time a maildir file name starts with, as (seconds, microseconds), then the
/// name itself for ties; a name that does not parse sorts first.
fn delivery_time(path: &std::path::Path) -> (u64, u64, String) {
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default();
    let mut parts = name.split('.');
    let seconds = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let micros = parts
        .next()
        .and_then(|part| part.strip_prefix('M'))
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(0);
    (seconds, micros, name.to_owned())
}

/// aiosmtpd's maildir handler, refusing the addresses listed in a file (read at each
/// `RCPT TO`, so a test changes them while the sink runs) and logging each refusal.
const REFUSING_MAILBOX: &str = r"
import pathlib
from aiosmtpd.handlers import Mailbox

class RefusingMailbox(Mailbox):
    def __init__(self, mail_dir, refusals):
        super().__init__(mail_dir)
        self.refusals = pathlib.Path(refusals)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refused = self.refusals.read_text().split() if self.refusals.exists() else []
        if address.lower() in refused:
            with open(str(self.refusals) + '.log', 'a') as log:
                log.write(address.lower() + '\n')
            return '550 5.1.1 <%s>: Recipient address rejected: User unknown' % address
        envelope.rcpt_tos.append(address)
        return '250 OK'

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 2:
            parser.error('RefusingMailbox needs a maildir and a file of refused addresses')
        return cls(*args)
";

/// The Python interpreter that has aiosmtpd: `tests/run.sh`'s virtual environment, or `python3`.
fn python() -> String {
    std::env::var("SYNERGIES_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Headers (`To`, `Subject`, `List-*`) and the transfer-decoded body (each part of a multipart one, text then HTML),
/// through Python's e-mail parser.
fn decode(path: &PathBuf) -> Option<String> {
    let script = "import email,sys\nm=email.message_from_file(open(sys.argv[1]))\n\
                  print('To: '+str(m['To']))\nprint('Subject: '+str(email.header.make_header(email.header.decode_header(m['Subject']))))\n\
                  [print(k+': '+str(v)) for k,v in m.items() if k.startswith('List-')]\n\
                  parts=[p for p in m.walk() if not p.is_multipart()]\n\
                  [print(p.get_payload(decode=True).decode(p.get_content_charset() or 'utf-8')) for p in parts]";
    let output = Command::new(python())
        .args(["-c", script])
        .arg(path)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
