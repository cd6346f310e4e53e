//! The operations called directly, without HTTP types: what an SQS consumer or a saga step
//! would call.

use bson::oid::ObjectId;
use streamia_comments::domain::CommentStatus;
use streamia_comments::ops::{self, Caller, Ctx};
use streamia_comments::CommentsError;
use streamia_shared::domain::Role;
use streamia_shared::paging::Page;

use crate::common::*;

fn caller(id: ObjectId, role: Role) -> Caller {
    Caller {
        user_id: id,
        role,
        session_id: "s".into(),
        token_id: "t".into(),
        expires_at: i64::MAX,
    }
}

#[tokio::test]
async fn the_operations_run_without_http() {
    let app = TestApp::spawn().await;
    let deps = app.deps;
    let movie = app.movie().await;
    let ana = app.user("ana").await;
    let author = caller(ana.id, Role::User);

    let errors = match ops::create::parse(ops::create::Input::default()) {
        Err(CommentsError::Validation(errors)) => errors,
        other => panic!("{other:?}"),
    };
    let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["movieId", "text"]);

    let cmd = ops::create::parse(ops::create::Input {
        movie_id: Some(movie.to_hex()),
        text: Some(" hola ".into()),
        parent_id: None,
    })
    .unwrap();
    let view = ops::create::execute(deps, cmd, &author).await.unwrap();
    assert_eq!(
        (view.text.as_deref(), view.username.as_deref()),
        (Some("hola"), Some("ana"))
    );
    let id = ObjectId::parse_str(&view.id).unwrap();

    let page = ops::list::execute(
        deps,
        ops::list::parse(movie, Page::first(ops::list::RULES)).unwrap(),
        &Ctx::new("c"),
    )
    .await
    .unwrap();
    assert_eq!(page.total, 1);

    let stranger = caller(ObjectId::new(), Role::User);
    let edit = ops::update::parse(
        id,
        ops::update::Input {
            text: Some("x".into()),
        },
    )
    .unwrap();
    assert!(matches!(
        ops::update::execute(deps, edit, &stranger).await,
        Err(CommentsError::Forbidden(_))
    ));
    let report = ops::report::parse(id, ops::report::Input::default()).unwrap();
    assert!(matches!(
        ops::report::execute(deps, report, &author).await,
        Err(CommentsError::OwnComment)
    ));

    let admin = caller(ObjectId::new(), Role::Admin);
    let hide = ops::moderate::parse(
        id,
        ops::moderate::Input {
            action: Some("hide".into()),
        },
    )
    .unwrap();
    let hidden = ops::moderate::execute(deps, hide, &admin).await.unwrap();
    assert_eq!(hidden.status, CommentStatus::Hidden);
    let queue = ops::moderation_list::execute(
        deps,
        ops::moderation_list::parse(ops::moderation_list::Input {
            status: Some("hidden".into()),
            ..Default::default()
        })
        .unwrap(),
        &Ctx::new("c"),
    )
    .await
    .unwrap();
    assert_eq!(queue.items.len(), 1);

    ops::delete::execute(deps, ops::delete::parse(id).unwrap(), &admin)
        .await
        .unwrap();
    assert!(matches!(
        ops::delete::execute(deps, ops::delete::parse(id).unwrap(), &admin).await,
        Err(CommentsError::CommentNotFound)
    ));
    // An unknown movie's 404 says whether to retry.
    let cmd = ops::create::parse(ops::create::Input {
        movie_id: Some(ObjectId::new().to_hex()),
        text: Some("hi".into()),
        parent_id: None,
    })
    .unwrap();
    match ops::create::execute(deps, cmd, &author).await {
        Err(CommentsError::MovieNotFound(unknown)) => assert!(unknown.just_created),
        other => panic!("{other:?}"),
    }
}
