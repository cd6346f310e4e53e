//! Each service's MongoDB secret is its own (`streamia_checks::stores`): no function can read
//! another service's, by its environment or by its IAM policies. Checked on the template, on
//! the template with the notifications consumer given the users secret, and on a deliberately
//! broken example.

mod common;

use std::collections::BTreeMap;

use common::{binary_crates, template};
use streamia_checks::stores::{mongo_secret_parameter, mongo_secret_violations};
use streamia_local_gateway::template::{Context, Template};

#[test]
fn each_function_can_read_only_its_own_services_mongodb_secret() {
    let problems = mongo_secret_violations(&template(), &binary_crates());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A crate's name is its service's (`SERVICE`, whose database is `<prefix>_<SERVICE>`), so the
/// secret the rule expects of a crate is the one for that database, and each service with a
/// database has its own parameter.
#[test]
fn each_service_with_a_database_has_its_own_secret() {
    let t = template();
    for (crate_dir, service) in [
        ("users", streamia_users::SERVICE),
        ("notifications", streamia_notifications::SERVICE),
        ("comments", streamia_comments::SERVICE),
    ] {
        assert_eq!(
            crate_dir, service,
            "functions/{crate_dir} is service {service}"
        );
        let parameter = mongo_secret_parameter(service);
        assert!(
            t.document["Parameters"][parameter.as_str()].is_mapping(),
            "{service}: no parameter {parameter}"
        );
    }
    assert!(
        t.document["Parameters"]["MongoDbUriSecretArn"].is_null(),
        "one MongoDB secret for every service is gone"
    );
}

#[test]
fn the_notifications_consumer_given_the_users_secret_fails_the_rule() {
    let t = template();
    let crates = binary_crates();
    let consumer = "NotificationsOnUserEventFunction";
    let blamed = |problems: Vec<String>| problems.iter().any(|p| p.starts_with(consumer));

    // By IAM: the users secret's read policy beside its own.
    let mut by_policy = t.clone();
    by_policy
        .functions
        .iter_mut()
        .find(|f| f.logical_id == consumer)
        .unwrap()
        .policies
        .push(serde_yaml::from_str("!Ref ReadUsersMongoDbUri").unwrap());
    assert!(blamed(mongo_secret_violations(&by_policy, &crates)));

    // By its environment.
    let mut by_env = t.clone();
    by_env.document["Resources"][consumer]["Properties"]["Environment"]["Variables"]
        ["MONGODB_URI_SECRET_ARN"] = serde_yaml::from_str("!Ref UsersMongoDbUriSecretArn").unwrap();
    assert!(blamed(mongo_secret_violations(&by_env, &crates)));
}

/// A template of two services: `UsersGetMeFunction` right, every other function wrong in its
/// own way.
const BROKEN: &str = r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  UsersMongoDbUriSecretArn: {Type: String}
  NotificationsMongoDbUriSecretArn: {Type: String}
  MongoDbUriSecretArn: {Type: String}
Resources:
  ReadUsersMongoDbUri:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: secretsmanager:GetSecretValue, Resource: !Ref UsersMongoDbUriSecretArn}
          - {Effect: Allow, Action: secretsmanager:BatchGetSecretValue, Resource: "*"}
  ReadNotificationsMongoDbUri:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: [secretsmanager:GetSecretValue], Resource: !Ref NotificationsMongoDbUriSecretArn}
  ReadEverySecret:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: "secretsmanager:Get*", Resource: "*"}
  UsersGetMeFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: users-get-me}}
    Properties:
      Environment: {Variables: {MONGODB_URI_SECRET_ARN: !Ref UsersMongoDbUriSecretArn}}
      Policies: [!Ref ReadUsersMongoDbUri]
  NotificationsOnUserEventFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: notifications-on-user-event}}
    Properties:
      Environment: {Variables: {MONGODB_URI_SECRET_ARN: !Ref UsersMongoDbUriSecretArn}}
      Policies: [!Ref ReadUsersMongoDbUri]
  NotificationsOnUserChangeFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: notifications-on-user-change}}
    Properties:
      Environment: {Variables: {MONGODB_URI_SECRET_ARN: !Ref NotificationsMongoDbUriSecretArn}}
      Policies:
        - !Ref ReadNotificationsMongoDbUri
        - AWSSecretsManagerGetSecretValuePolicy: {SecretArn: !Ref UsersMongoDbUriSecretArn}
  NotificationsSetupFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: notifications-setup}}
    Properties:
      Environment: {Variables: {MONGODB_URI_SECRET_ARN: !Ref NotificationsMongoDbUriSecretArn}}
      Policies: [!Ref ReadNotificationsMongoDbUri, !Ref ReadEverySecret]
  NotificationsMailFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: notifications-mail}}
    Properties:
      Environment: {Variables: {MONGODB_URI_SECRET_ARN: !Ref NotificationsMongoDbUriSecretArn}}
      Policies:
        - Statement:
            - {Effect: Allow, Action: "*", Resource: !Ref UsersMongoDbUriSecretArn}
  UsersOutboxRelayFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: users-outbox-relay}}
    Properties:
      Environment: {Variables: {MONGODB_URI_SECRET_ARN: !Ref MongoDbUriSecretArn}}
  UsersLeakFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: users-leak}}
    Properties:
      Environment:
        Variables:
          MONGODB_URI_SECRET_ARN: !Ref UsersMongoDbUriSecretArn
          OTHER_SECRET_ARN: !Ref NotificationsMongoDbUriSecretArn
  StrayFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: stray}}
  UsersAdminFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: users-admin}}
    Properties:
      Environment:
        Variables:
          MONGODB_URI_SECRET_ARN: !Ref UsersMongoDbUriSecretArn
      Policies:
        - arn:aws:iam::aws:policy/AdministratorAccess
  UsersNotActionFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: users-not-action}}
    Properties:
      Environment:
        Variables:
          MONGODB_URI_SECRET_ARN: !Ref UsersMongoDbUriSecretArn
      Policies:
        - Statement:
            - Effect: Allow
              NotAction: iam:*
              Resource: "*"
  UsersQuestionMarkFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: users-question-mark}}
    Properties:
      Environment:
        Variables:
          MONGODB_URI_SECRET_ARN: !Ref UsersMongoDbUriSecretArn
      Policies:
        - Statement:
            - Effect: Allow
              Action: secretsmanager:GetSecretValu?
              Resource: !Ref NotificationsMongoDbUriSecretArn
  UsersRotationTemplateFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: users-rotation-template}}
    Properties:
      Environment:
        Variables:
          MONGODB_URI_SECRET_ARN: !Ref UsersMongoDbUriSecretArn
      Policies:
        - AWSSecretsManagerRotationPolicy: {FunctionName: x}
