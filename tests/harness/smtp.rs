//! A small SMTP server for tests: speaks enough ESMTP for a real client (EHLO, MAIL, RCPT, DATA,
//! RSET, NOOP, QUIT), keeps what it receives, and can answer the next DATA commands with a
//! transient failure (451) to exercise retries.

use std::{net::SocketAddr, sync::Arc};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
    sync::Mutex,
};

#[derive(Default)]
struct Inner {
    messages: Vec<String>,
    fail_next: usize,
    rejected: usize,
}

#[derive(Clone)]
pub struct SmtpServer {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    task: Arc<tokio::task::JoinHandle<()>>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if Arc::strong_count(&self.task) == 1 {
            self.task.abort();
        }
    }
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let addr = listener.local_addr().expect("smtp addr");
        let inner = Arc::new(Mutex::new(Inner::default()));
        let shared = inner.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let inner = shared.clone();
                tokio::spawn(async move {
                    let _ = session(stream, inner).await;
                });
            }
        });
        SmtpServer {
            addr,
            inner,
            task: Arc::new(task),
        }
    }

    /// Answer the next `n` DATA commands with `451`.
    pub async fn fail_next(&self, n: usize) {
        self.inner.lock().await.fail_next = n;
    }

    pub async fn messages(&self) -> Vec<String> {
        self.inner.lock().await.messages.clone()
    }

    pub async fn rejected(&self) -> usize {
        self.inner.lock().await.rejected
    }

    /// Mail settings pointing Chorus at this server.
    pub fn config(&self) -> serde_json::Value {
        serde_json::json!({
            "transport": "smtp",
            "smtp_host": self.addr.ip().to_string(),
            "smtp_port": self.addr.port(),
            "smtp_tls": "none",
            "smtp_timeout_secs": 5,
        })
    }
}

async fn session(stream: tokio::net::TcpStream, inner: Arc<Mutex<Inner>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 test-smtp ESMTP ready\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-test-smtp\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if command.starts_with("HELO")
            || command.starts_with("MAIL FROM")
            || command.starts_with("RCPT TO")
            || command.starts_with("RSET")
            || command.starts_with("NOOP")
        {
            b"250 OK\r\n"
        } else if command.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if command.starts_with("DATA") {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut message = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                message.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            let mut state = inner.lock().await;
            if state.fail_next > 0 {
                state.fail_next -= 1;
                state.rejected += 1;
                b"451 4.3.0 temporarily unavailable, try again\r\n"
            } else {
                state.messages.push(message);
                b"250 2.0.0 queued\r\n"
            }
        } else {
            b"502 5.5.2 command not recognised\r\n"
        };
        write.write_all(reply).await?;
    }
}
