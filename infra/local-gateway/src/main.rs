//! `local-gateway`: serves template.yaml's API on a local port and drives its SQS consumers and
//! schedules, invoking functions through the Lambda Invoke API (`cargo lambda watch`), or with
//! `--functions-dir` running their binaries itself behind its own Lambda Runtime API, up to
//! `--instances` per function (the fast mode). `--parameter NAME=VALUE` sets a template
//! parameter, or what `!Ref NAME` of a resource the stack made outside the template (a secret
//! in LocalStack) stands for; the fast mode resolves each function's `*_SECRET_ARN` variables
//! with them, so every secret the functions' entries name must be given.
//!
//! ```text
//! local-gateway --template template.yaml --listen 127.0.0.1:3000 \
//!   --lambda-endpoint http://127.0.0.1:9000 --aws-endpoint http://127.0.0.1:4566 \
//!   --outputs .streamia/outputs.json --mail-outbox .streamia/mail.jsonl \
//!   --parameter FrontendUrl=http://localhost:5173
//! ```

use std::collections::HashMap;
use std::process::ExitCode;

use streamia_local_gateway::console::ConsoleConfig;
use streamia_local_gateway::runtime::RuntimeConfig;
use streamia_local_gateway::server::{start, GatewayConfig};
use streamia_local_gateway::template::Context;

const USAGE: &str = "usage: local-gateway --template FILE [--listen ADDR] [--lambda-endpoint URL] \
[--aws-endpoint URL] [--outputs FILE] [--output Stack.Outputs.Name=VALUE]... [--parameter NAME=VALUE]... \
[--mail-outbox FILE] [--docs-dir DIR] [--logs-dir DIR] [--console-mongodb-uri URI] \
[--console-redis-url URL] [--region REGION] [--stack-name NAME] [--no-event-sources] \
[--functions-dir DIR [--instances N] [--memory MB]]";

fn parse_args() -> Result<GatewayConfig, String> {
    let mut args = std::env::args().skip(1);
    let mut template = None;
    let mut runtime = RuntimeConfig {
        bin_dir: Default::default(),
        instances: 4,
        memory_mb: 256,
        env: Vec::new(),
    };
    let mut functions_dir = false;
    let mut config = GatewayConfig {
        template_text: String::new(),
        context: Context {
            region: std::env::var("AWS_DEFAULT_REGION").unwrap_or_else(|_| "us-east-1".to_owned()),
            stack_name: "streamia-local".to_owned(),
            ..Context::default()
        },
        listen: "127.0.0.1:3000".parse().map_err(|e| format!("{e}"))?,
        lambda_endpoint: None,
        runtime: None,
        aws_endpoint: std::env::var("AWS_ENDPOINT_URL").ok(),
        mail_outbox: None,
        docs_dir: None,
        event_sources: true,
        console: ConsoleConfig {
            database_prefix: std::env::var("MONGODB_DATABASE_PREFIX")
                .unwrap_or_else(|_| "streamia".to_owned()),
            key_prefix: std::env::var("REDIS_KEY_PREFIX")
                .unwrap_or_else(|_| "streamia:".to_owned()),
            ..ConsoleConfig::default()
        },
    };
    let pair = |v: String| -> Result<(String, String), String> {
        v.split_once('=')
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .ok_or(format!("expected NAME=VALUE, got {v}"))
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--template" => template = Some(value()?),
            "--listen" => config.listen = value()?.parse().map_err(|e| format!("--listen: {e}"))?,
            "--lambda-endpoint" => config.lambda_endpoint = Some(value()?),
            "--aws-endpoint" => config.aws_endpoint = Some(value()?),
            "--mail-outbox" => config.mail_outbox = Some(value()?.into()),
            "--docs-dir" => config.docs_dir = Some(value()?.into()),
            "--logs-dir" => config.console.logs_dir = Some(value()?.into()),
            "--console-mongodb-uri" => config.console.mongodb_uri = Some(value()?),
            "--console-redis-url" => config.console.redis_url = Some(value()?),
            "--region" => config.context.region = value()?,
            "--stack-name" => config.context.stack_name = value()?,
            "--parameter" => {
                let (k, v) = pair(value()?)?;
                config.context.parameters.insert(k, v);
            }
            "--output" => {
                let (k, v) = pair(value()?)?;
                config.context.outputs.insert(k, v);
            }
            "--outputs" => {
                let text =
                    std::fs::read_to_string(value()?).map_err(|e| format!("--outputs: {e}"))?;
                let outputs: HashMap<String, String> =
                    serde_json::from_str(&text).map_err(|e| format!("--outputs: {e}"))?;
                config.context.outputs.extend(outputs);
            }
            "--no-event-sources" => config.event_sources = false,
            "--functions-dir" => {
                runtime.bin_dir = value()?.into();
                functions_dir = true;
            }
            "--instances" => {
                runtime.instances = value()?.parse().map_err(|e| format!("--instances: {e}"))?
            }
            "--memory" => {
                runtime.memory_mb = value()?.parse().map_err(|e| format!("--memory: {e}"))?
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    if functions_dir {
        config.runtime = Some(runtime);
    }
    let template = template.ok_or(USAGE)?;
    config.template_text =
        std::fs::read_to_string(&template).map_err(|e| format!("{template}: {e}"))?;
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    streamia_shared::telemetry::init();
    let config = match parse_args() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let running = match start(config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("local-gateway: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(addr = %running.addr, routes = running.routes.len(), "local gateway listening");
    // Returning drops the runtime and with it the function processes (kill on drop), on
    // Ctrl-C and on the TERM the run command sends alike.
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("local-gateway: {e}");
            return ExitCode::FAILURE;
        }
    };
    tokio::select! {
        _ = running.server => ExitCode::FAILURE,
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
        _ = term.recv() => ExitCode::SUCCESS,
    }
}
