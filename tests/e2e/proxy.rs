//! A fault-injecting HTTP proxy on 127.0.0.1 in front of a real registry.
//! A fake is allowed here, and only here: HTTP 500, 429 (with and without
//! Retry-After) and slow answers cannot be produced on demand by the real
//! servers. Everything else is forwarded to the real registry.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub enum Fault {
    Status500,
    Status429 { retry_after: Option<u64> },
    Slow(Duration),
}

pub struct Proxy {
    pub port: u16,
    stop: Arc<AtomicBool>,
    /// How many faults were served.
    pub served: Arc<AtomicUsize>,
}

impl Proxy {
    /// Forwards to `upstream`; each request whose path contains `filter`
    /// takes the next fault of `faults` (per path) until none are left.
    pub fn start(upstream: u16, filter: &str, faults: Vec<Fault>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicUsize::new(0));
        let queues: Arc<Mutex<std::collections::HashMap<String, VecDeque<Fault>>>> = Arc::default();
        let (stop2, served2, filter) = (stop.clone(), served.clone(), filter.to_string());
        std::thread::spawn(move || {
            // bounded: the proxy lives as long as its test, and stops by itself after 10 minutes
            let deadline = std::time::Instant::now() + Duration::from_secs(600);
            while !stop2.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                match listener.accept() {
                    Ok((client, _)) => {
                        let (queues, served, faults, filter) =
                            (queues.clone(), served2.clone(), faults.clone(), filter.clone());
                        std::thread::spawn(move || {
                            let _ = handle(client, upstream, &filter, &faults, &queues, &served);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Proxy { port, stop, served }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn handle(
    mut client: TcpStream,
    upstream: u16,
    filter: &str,
    faults: &[Fault],
    queues: &Mutex<std::collections::HashMap<String, VecDeque<Fault>>>,
    served: &AtomicUsize,
) -> std::io::Result<()> {
    client.set_nonblocking(false)?;
    client.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte)? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
    let fault = if path.contains(filter) {
        let mut q = queues.lock().unwrap();
        q.entry(path.clone()).or_insert_with(|| faults.iter().copied().collect()).pop_front()
    } else {
        None
    };
    match fault {
        Some(Fault::Status500) => {
            served.fetch_add(1, Ordering::SeqCst);
            return client
                .write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
        Some(Fault::Status429 { retry_after }) => {
            served.fetch_add(1, Ordering::SeqCst);
            let extra = retry_after.map(|s| format!("Retry-After: {s}\r\n")).unwrap_or_default();
            let answer =
                format!("HTTP/1.1 429 Too Many Requests\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n");
            return client.write_all(answer.as_bytes());
        }
        Some(Fault::Slow(d)) => {
            served.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(d);
        }
        None => {}
    }
    // forward: one request per connection
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    let mut lines: Vec<&str> =
        text.trim_end().split("\r\n").filter(|l| !l.to_ascii_lowercase().starts_with("connection:")).collect();
    lines.push("Connection: close");
    up.write_all(format!("{}\r\n\r\n", lines.join("\r\n")).as_bytes())?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;
    client.write_all(&answer)
}
