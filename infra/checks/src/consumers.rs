//! Consumers sized to their timeout.
//!
//! An SQS consumer starts a record only while its per-record reserve is left before the
//! invocation's deadline (minus the platform's margin), and reports every record it did not
//! start as a failure (`shared::events::consumer`). A batch larger than what fits is therefore
//! never finished: its tail comes back on every delivery, each time counting towards the
//! queue's `maxReceiveCount`, and lands in the dead-letter queue without ever being tried. So a
//! function's `BatchSize` times its per-record reserve must fit in its `Timeout` minus that
//! margin.

use std::time::Duration;

use streamia_local_gateway::template::Template;

/// Every SQS event source of `template` whose whole batch cannot be started in time, as one
/// message per problem naming the function; empty when every consumer fits.
///
/// `reserves` is each consumer binary's per-record reserve (`Limits::per_record`), `margin`
/// the time a batch keeps free before the deadline (`Limits::margin`). `BatchSize` defaults to
/// 10 and `Timeout` to the template's `Globals` (3 s without one), as in AWS: the local
/// gateway's parser applies both. A consumer missing from `reserves`, and a reserve for a
/// binary that consumes no queue, are problems too, so the table cannot drift from the
/// template.
pub fn batch_violations(
    template: &Template,
    reserves: &[(&str, Duration)],
    margin: Duration,
) -> Vec<String> {
    let mut problems = Vec::new();
    for function in template.functions.iter().filter(|f| !f.queues.is_empty()) {
        let name = format!("{} ({})", function.logical_id, function.binary);
        let Some(&(_, reserve)) = reserves.iter().find(|(b, _)| *b == function.binary) else {
            problems.push(format!(
                "{name} consumes an SQS queue but declares no per-record reserve: add it to \
                 the reserves table"
            ));
            continue;
        };
        let available = function.timeout.saturating_sub(margin);
        // A zero reserve starts every record: any batch fits.
        let Some(fits) = fitting_records(available, reserve) else {
            continue;
        };
        for queue in function.queues.iter().filter(|q| q.batch_size > fits) {
            let batch = queue.batch_size;
            let needed = reserve.saturating_mul(u32::try_from(batch).unwrap_or(u32::MAX));
            let fix = match fits {
                0 => "not even one record fits".to_owned(),
                fits => format!("set BatchSize to at most {fits}"),
            };
            problems.push(format!(
                "{name}: BatchSize {batch} x {reserve:?} per record = {needed:?} does not fit \
                 in Timeout {timeout:?} minus the {margin:?} margin ({available:?}) for queue \
                 {queue_arn}: records past the ones that fit are never started and reach the \
                 dead-letter queue untried; {fix}, or raise Timeout to at least {least:?}",
                timeout = function.timeout,
                queue_arn = queue.queue_arn,
                least = needed.saturating_add(margin),
            ));
        }
    }
    for (binary, _) in reserves {
        let consumes = template
            .functions
            .iter()
            .any(|f| f.binary == *binary && !f.queues.is_empty());
        if !consumes {
            problems.push(format!(
                "the reserves table lists {binary}, which consumes no SQS queue in the template"
            ));
        }
    }
    problems
}

/// How many records of `reserve` each fit in `available`; `None` when unbounded (a zero
/// reserve: every record is started).
fn fitting_records(available: Duration, reserve: Duration) -> Option<usize> {
    if reserve.is_zero() {
        return None;
    }
    let fits = available.as_nanos() / reserve.as_nanos();
    Some(usize::try_from(fits).unwrap_or(usize::MAX))
}
