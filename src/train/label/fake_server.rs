//! A stand-in for an OpenAI-compatible server, for the end-to-end tests: a
//! real HTTP peer on 127.0.0.1 that answers with canned completions.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde_json::{json, Value};

/// What the fake server answers: a chat completion with this content, or an
/// HTTP error.
pub enum Reply {
    Content(String),
    Status(u16, &'static str),
}

/// One request as the server saw it.
struct Seen {
    authorization: Option<String>,
    body: Value,
}

type Responder = dyn Fn(usize, &Value) -> Reply + Send + Sync;

/// A one-thread HTTP/1.1 server on 127.0.0.1 that answers each request with
/// `respond(request_number, request_body)` and records what it was sent.
pub struct FakeServer {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeServer {
    pub fn start(respond: impl Fn(usize, &Value) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let respond: Box<Responder> = Box::new(respond);
        let thread = {
            let (seen, stop) = (seen.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        serve(stream, &seen, &*respond);
                    }
                }
            })
        };
        Self {
            url,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    pub fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    pub fn request(&self, index: usize) -> (Option<String>, Value) {
        let seen = self.seen.lock().unwrap();
        (seen[index].authorization.clone(), seen[index].body.clone())
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<Seen>>, respond: &Responder) {
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    let mut authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "authorization" => authorization = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let number = {
        let mut seen = seen.lock().unwrap();
        seen.push(Seen {
            authorization,
            body: body.clone(),
        });
        seen.len() - 1
    };
    let (status, text) = match respond(number, &body) {
        Reply::Content(content) => (
            200,
            json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})
                .to_string(),
        ),
        Reply::Status(status, text) => (status, json!({"error": {"message": text}}).to_string()),
    };
    let mut stream = reader.into_inner();
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
}
