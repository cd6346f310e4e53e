//! A recording Lambda endpoint: serves the real Lambda Invoke API wire format
//! (`POST /2015-03-31/functions/<name>/invocations`, `X-Amz-Function-Error`) so the gateway
//! can be tested against a fixture template whose functions behave as each test needs.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;

/// What a fixture function answers: its result, or an error payload.
#[allow(dead_code)] // each test binary uses some of the variants
pub enum Answer {
    Ok(Value),
    Error(Value),
    Slow(std::time::Duration),
}

type Behaviour = Arc<dyn Fn(&str, &Value) -> Answer + Send + Sync>;
type Calls = Arc<Mutex<Vec<(String, Value)>>>;

#[derive(Clone)]
pub struct Lambda {
    pub addr: SocketAddr,
    pub calls: Calls,
}

impl Lambda {
    pub async fn start(behaviour: impl Fn(&str, &Value) -> Answer + Send + Sync + 'static) -> Self {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let state = (calls.clone(), Arc::new(behaviour) as Behaviour);
        let app = axum::Router::new()
            .route("/2015-03-31/functions/{name}/invocations", post(invoke))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, calls }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn calls_to(&self, name: &str) -> Vec<Value> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

async fn invoke(
    State((calls, behaviour)): State<(Calls, Behaviour)>,
    Path(name): Path<String>,
    body: String,
) -> (StatusCode, HeaderMap, String) {
    let payload: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    calls.lock().unwrap().push((name.clone(), payload.clone()));
    let mut headers = HeaderMap::new();
    match behaviour(&name, &payload) {
        Answer::Ok(v) => (StatusCode::OK, headers, v.to_string()),
        Answer::Error(v) => {
            headers.insert("x-amz-function-error", "Unhandled".parse().unwrap());
            (StatusCode::OK, headers, v.to_string())
        }
        Answer::Slow(d) => {
            tokio::time::sleep(d).await;
            (StatusCode::OK, headers, "{}".to_owned())
        }
    }
}
