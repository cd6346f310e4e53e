//! Every query is scoped to the caller: no route reads or changes another user's favorites.
//! (Favorites have no "owner or admin" route: someone else's favorite is a 404, as if it did
//! not exist, rather than a 403 that would say it does.)

use serde_json::json;
use streamia_favorites::ops;

use crate::common::*;

#[tokio::test]
async fn another_user_cannot_see_update_or_remove_a_favorite() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Alien").await;
    let id = movie.to_hex();
    app.add(&app.alice, movie, Some("mine"))
        .await
        .assert_ok(201);

    app.get(&app.bob, &id).await.assert_error(404, "NOT_FOUND");
    app.update(&app.bob, &id, json!({"note": "hijacked"}))
        .await
        .assert_error(404, "NOT_FOUND");
    app.remove(&app.bob, &id)
        .await
        .assert_error(404, "NOT_FOUND");
    let res = app.list(&app.bob, &[]).await;
    assert_eq!(res.data()["total"], 0);

    // Alice's favorite is untouched.
    let res = app.get(&app.alice, &id).await;
    res.assert_ok(200);
    assert_eq!(res.data()["note"], "mine");
}

#[tokio::test]
async fn each_list_holds_only_its_users_favorites() {
    let app = TestApp::spawn().await;
    let shared = app.movie("Shared").await;
    let hers = app.movie("Hers").await;
    let his = app.movie("His").await;
    app.add(&app.alice, shared, Some("a")).await.assert_ok(201);
    app.add(&app.alice, hers, None).await.assert_ok(201);
    app.add(&app.bob, shared, Some("b")).await.assert_ok(201);
    app.add(&app.bob, his, None).await.assert_ok(201);

    let res = app.list(&app.alice, &[]).await;
    assert_eq!(TestApp::movie_ids(&res), [hers.to_hex(), shared.to_hex()]);
    assert_eq!(res.data()["items"][1]["note"], "a");
    let res = app.list(&app.bob, &[]).await;
    assert_eq!(TestApp::movie_ids(&res), [his.to_hex(), shared.to_hex()]);
    assert_eq!(res.data()["items"][1]["note"], "b");

    // Bob removing the shared movie leaves Alice's.
    app.remove(&app.bob, &shared.to_hex()).await.assert_ok(204);
    app.get(&app.alice, &shared.to_hex()).await.assert_ok(200);
}

#[tokio::test]
async fn the_operations_take_the_user_from_the_caller_only() {
    // Called directly (no HTTP): the same scoping holds, since the caller is the only source of
    // the user id.
    let app = TestApp::spawn().await;
    let movie = app.movie("Alien").await;
    let cmd = ops::add::parse(ops::add::Input {
        movie_id: Some(movie.to_hex()),
        note: Some(" hi ".into()),
    })
    .unwrap();
    let view = ops::add::execute(app.deps, cmd, &app.alice.caller)
        .await
        .unwrap();
    assert_eq!(view.note.as_deref(), Some("hi"));
    assert_eq!(view.title.as_deref(), Some("Alien"));

    let get = |user: &User| {
        let caller = user.caller.clone();
        async move { ops::get::execute(app.deps, ops::get::parse(movie).unwrap(), &caller).await }
    };
    assert!(get(&app.alice).await.is_ok());
    assert!(matches!(
        get(&app.bob).await,
        Err(streamia_favorites::FavoritesError::FavoriteNotFound)
    ));
    let page = ops::list::execute(
        app.deps,
        ops::list::parse(ops::list::Input::default()).unwrap(),
        &app.bob.caller,
    )
    .await
    .unwrap();
    assert_eq!(page.total, 0);
    let removed = ops::remove::execute(
        app.deps,
        ops::remove::parse(movie).unwrap(),
        &app.bob.caller,
    )
    .await;
    assert!(matches!(
        removed,
        Err(streamia_favorites::FavoritesError::FavoriteNotFound)
    ));
    let page = ops::list::execute(
        app.deps,
        ops::list::parse(ops::list::Input::default()).unwrap(),
        &app.alice.caller,
    )
    .await
    .unwrap();
    assert_eq!(page.total, 1);
}
