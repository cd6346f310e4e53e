//! The metrics lines against the CloudWatch Embedded Metric Format specification
//! (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
//! a line CloudWatch Logs cannot read is silently not a metric, so every rule it states is
//! checked here on what the platform emits.

use serde_json::{json, Value};
use streamia_shared::metrics::{Metrics, Unit};

/// The units the specification allows.
const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

fn only_members(
    object: &serde_json::Map<String, Value>,
    allowed: &[&str],
    what: &str,
) -> Result<(), String> {
    match object.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(extra) => Err(format!(
            "{what}: member {extra:?} is not in the specification"
        )),
        None => Ok(()),
    }
}

fn text(value: &Value, max: usize, what: &str) -> Result<String, String> {
    let s = value.as_str().ok_or(format!("{what}: not a string"))?;
    if s.is_empty() || s.chars().count() > max || s.trim().is_empty() {
        return Err(format!(
            "{what}: {s:?} must have 1 to {max} characters, not all blank"
        ));
    }
    Ok(s.to_owned())
}

/// Every rule of the specification's document structure, on one log line.
fn validate(line: &str) -> Result<(), String> {
    // The whole LogEvent message is one JSON object, nothing before or after it.
    let root: Value =
        serde_json::from_str(line).map_err(|e| format!("not one JSON object: {e}"))?;
    let root = root.as_object().ok_or("the root is not an object")?;
    let aws = root
        .get("_aws")
        .and_then(Value::as_object)
        .ok_or("no _aws metadata object")?;
    only_members(aws, &["Timestamp", "CloudWatchMetrics"], "_aws")?;
    let timestamp = aws.get("Timestamp").ok_or("_aws.Timestamp missing")?;
    if timestamp.as_u64().is_none() {
        return Err("_aws.Timestamp must be ms since the epoch (a non-negative integer)".into());
    }
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .ok_or("_aws.CloudWatchMetrics must be an array")?;
    if directives.is_empty() {
        return Err("no MetricDirective".into());
    }
    for directive in directives {
        let directive = directive
            .as_object()
            .ok_or("a MetricDirective is not an object")?;
        only_members(
            directive,
            &["Namespace", "Dimensions", "Metrics"],
            "MetricDirective",
        )?;
        text(
            directive.get("Namespace").ok_or("Namespace missing")?,
            1024,
            "Namespace",
        )?;
        let sets = directive
            .get("Dimensions")
            .and_then(Value::as_array)
            .ok_or("Dimensions must be an array of DimensionSets")?;
        let mut dimension_names = Vec::new();
        for set in sets {
            let set = set.as_array().ok_or("a DimensionSet is not an array")?;
            if set.len() > 30 {
                return Err("a DimensionSet holds at most 30 dimensions".into());
            }
            for name in set {
                let name = text(name, 250, "dimension name")?;
                // Its target member: a string value at the root.
                let value = root
                    .get(&name)
                    .ok_or(format!("dimension {name:?}: no root member"))?;
                let value = text(value, 1024, &format!("dimension {name:?} value"))?;
                if !value.is_ascii() || value.chars().any(|c| c.is_ascii_control()) {
                    return Err(format!(
                        "dimension {name:?}: ASCII without control characters"
                    ));
                }
                dimension_names.push(name);
            }
        }
        let metrics = directive
            .get("Metrics")
            .and_then(Value::as_array)
            .ok_or("Metrics must be an array")?;
        if metrics.len() > 100 {
            return Err("at most 100 MetricDefinitions per directive".into());
        }
        for metric in metrics {
            let metric = metric
                .as_object()
                .ok_or("a MetricDefinition is not an object")?;
            only_members(
                metric,
                &["Name", "Unit", "StorageResolution"],
                "MetricDefinition",
            )?;
            let name = text(
                metric.get("Name").ok_or("Name missing")?,
                1024,
                "metric name",
            )?;
            if dimension_names.contains(&name) {
                return Err(format!("{name:?} is both a dimension and a metric"));
            }
            if let Some(unit) = metric.get("Unit") {
                let unit = unit.as_str().ok_or("Unit must be a string")?;
                if !UNITS.contains(&unit) {
                    return Err(format!("unit {unit:?} is not one of CloudWatch's"));
                }
            }
            if let Some(resolution) = metric.get("StorageResolution") {
                if resolution != &json!(1) && resolution != &json!(60) {
                    return Err("StorageResolution must be 1 or 60".into());
                }
            }
            // Its target member: a number, or an array of at most 100 numbers.
            match root.get(&name) {
                Some(Value::Number(_)) => {}
                Some(Value::Array(values))
                    if values.len() <= 100 && values.iter().all(Value::is_number) => {}
                _ => {
                    return Err(format!(
                        "metric {name:?}: the root member must be a number or up to 100 numbers"
                    ))
                }
            }
        }
    }
    Ok(())
}

#[test]
fn the_platforms_documents_follow_the_specification() {
    let documents = [
        Metrics::of_function()
            .value("Requests", 1.0, Unit::Count)
            .value("Latency", 12.5, Unit::Milliseconds)
            .value("ServerErrors", 0.0, Unit::Count)
            .value("ClientErrors", 1.0, Unit::Count)
            .cold_start(),
        Metrics::of_function()
            .value("Records", 10.0, Unit::Count)
            .value("RecordsFailed", 1.0, Unit::Count)
            .value("RecordsDeferred", 0.0, Unit::Count)
            .value("BatchLatency", 250.0, Unit::Milliseconds)
            .cold_start(),
        Metrics::of_service("users").value("UsersRegistered", 1.0, Unit::Count),
    ];
    for metrics in documents {
        let line = metrics.document(1_796_000_000_000).to_string();
        validate(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(!line.contains('\n'), "one line");
    }
}

#[test]
fn the_validator_refuses_what_cloudwatch_would_not_read() {
    let good = Metrics::of_service("users")
        .value("UsersRegistered", 1.0, Unit::Count)
        .document(1);
    validate(&good.to_string()).unwrap();
    let mut broken = Vec::new();
    let mut missing_target = good.clone();
    missing_target
        .as_object_mut()
        .unwrap()
        .remove("UsersRegistered");
    broken.push(missing_target);
    let mut missing_dimension = good.clone();
    missing_dimension.as_object_mut().unwrap().remove("Service");
    broken.push(missing_dimension);
    let mut text_value = good.clone();
    text_value["UsersRegistered"] = json!("1");
    broken.push(text_value);
    let mut bad_unit = good.clone();
    bad_unit["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = json!("Things");
    broken.push(bad_unit);
    let mut no_timestamp = good.clone();
    no_timestamp["_aws"]
        .as_object_mut()
        .unwrap()
        .remove("Timestamp");
    broken.push(no_timestamp);
    for doc in broken {
        assert!(validate(&doc.to_string()).is_err(), "accepted {doc}");
    }
    assert!(
        validate(&format!("prefix {good}")).is_err(),
        "nothing around the object"
    );
}
