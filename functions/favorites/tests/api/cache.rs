//! The cached list pages: served from the cache while nothing they show changed, computed
//! again after every write of their user and after every movie change.

use bson::{doc, Document};
use serde_json::json;

use crate::common::*;

/// Changes alice's notes by hand in MongoDB: a change the service never made, so it bumps
/// nothing. Whether a list shows it tells whether the list came from the cache.
async fn note_behind_the_back(app: &TestApp, note: &str) {
    app.deps
        .db
        .collection::<Document>("favorites")
        .update_many(
            doc! {"userId": app.alice.caller.user_id},
            doc! {"$set": {"note": note}},
        )
        .await
        .unwrap();
}

fn notes(res: &TestResponse) -> Vec<serde_json::Value> {
    res.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["note"].clone())
        .collect()
}

#[tokio::test]
async fn a_list_is_cached_until_its_user_or_a_movie_changes() {
    let app = TestApp::spawn().await;
    let alien = app.movie("Alien").await;
    let heat = app.movie("Heat").await;
    app.add(&app.alice, alien, Some("first"))
        .await
        .assert_ok(201);
    assert_eq!(notes(&app.list(&app.alice, &[]).await), [json!("first")]);

    note_behind_the_back(&app, "by hand").await;
    // Cached: the hand-made change does not show...
    assert_eq!(notes(&app.list(&app.alice, &[]).await), [json!("first")]);
    // ...nor after another user's write (their generation, not alice's)...
    app.add(&app.bob, heat, None).await.assert_ok(201);
    assert_eq!(notes(&app.list(&app.alice, &[]).await), [json!("first")]);
    // ...while another page is a different answer, computed on its own.
    let other = app.list(&app.alice, &[("limit", "5")]).await;
    assert_eq!(notes(&other), [json!("by hand")]);

    // Alice's own write: every page of hers is computed again.
    app.add(&app.alice, heat, None).await.assert_ok(201);
    let res = app.list(&app.alice, &[]).await;
    assert_eq!(notes(&res), [json!(null), json!("by hand")]);
    assert_eq!(res.data()["total"], 2);
    assert_eq!(
        notes(&app.list(&app.alice, &[("limit", "5")]).await).len(),
        2
    );

    // A movie change (any movie's): computed again with the new title.
    note_behind_the_back(&app, "again").await;
    app.deliver(updated(alien, 2, "Alien (1979)"))
        .await
        .unwrap();
    let res = app.list(&app.alice, &[]).await;
    assert_eq!(res.data()["items"][1]["title"], "Alien (1979)");
    assert_eq!(notes(&res), [json!("again"), json!("again")]);

    // A note change and a removal show at once.
    app.update(&app.alice, &heat.to_hex(), json!({"note": "tonight"}))
        .await
        .assert_ok(200);
    assert_eq!(
        notes(&app.list(&app.alice, &[]).await),
        [json!("tonight"), json!("again")]
    );
    app.remove(&app.alice, &heat.to_hex()).await.assert_ok(204);
    let res = app.list(&app.alice, &[]).await;
    assert_eq!(TestApp::movie_ids(&res), [alien.to_hex()]);
    assert_eq!(res.data()["total"], 1);
}

#[tokio::test]
async fn a_failed_write_still_leaves_no_stale_list() {
    let app = TestApp::spawn().await;
    let alien = app.movie("Alien").await;
    app.add(&app.alice, alien, None).await.assert_ok(201);
    app.list(&app.alice, &[]).await.assert_ok(200);
    note_behind_the_back(&app, "by hand").await;
    // A refused add (already a favorite) bumps too: what it may have changed is shown.
    app.add(&app.alice, alien, None)
        .await
        .assert_error(409, "ALREADY_FAVORITE");
    assert_eq!(notes(&app.list(&app.alice, &[]).await), [json!("by hand")]);
    // So do a refused note change and a refused removal (no such favorite).
    let missing = app.movie("Heat").await.to_hex();
    note_behind_the_back(&app, "twice").await;
    app.update(&app.alice, &missing, json!({"note": "x"}))
        .await
        .assert_error(404, "NOT_FOUND");
    assert_eq!(notes(&app.list(&app.alice, &[]).await), [json!("twice")]);
    note_behind_the_back(&app, "thrice").await;
    app.remove(&app.alice, &missing)
        .await
        .assert_error(404, "NOT_FOUND");
    assert_eq!(notes(&app.list(&app.alice, &[]).await), [json!("thrice")]);
}
