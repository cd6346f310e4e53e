//! The messaging stack's wiring, which LocalStack does not enforce (it ignores queue policies),
//! so the local stack cannot catch a mistake here: every subscription's topic may send to its
//! queue (the queue's policy names that topic in `aws:SourceArn`), and every queue has a
//! dead-letter queue with a redrive policy.

mod common;

use std::collections::BTreeSet;

use serde_yaml::Value;
use streamia_checks::intrinsics::{get_att_target, ref_target};

fn resources() -> serde_yaml::Mapping {
    common::yaml("infra/messaging.yaml")["Resources"]
        .as_mapping()
        .unwrap()
        .clone()
}

/// The topics a queue's policy lets SNS send from.
fn allowed_sources(resources: &serde_yaml::Mapping, queue: &str) -> BTreeSet<String> {
    let mut sources = BTreeSet::new();
    for (_, r) in resources {
        if r["Type"] != "AWS::SQS::QueuePolicy" {
            continue;
        }
        let queues = r["Properties"]["Queues"].as_sequence().unwrap();
        if !queues
            .iter()
            .any(|q| ref_target(q).as_deref() == Some(queue))
        {
            continue;
        }
        for statement in r["Properties"]["PolicyDocument"]["Statement"]
            .as_sequence()
            .unwrap()
        {
            let arn = &statement["Condition"]["ArnEquals"]["aws:SourceArn"];
            let listed: Vec<&Value> = match arn {
                Value::Sequence(items) => items.iter().collect(),
                other => vec![other],
            };
            sources.extend(listed.into_iter().filter_map(ref_target));
        }
    }
    sources
}

#[test]
fn every_subscriptions_topic_may_send_to_its_queue() {
    let resources = resources();
    let mut problems = Vec::new();
    let mut subscriptions = 0;
    for (id, r) in &resources {
        if r["Type"] != "AWS::SNS::Subscription" {
            continue;
        }
        subscriptions += 1;
        let id = id.as_str().unwrap();
        let topic = ref_target(&r["Properties"]["TopicArn"]).expect("TopicArn: !Ref");
        let queue = get_att_target(&r["Properties"]["Endpoint"])
            .and_then(|t| t.strip_suffix(".Arn").map(str::to_owned))
            .expect("Endpoint: !GetAtt <queue>.Arn");
        if !allowed_sources(&resources, &queue).contains(&topic) {
            problems.push(format!("{id}: {queue}'s policy does not let {topic} send"));
        }
        if r["Properties"]["RawMessageDelivery"] != Value::Bool(true) {
            problems.push(format!(
                "{id}: not raw delivery (consumers read the envelope as the body)"
            ));
        }
    }
    assert!(subscriptions >= 12, "{subscriptions} subscriptions");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_consumer_queue_has_a_dead_letter_queue() {
    let resources = resources();
    let mut problems = Vec::new();
    for (id, r) in &resources {
        let id = id.as_str().unwrap();
        if r["Type"] != "AWS::SQS::Queue" || id.ends_with("DLQ") {
            continue;
        }
        let target = get_att_target(&r["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]);
        if target.as_deref() != Some(&format!("{}DLQ.Arn", id.trim_end_matches("Queue"))) {
            problems.push(format!(
                "{id}: no redrive policy to its own DLQ ({target:?})"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