"#;

#[test]
fn the_rule_fails_on_a_broken_template() {
    let broken = Template::parse(BROKEN, &Context::default()).unwrap();
    let crates: BTreeMap<String, String> = [
        ("users-get-me", "users"),
        ("users-outbox-relay", "users"),
        ("users-leak", "users"),
        ("notifications-on-user-event", "notifications"),
        ("notifications-on-user-change", "notifications"),
        ("notifications-setup", "notifications"),
        ("notifications-mail", "notifications"),
        ("users-admin", "users"),
        ("users-not-action", "users"),
        ("users-question-mark", "users"),
        ("users-rotation-template", "users"),
    ]
    .into_iter()
    .map(|(b, s)| (b.to_owned(), s.to_owned()))
    .collect();
    let problems = mongo_secret_violations(&broken, &crates);
    let of = |id: &str| -> Vec<&String> { problems.iter().filter(|p| p.starts_with(id)).collect() };
    assert!(of("UsersGetMeFunction").is_empty(), "{problems:#?}");
    // Given the users secret by its environment and by its policy: both seen.
    let consumer = of("NotificationsOnUserEventFunction");
    assert!(
        consumer
            .iter()
            .any(|p| p.contains("MONGODB_URI_SECRET_ARN must be")),
        "{problems:#?}"
    );
    assert!(
        consumer
            .iter()
            .any(|p| p.contains("a policy lets it read UsersMongoDbUriSecretArn")),
        "{problems:#?}"
    );
    for (id, why) in [
        // SAM's policy template on the users secret.
        (
            "NotificationsOnUserChangeFunction",
            "UsersMongoDbUriSecretArn",
        ),
        // GetSecretValue (by a wildcard) on every secret.
        ("NotificationsSetupFunction", "may be another service's"),
        // An inline statement, every action.
        ("NotificationsMailFunction", "UsersMongoDbUriSecretArn"),
        // The one secret for every service of old.
        (
            "UsersOutboxRelayFunction",
            "must be `!Ref UsersMongoDbUriSecretArn`",
        ),
        // Another variable naming another service's secret.
        (
            "UsersLeakFunction",
            "OTHER_SECRET_ARN names NotificationsMongoDbUriSecretArn",
        ),
        // A binary no crate builds: its service is unknown.
        ("StrayFunction", "service is unknown"),
        // What the rule cannot read fails closed: an AWS managed policy that may grant any
        // secret, a NotAction statement, a `?` wildcard, a policy template it does not know.
        ("UsersAdminFunction", "AdministratorAccess"),
        ("UsersNotActionFunction", "may be another service's"),
        (
            "UsersQuestionMarkFunction",
            "a policy lets it read NotificationsMongoDbUriSecretArn",
        ),
        ("UsersRotationTemplateFunction", "may be another service's"),
    ] {
        assert!(
            of(id).iter().any(|p| p.contains(why)),
            "{id}: {problems:#?}"
        );
    }
}
