//! A minimal client for OpenAI-compatible chat completion endpoints
//! (OpenAI, vLLM, llama.cpp's server, llama-cpp-python, Ollama, ...).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use super::LabelError;

/// A full answer is under 150 tokens; the cap only ends a runaway answer
/// (a small model can loop until it is stopped).
const MAX_ANSWER_TOKENS: u32 = 300;

/// Error bodies are quoted in messages up to this many characters.
const MAX_QUOTED_BODY: usize = 300;

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub role: &'static str,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: "system",
            content: content.into(),
        }
    }
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: "user",
            content: content.into(),
        }
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: "assistant",
            content: content.into(),
        }
    }
}

/// Why a call produced no answer.
#[derive(Debug)]
pub enum CallError {
    /// Retrying cannot help any row: the server is gone, or refuses this
    /// key, URL or model.
    Fatal(LabelError),
    /// This request failed (timeout, overload, a prompt the server refused);
    /// `transient` says whether waiting before a retry may help.
    Row { reason: String, transient: bool },
}

/// Where and how to ask.
#[derive(Debug, Clone)]
pub struct ChatClient {
    agent: ureq::Agent,
    url: String,
    /// `url` without credentials, for messages.
    shown_url: String,
    host: String,
    model: String,
    api_key: Option<String>,
    format: AnswerFormat,
}

/// How the teacher is asked for the shape of its answer: the request's
/// `response_format`, which servers differ on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AnswerFormat {
    /// No `response_format`: plain text, for servers that reject it.
    Text,
    /// `{"type": "json_object"}`: any JSON object (OpenAI's JSON mode,
    /// llama.cpp's server, llama-cpp-python, Ollama, vLLM).
    #[default]
    JsonObject,
    /// `{"type": "json_schema", "json_schema": {...}}`: OpenAI's structured
    /// outputs, also taken by llama.cpp's server, Ollama and vLLM.
    JsonSchema,
    /// `{"type": "json_object", "schema": {...}}`: the schema inside JSON
    /// mode, the form llama-cpp-python's server takes.
    SchemaInJsonObject,
}

impl AnswerFormat {
    /// The `response_format` for an answer that must match `schema`.
    fn request<'a, S: Serialize>(self, schema: &'a S) -> Option<FormatRequest<'a, S>> {
        let (kind, json_schema, schema) = match self {
            Self::Text => return None,
            Self::JsonObject => ("json_object", None, None),
            Self::JsonSchema => (
                "json_schema",
                Some(NamedSchema {
                    name: "snippet_labels",
                    strict: true,
                    schema,
                }),
                None,
            ),
            Self::SchemaInJsonObject => ("json_object", None, Some(schema)),
        };
        Some(FormatRequest {
            kind,
            json_schema,
            schema,
        })
    }

    /// The `--response-format` value that selects it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::JsonObject => "json-object",
            Self::JsonSchema => "json-schema",
            Self::SchemaInJsonObject => "schema-in-json-object",
        }
    }
}

// Typed rather than `serde_json::Value`, so that the schema's properties
// keep their order: grammar-constrained servers generate them in it.
#[derive(Serialize)]
struct Request<'a, S: Serialize> {
    model: &'a str,
    messages: &'a [Message],
    temperature: f32,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<FormatRequest<'a, S>>,
}

#[derive(Serialize)]
struct FormatRequest<'a, S: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    json_schema: Option<NamedSchema<'a, S>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: Option<&'a S>,
}

#[derive(Serialize)]
struct NamedSchema<'a, S: Serialize> {
    name: &'static str,
    strict: bool,
    schema: &'a S,
}

#[derive(Deserialize)]
struct Response {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: ReplyMessage,
}

#[derive(Deserialize)]
struct ReplyMessage {
    content: Option<String>,
}

