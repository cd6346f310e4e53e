//! `summaries`: one document per rated movie, `{_id: movieId, wanted, done, dirty, pending,
//! pendingUntil, leaseUntil, holder, count, sum, distribution: {"1".."5"}, average,
//! updatedAt}`.
//!
//! - `pending` and `pendingUntil`: a writer marks the movie ([`SummaryStore::mark`]: `$inc
//!   pending`, `$max pendingUntil` = now + [`PENDING`], `dirty`) *before* its rating write, so
//!   a write whose count never comes (the count failed, the request was cut, the instance
//!   died) still leaves the summary dirty, and not clean before `pendingUntil`;
//! - `wanted` counts the rating writes of the movie (one `$inc` after each, outside any
//!   transaction: single-document and atomic, so a hot movie only serializes them); the same
//!   update takes the writer's mark back (`$inc pending: -1`);
//! - `done` is the `wanted` the stored summary was computed after (it includes every write
//!   counted up to it);
//! - `dirty` is set by every mark and every `$inc` and cleared only by a holder releasing its
//!   lease while `wanted` is still the `done` it wrote and no writer may be between its mark
//!   and its count (`pending` is 0, or `pendingUntil` has passed: every writer that marked
//!   before it has counted or never will): the sweeper's index (a summary that may be behind);
//! - `leaseUntil` and `holder`: the one writer of the summary now (`ops::summarize`).

use std::time::Duration;

use bson::oid::ObjectId;
use bson::{doc, Bson, DateTime, Document};
use futures_util::TryStreamExt;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{ClientSession, Collection, Database, IndexModel};

use crate::domain::{Distribution, Summary, SummaryView};

const COLLECTION: &str = "summaries";

/// How long a summary writer holds a movie: comfortably longer than the worst pass (its
/// transaction's retries, up to 10 s, and the SNS flush, 3 s), so a slow holder is not taken
/// over mid-pass (were it, its writes, filtered on `holder`, would fail and write nothing);
/// a holder that died is replaced by the sweeper within a minute and this.
pub const LEASE: Duration = Duration::from_secs(30);

/// How long a writer's mark keeps the summary from being left clean: longer than a request
/// can take between its mark and its count. The rating functions' timeout is 10 s
/// (template.yaml, `Globals`), so 30 s: past `pendingUntil`, every writer that marked has
/// counted its write or was stopped, and a pass then includes its write if it happened.
pub const PENDING: Duration = Duration::from_secs(30);

/// A movie's summary lease, as taken.
#[derive(Debug, Clone)]
pub struct Lease {
    /// The movie.
    pub movie: ObjectId,
    /// This writer's id (a fresh uuid per lease): every write of the holder filters on it.
    pub holder: String,
    /// `wanted` when the lease was taken.
    pub wanted: i64,
}

/// The summaries collection. Cheap to clone.
#[derive(Clone)]
pub struct SummaryStore {
    summaries: Collection<Document>,
    /// [`PENDING`]; shorter in tests, so that a mark without its count expires at once.
    pending: Duration,
}

impl SummaryStore {
    /// The collection in `db`.
    pub fn new(db: &Database) -> Self {
        Self {
            summaries: db.collection(COLLECTION),
            pending: PENDING,
        }
    }

    /// The same store with marks lasting `pending` instead of [`PENDING`] (tests: a writer
    /// stopped between its write and its count, whose mark has expired).
    pub fn with_pending(mut self, pending: Duration) -> Self {
        self.pending = pending;
        self
    }

    /// Before a rating write of `movie`: a write may come that is not counted yet (`$inc
    /// pending`, `$max pendingUntil`, `dirty`), creating the document on the movie's first
    /// rating. One single-document update: if the write's count never comes, the summary
    /// stays dirty and the sweeper's pass (it counts from the ratings) includes the write.
    pub async fn mark(&self, movie: ObjectId) -> Result<(), mongodb::error::Error> {
        let now = DateTime::now().timestamp_millis();
        let until = DateTime::from_millis(now + self.pending.as_millis() as i64);
        self.summaries
            .update_one(
                doc! {"_id": movie},
                doc! {
                    "$inc": {"pending": 1_i64},
                    "$max": {"pendingUntil": until},
                    "$set": {"dirty": true},
                },
            )
            .upsert(true)
            .await?;
        Ok(())
    }

