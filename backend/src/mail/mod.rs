//! Email. Every message goes through the durable [`outbox`]: it is written in the same
//! transaction as the change that causes it and delivered by a background sender over one of
//! the transports below (SMTP with a connection pool, `.eml` files, or memory for tools).

pub mod outbox;
pub mod routes;
pub mod templates;

use std::{sync::Arc, time::Duration};

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    transport::smtp::{
        PoolConfig,
        authentication::Credentials,
        client::{Tls, TlsParameters},
    },
};
use secrecy::ExposeSecret;
use tokio::sync::Mutex;

use crate::config::{MailConfig, MailTransportKind, SmtpTls};

/// A message as handed to a transport, kept by the memory transport.
#[derive(Debug, Clone)]
pub struct SentMail {
    pub to: String,
    pub subject: String,
    pub raw: String,
}

#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
    Memory(Arc<Mutex<Vec<SentMail>>>),
}

/// A failed delivery; `permanent` failures (such as a rejected recipient) are not retried.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct DeliveryError {
    pub message: String,
    pub permanent: bool,
}

impl Mailer {
    pub fn from_config(config: &MailConfig, data_dir: &std::path::Path) -> anyhow::Result<Self> {
        Ok(match config.transport {
            MailTransportKind::Memory => Self::Memory(Arc::default()),
            MailTransportKind::File => {
                let dir = config
                    .file_dir
                    .clone()
                    .unwrap_or_else(|| data_dir.join("mail"));
                std::fs::create_dir_all(&dir)?;
                Self::File(AsyncFileTransport::new(dir))
            }
            MailTransportKind::Smtp => {
                let host = config.smtp_host.clone().unwrap_or_default();
                let mut builder = match config.smtp_tls {
                    SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host),
                    SmtpTls::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
                            .tls(Tls::Required(TlsParameters::new(host.clone())?))
                    }
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
                        .tls(Tls::Wrapper(TlsParameters::new(host.clone())?)),
                };
                builder = builder
                    .port(config.smtp_port)
                    .timeout(Some(Duration::from_secs(config.smtp_timeout_secs)))
                    .pool_config(PoolConfig::new().max_size(config.smtp_pool_size.max(1)));
                if let (Some(user), Some(password)) = (&config.smtp_username, &config.smtp_password)
                {
                    builder = builder.credentials(Credentials::new(
                        user.clone(),
                        password.expose_secret().to_owned(),
                    ));
                }
                Self::Smtp(builder.build())
            }
        })
    }

    /// Messages kept by the memory transport (empty for the others).
    pub async fn sent(&self) -> Vec<SentMail> {
        match self {
            Self::Memory(store) => store.lock().await.clone(),
            _ => Vec::new(),
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), DeliveryError> {
        match self {
            Self::Smtp(transport) => {
                transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| DeliveryError {
                        permanent: e.is_permanent(),
                        message: format!("smtp: {e}"),
                    })
            }
            Self::File(transport) => {
                transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| DeliveryError {
                        permanent: false,
                        message: format!("file: {e}"),
                    })
            }
            Self::Memory(store) => {
                let to = message
                    .envelope()
                    .to()
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                let subject = message
                    .headers()
                    .get_raw("Subject")
                    .unwrap_or_default()
                    .to_owned();
                let raw = String::from_utf8_lossy(&message.formatted()).into_owned();
                store.lock().await.push(SentMail { to, subject, raw });
                Ok(())
            }
        }
    }
}