/// The chat completions URL for `endpoint`, which may be the server root,
/// the `/v1` base or the full completions URL.
pub fn completions_url(endpoint: &str) -> Result<Url, LabelError> {
    let invalid = |reason: &str| LabelError::InvalidEndpoint {
        endpoint: endpoint.to_owned(),
        reason: reason.to_owned(),
    };
    let mut url = Url::parse(endpoint.trim())
        .map_err(|e| invalid(&format!("{e} (expected a URL like http://127.0.0.1:8080)")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if url.host_str().is_none() {
        return Err(invalid("there is no host"));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    let full = if path.ends_with("/chat/completions") {
        path
    } else if path.ends_with("/v1") {
        format!("{path}/chat/completions")
    } else {
        format!("{path}/v1/chat/completions")
    };
    url.set_path(&full);
    Ok(url)
}

impl ChatClient {
    /// A client for `endpoint`; `format` says how the answer's shape is
    /// asked for (servers backed by llama.cpp enforce it with a grammar).
    pub fn new(
        endpoint: &str,
        model: &str,
        api_key: Option<String>,
        timeout: Duration,
        format: AnswerFormat,
    ) -> Result<Self, LabelError> {
        let url = completions_url(endpoint)?;
        let host = url.host_str().unwrap_or_default().to_owned();
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            .build();
        let mut shown = url.clone();
        // Clearing credentials cannot fail on an http(s) URL with a host.
        let _ = shown.set_password(None);
        let _ = shown.set_username("");
        Ok(Self {
            agent,
            url: url.to_string(),
            shown_url: shown.to_string(),
            host,
            model: model.to_owned(),
            api_key,
            format,
        })
    }

    /// The endpoint's host name, recorded with every label (never the key,
    /// the path or the port).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The model name sent with every request.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The text of the first choice for `messages`; `schema` is the JSON
    /// schema of a good answer, sent when the format asks for one.
    pub fn complete(
        &self,
        messages: &[Message],
        temperature: f32,
        schema: &impl Serialize,
    ) -> Result<String, CallError> {
        let body = Request {
            model: &self.model,
            messages,
            temperature,
            max_tokens: MAX_ANSWER_TOKENS,
            response_format: self.format.request(schema),
        };
        let body = serde_json::to_string(&body).map_err(|e| CallError::Row {
            reason: format!("could not encode the request: {e}"),
            transient: false,
        })?;
        let mut request = self
            .agent
            .post(&self.url)
            .set("Content-Type", "application/json");
        if let Some(key) = &self.api_key {
            request = request.set("Authorization", &format!("Bearer {key}"));
        }
        match request.send_string(&body) {
            Ok(response) => {
                let text = response.into_string().map_err(|e| CallError::Row {
                    reason: format!("reading the response failed: {e}"),
                    transient: true,
                })?;
                first_choice(&text)
            }
            Err(ureq::Error::Status(status, response)) => {
                let body = response.into_string().unwrap_or_default();
                Err(self.status_error(status, &body))
            }
            Err(ureq::Error::Transport(transport)) => Err(self.transport_error(&transport)),
        }
    }

    fn status_error(&self, status: u16, body: &str) -> CallError {
        let quoted: String = body.trim().chars().take(MAX_QUOTED_BODY).collect();
        // A server that does not take this `response_format` refuses every
        // request alike (llama-cpp-python even answers 500 to it).
        if self.format != AnswerFormat::Text
            && matches!(status, 400 | 422 | 500)
            && mentions_format(body)
        {
            return CallError::Fatal(LabelError::FormatRefused {
                url: self.shown_url.clone(),
                format: self.format.name(),
                instead: match self.format {
                    AnswerFormat::JsonSchema => "schema-in-json-object or json-object",
                    AnswerFormat::SchemaInJsonObject => "json-schema or json-object",
                    AnswerFormat::JsonObject | AnswerFormat::Text => "text",
                },
                status,
                body: quoted,
            });
        }
        match status {
            // Wrong key, wrong URL or unknown model: the same for every row.
            401 | 403 | 404 => CallError::Fatal(LabelError::Refused {
                url: self.shown_url.clone(),
                status,
                body: quoted,
            }),
            408 | 409 | 429 | 500..=599 => CallError::Row {
                reason: format!("HTTP {status}: {quoted}"),
                transient: true,
            },
            // 400 and friends: usually this prompt (too long for the context).
            _ => CallError::Row {
                reason: format!("HTTP {status}: {quoted}"),
                transient: false,
            },
        }
    }

    fn transport_error(&self, transport: &ureq::Transport) -> CallError {
        use ureq::ErrorKind;
        match transport.kind() {
            ErrorKind::Dns | ErrorKind::ConnectionFailed | ErrorKind::ProxyConnect => {
                CallError::Fatal(LabelError::Unreachable {
                    url: self.shown_url.clone(),
                    reason: transport_reason(transport),
                })
            }
            ErrorKind::InvalidUrl
            | ErrorKind::UnknownScheme
            | ErrorKind::InsecureRequestHttpsOnly => {
                CallError::Fatal(LabelError::InvalidEndpoint {
                    endpoint: self.shown_url.clone(),
                    reason: transport_reason(transport),
                })
            }
            // Timeouts and dropped connections: the model may just be slow
            // on this row.
            _ => CallError::Row {
                reason: format!("request failed: {}", transport_reason(transport)),
                transient: true,
            },
        }
    }
}

/// Whether an error body is about the request's `response_format`.
fn mentions_format(body: &str) -> bool {
    let body = body.to_lowercase();
    ["response_format", "json_schema", "json_object"]
        .iter()
        .any(|word| body.contains(word))
}

/// What went wrong, without the URL that ureq's own message repeats.
fn transport_reason(transport: &ureq::Transport) -> String {
    use std::error::Error;
    let mut reason = transport.kind().to_string();
    if let Some(message) = transport.message() {
        reason.push_str(&format!(": {message}"));
    }
    if let Some(source) = transport.source() {
        // An I/O source often wraps a message that already starts with the
        // kind ("Network Error: ..."); say it once.
        let source = source.to_string();
        if source.starts_with(&reason) {
            reason = source;
        } else {
            reason.push_str(&format!(": {source}"));
        }
    }
    reason
}

fn first_choice(body: &str) -> Result<String, CallError> {
    let bad = |reason: String| CallError::Row {
        reason,
        transient: false,
    };
    let response: Response = serde_json::from_str(body).map_err(|e| {
        let quoted: String = body.chars().take(MAX_QUOTED_BODY).collect();
        bad(format!("not a chat completion response ({e}): {quoted}"))
    })?;
    response
        .choices
        .into_iter()
        .next()
        .and_then(|choice| choice.message.content)
        .ok_or_else(|| bad("the response has no message content".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_completions_path_is_added_where_missing() {
        for (endpoint, want) in [
            (
                "http://127.0.0.1:8089",
                "http://127.0.0.1:8089/v1/chat/completions",
            ),
            (
                "http://127.0.0.1:8089/",
                "http://127.0.0.1:8089/v1/chat/completions",
            ),
            ("http://h:1/v1", "http://h:1/v1/chat/completions"),
            ("http://h:1/v1/", "http://h:1/v1/chat/completions"),
            ("https://h/api/v1", "https://h/api/v1/chat/completions"),
            ("https://h/proxy", "https://h/proxy/v1/chat/completions"),
            (
                "https://h/v1/chat/completions",
                "https://h/v1/chat/completions",
            ),
        ] {
            assert_eq!(
                completions_url(endpoint).unwrap().as_str(),
                want,
                "{endpoint}"
            );
        }
    }

    #[test]
    fn endpoints_that_are_not_http_urls_are_refused() {
        for endpoint in ["127.0.0.1:8089", "ftp://h/v1", "not a url", ""] {
            assert!(
                matches!(
                    completions_url(endpoint),
                    Err(LabelError::InvalidEndpoint { .. })
                ),
                "{endpoint}"
            );
        }
    }

    #[test]
    fn the_host_is_recorded_without_port_or_path() {
        let client = ChatClient::new(
            "http://user:secret@example.org:8443/api/v1",
            "m",
            None,
            Duration::from_secs(1),
            AnswerFormat::JsonObject,
        )
        .unwrap();
        assert_eq!(client.host(), "example.org");
    }

    #[test]
    fn responses_without_content_are_row_errors() {
        assert_eq!(
            first_choice(r#"{"choices":[{"message":{"role":"assistant","content":"hi"}}]}"#)
                .unwrap(),
            "hi"
        );
        for body in [
            r#"{"choices":[]}"#,
            r#"{"choices":[{"message":{"content":null}}]}"#,
            "<html>gateway</html>",
        ] {
            assert!(
                matches!(
                    first_choice(body),
                    Err(CallError::Row {
                        transient: false,
                        ..
                    })
                ),
                "{body}"
            );
        }
    }
}
