//! A role change through the operator's function, seen from a client: the old token is
//! refused by the authorizer (401) on the next request, and the next login has the new role.

use serde_json::json;
use streamia_users::adapters::http::{GET_ME, LOGIN};
use streamia_users::adapters::invoke;

use crate::common::*;

async fn set_role(app: &TestApp, email: &str, role: &str) -> serde_json::Value {
    let out = invoke::set_role(
        app.state,
        json!({"email": email, "role": role, "operator": "Grace", "reason": "test"}),
        "req-test",
    )
    .await
    .unwrap();
    serde_json::to_value(out).unwrap()
}

async fn login(app: &TestApp, email: &str) -> String {
    let res = app
        .call(
            LOGIN,
            post(
                "/api/v1/auth/login",
                json!({"email": email, "password": PASSWORD}),
            ),
        )
        .await;
    res.assert_ok(200);
    res.data()["accessToken"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn promotion_and_demotion_take_effect_on_the_next_request() {
    let app = TestApp::spawn().await;
    let (token, _, user) = app.user().await;
    let email = user["email"].as_str().unwrap();
    app.call_as(&token, GET_ME, request("GET", "/api/v1/users/me"))
        .await
        .assert_ok(200);

    assert_eq!(set_role(&app, email, "admin").await["changed"], true);
    // The user's token (role user) stops working at once.
    let res = app
        .call_as(&token, GET_ME, request("GET", "/api/v1/users/me"))
        .await;
    assert_eq!(res.status, 401, "{}", res.body);
    let admin = login(&app, email).await;
    let me = app
        .call_as(&admin, GET_ME, request("GET", "/api/v1/users/me"))
        .await;
    me.assert_ok(200);
    assert_eq!(me.data()["role"], "admin");
    assert_eq!(app.authorize(&admin).await.unwrap()["role"], "admin");

    set_role(&app, email, "user").await;
    // The demoted admin's 15-minute token is refused at once.
    let res = app
        .call_as(&admin, GET_ME, request("GET", "/api/v1/users/me"))
        .await;
    assert_eq!(res.status, 401, "{}", res.body);
    assert!(app.authorize(&admin).await.is_err());
    let again = login(&app, email).await;
    assert_eq!(app.authorize(&again).await.unwrap()["role"], "user");
}