    /// After a marked rating write of `movie` was acknowledged: one more write to include
    /// (`$inc wanted`, `dirty`), and the writer's mark taken back (`$inc pending: -1`).
    pub async fn want(&self, movie: ObjectId) -> Result<(), mongodb::error::Error> {
        self.summaries
            .update_one(
                doc! {"_id": movie},
                doc! {"$inc": {"wanted": 1_i64, "pending": -1_i64}, "$set": {"dirty": true}},
            )
            .upsert(true)
            .await?;
        Ok(())
    }

    /// A marked write that wrote nothing (a DELETE that found no rating): its mark taken back
    /// (`$inc pending: -1`), nothing counted.
    pub async fn unmark(&self, movie: ObjectId) -> Result<(), mongodb::error::Error> {
        self.summaries
            .update_one(doc! {"_id": movie}, doc! {"$inc": {"pending": -1_i64}})
            .await?;
        Ok(())
    }

    /// [`SummaryStore::mark`] for many movies at once (a user-deletion saga changes every
    /// rating of a user): one many-document update of their existing summaries (a movie its
    /// user rated has one: the rating's own write marked it).
    pub async fn mark_many(&self, movies: &[ObjectId]) -> Result<(), mongodb::error::Error> {
        let now = DateTime::now().timestamp_millis();
        let until = DateTime::from_millis(now + self.pending.as_millis() as i64);
        self.summaries
            .update_many(
                doc! {"_id": {"$in": movies}},
                doc! {
                    "$inc": {"pending": 1_i64},
                    "$max": {"pendingUntil": until},
                    "$set": {"dirty": true},
                },
            )
            .await?;
        Ok(())
    }

    /// [`SummaryStore::want`] for many movies at once (see [`SummaryStore::mark_many`]).
    pub async fn want_many(&self, movies: &[ObjectId]) -> Result<(), mongodb::error::Error> {
        self.summaries
            .update_many(
                doc! {"_id": {"$in": movies}},
                doc! {"$inc": {"wanted": 1_i64, "pending": -1_i64}, "$set": {"dirty": true}},
            )
            .await?;
        Ok(())
    }

    /// [`SummaryStore::unmark`] for many movies at once (their write failed).
    pub async fn unmark_many(&self, movies: &[ObjectId]) -> Result<(), mongodb::error::Error> {
        self.summaries
            .update_many(
                doc! {"_id": {"$in": movies}},
                doc! {"$inc": {"pending": -1_i64}},
            )
            .await?;
        Ok(())
    }

    /// Takes `movie`'s lease if nobody holds it (free or expired): one atomic
    /// `findOneAndUpdate`. `None`: another writer holds it (and will include what is wanted
    /// now), or the movie has no summary document yet.
    pub async fn take(&self, movie: ObjectId) -> Result<Option<Lease>, mongodb::error::Error> {
        let now = DateTime::now();
        let holder = uuid::Uuid::new_v4().to_string();
        let until = DateTime::from_millis(now.timestamp_millis() + LEASE.as_millis() as i64);
        let taken = self
            .summaries
            .find_one_and_update(
                doc! {
                    "_id": movie,
                    "$or": [{"leaseUntil": null}, {"leaseUntil": {"$lte": now}}],
                },
                doc! {"$set": {"leaseUntil": until, "holder": &holder}},
            )
            .return_document(ReturnDocument::After)
            .await?;
        Ok(taken.map(|doc| Lease {
            movie,
            holder,
            wanted: integer(&doc, "wanted"),
        }))
    }

    /// `wanted` now (0 when the movie has no summary document).
    pub async fn wanted(&self, movie: ObjectId) -> Result<i64, mongodb::error::Error> {
        Ok(self
            .summaries
            .find_one(doc! {"_id": movie})
            .projection(doc! {"wanted": 1})
            .await?
            .map_or(0, |doc| integer(&doc, "wanted")))
    }

    /// Inside the pass's transaction, as its first operation: stores `summary`, computed after
    /// `wanted` was read as `done`. `false` (nothing written) when `lease` was taken over.
    pub async fn record(
        &self,
        session: &mut ClientSession,
        lease: &Lease,
        done: i64,
        summary: &Summary,
    ) -> Result<bool, mongodb::error::Error> {
        let d = summary.distribution;
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let updated = self
            .summaries
            .update_one(
                doc! {"_id": lease.movie, "holder": &lease.holder},
                doc! {"$set": {
                    "done": done,
                    "count": n(summary.count()),
                    "sum": n(summary.sum()),
                    "average": summary.average(),
                    "distribution": {
                        "1": n(d.one), "2": n(d.two), "3": n(d.three), "4": n(d.four), "5": n(d.five),
                    },
                    "updatedAt": DateTime::now(),
                }},
            )
            .session(session)
            .await?;
        Ok(updated.matched_count > 0)
    }

