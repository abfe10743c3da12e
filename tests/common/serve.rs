//! `authz-chain serve` as a child process on a loopback port chosen by the OS.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running `serve`.
pub struct Serve {
    child: Child,
    pub address: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Serve {
    /// Starts `serve` with `args` (besides `--bind-address`, `--secure-port` and the JSON log
    /// format, which this adds) and waits until it listens.
    pub fn start<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = super::binary();
        command
            .args([
                "--log-format",
                "json",
                "serve",
                "--bind-address",
                "127.0.0.1",
                "--secure-port",
                "0",
            ])
            .args(args);
        Serve::spawn(command)
    }

    /// Runs `command` (which starts `serve` with the JSON log format, perhaps through a wrapper
    /// such as a shell setting limits) and waits until it logs the address it listens on.
    pub fn spawn(mut command: std::process::Command) -> Self {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let stderr = child.stderr.take().expect("stderr");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let log = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line)
                    && let Some(address) = entry["fields"]["address"].as_str()
                {
                    let _ = tx.send(address.to_owned());
                }
                log.lock().expect("log").push(line);
            }
        });
        let address = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(address) => address.parse().expect("socket address"),
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "serve did not start:\n{}",
                    lines.lock().expect("log").join("\n")
                );
            }
        };
        Serve {
            child,
            address,
            lines,
        }
    }

    /// Everything logged so far.
    pub fn log(&self) -> Vec<String> {
        self.lines.lock().expect("log").clone()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success());
    }

    /// Sends SIGTERM and waits for the exit code.
    pub fn stop(mut self) -> Option<i32> {
        self.terminate();
        self.wait()
    }

    /// Waits for the process to exit.
    pub fn wait(&mut self) -> Option<i32> {
        self.child.wait().expect("wait").code()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
