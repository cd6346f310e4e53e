//! `Schedule` events: invoke the function on its `rate(...)`, as EventBridge would.

use serde_json::json;

use crate::invoke::Invoker;
use crate::template::{Function, ScheduleSource};

/// Runs one schedule for ever (spawn it).
pub async fn run(invoker: Invoker, function: Function, schedule: ScheduleSource) {
    let Some(every) = schedule.every else {
        tracing::warn!(function = %function.binary, expression = %schedule.expression, "cron schedules are not run locally");
        return;
    };
    let mut ticker = tokio::time::interval(every);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let event = json!({
            "version": "0",
            "id": uuid::Uuid::new_v4().to_string(),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "000000000000",
            "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "region": "us-east-1",
            "resources": [format!("local-schedule/{}", function.logical_id)],
            "detail": {}
        });
        match invoker
            .invoke(&function.binary, &event, function.timeout)
            .await
        {
            Ok(_) => tracing::info!(function = %function.binary, "scheduled invocation"),
            Err(e) => {
                tracing::error!(function = %function.binary, error = %e, "scheduled invocation failed")
            }
        }
    }
}