    /// Gives `lease` up. When `done` is given, `wanted` still equals it and no writer may be
    /// between its mark and its count (`pending` is 0, or `pendingUntil` has passed), the
    /// summary is clean (`dirty: false`, and `pending` back to 0: whoever marked before an
    /// expired `pendingUntil` has counted or never will); `true` then. Otherwise (a write came
    /// in since the last pass, a writer may be about to count one, or the pass failed) it stays
    /// dirty for the next writer or the sweeper; `false`.
    pub async fn release(
        &self,
        lease: &Lease,
        done: Option<i64>,
    ) -> Result<bool, mongodb::error::Error> {
        let unset = doc! {"leaseUntil": "", "holder": ""};
        if let Some(done) = done {
            let now = DateTime::now();
            let clean = self
                .summaries
                .update_one(
                    doc! {
                        "_id": lease.movie,
                        "holder": &lease.holder,
                        "wanted": done,
                        "$or": [
                            {"pending": null},
                            {"pending": {"$lte": 0_i64}},
                            {"pendingUntil": null},
                            {"pendingUntil": {"$lte": now}},
                        ],
                    },
                    doc! {
                        "$set": {"dirty": false, "pending": 0_i64},
                        "$unset": {"leaseUntil": "", "holder": "", "pendingUntil": ""},
                    },
                )
                .await?;
            if clean.matched_count > 0 {
                return Ok(true);
            }
        }
        self.summaries
            .update_one(
                doc! {"_id": lease.movie, "holder": &lease.holder},
                doc! {"$unset": unset},
            )
            .await?;
        Ok(false)
    }

    /// The stored summary of `movie` as shown (zeros when it was never rated): one read by
    /// `_id`.
    pub async fn view(&self, movie: ObjectId) -> Result<SummaryView, mongodb::error::Error> {
        let stored = self
            .summaries
            .find_one(doc! {"_id": movie})
            .projection(doc! {"count": 1, "average": 1, "distribution": 1})
            .await?;
        let mut view = SummaryView {
            movie_id: movie.to_hex(),
            average: 0.0,
            count: 0,
            distribution: Distribution::default(),
        };
        if let Some(doc) = stored {
            let u = |v: i64| u64::try_from(v).unwrap_or(0);
            view.count = u(integer(&doc, "count"));
            view.average = match doc.get("average") {
                Some(Bson::Double(a)) => *a,
                _ => 0.0,
            };
            if let Ok(d) = doc.get_document("distribution") {
                view.distribution = Distribution {
                    one: u(integer(d, "1")),
                    two: u(integer(d, "2")),
                    three: u(integer(d, "3")),
                    four: u(integer(d, "4")),
                    five: u(integer(d, "5")),
                };
            }
        }
        Ok(view)
    }

    /// Up to `limit` movies whose summary may be behind (`dirty`) and whose lease is free or
    /// expired: the sweeper's work.
    pub async fn dirty(&self, limit: i64) -> Result<Vec<ObjectId>, mongodb::error::Error> {
        let now = DateTime::now();
        let found: Vec<Document> = self
            .summaries
            .find(doc! {
                "dirty": true,
                "$or": [{"leaseUntil": null}, {"leaseUntil": {"$lte": now}}],
            })
            .projection(doc! {"_id": 1})
            .limit(limit)
            .await?
            .try_collect()
            .await?;
        Ok(found
            .iter()
            .filter_map(|d| d.get_object_id("_id").ok())
            .collect())
    }

    /// `done` and `wanted` of `movie` (tests and logs: `done == wanted` once every write is in
    /// the summary).
    pub async fn progress(&self, movie: ObjectId) -> Result<(i64, i64), mongodb::error::Error> {
        Ok(self
            .summaries
            .find_one(doc! {"_id": movie})
            .await?
            .map_or((0, 0), |d| (integer(&d, "done"), integer(&d, "wanted"))))
    }
}

/// An integer field whichever width it was stored in (0 when absent).
fn integer(doc: &Document, key: &str) -> i64 {
    match doc.get(key) {
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Double(f)) => *f as i64,
        _ => 0,
    }
}

/// The sweeper's index: dirty summaries.
pub(crate) async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    db.collection::<Document>(COLLECTION)
        .create_index(
            IndexModel::builder()
                .keys(doc! {"dirty": 1})
                .options(IndexOptions::builder().name("dirty".to_owned()).build())
                .build(),
        )
        .await?;
    Ok(())
}
