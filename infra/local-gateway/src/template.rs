//! Reading template.yaml: the only source of routes, authorizer, queues and schedules.

use std::collections::HashMap;
use std::time::Duration;

use serde_yaml::Value;
use streamia_shared::config::SECRET_ARN_SUFFIX;

/// A template could not be understood.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// Not YAML.
    #[error("template is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml::Error),
    /// Something the gateway needs is missing or unresolvable.
    #[error("template: {0}")]
    Invalid(String),
}

fn invalid<T>(message: impl Into<String>) -> Result<T, TemplateError> {
    Err(TemplateError::Invalid(message.into()))
}

/// Values the template refers to that only a deployment knows.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Parameter overrides (`Name=value`); defaults come from the template.
    pub parameters: HashMap<String, String>,
    /// Outputs of nested stacks, by `<LogicalId>.Outputs.<Name>` (e.g. the messaging stack
    /// deployed into LocalStack).
    pub outputs: HashMap<String, String>,
    /// `AWS::Region`.
    pub region: String,
    /// `AWS::StackName`.
    pub stack_name: String,
}

/// One function of the template.
#[derive(Debug, Clone)]
pub struct Function {
    /// Logical id, e.g. `UsersRegisterFunction`.
    pub logical_id: String,
    /// The binary, which is also the function's name under `cargo lambda watch`.
    pub binary: String,
    /// Function timeout (Globals apply).
    pub timeout: Duration,
    /// `Api` events.
    pub routes: Vec<RouteSpec>,
    /// `SQS` events.
    pub queues: Vec<QueueSource>,
    /// `Schedule` events.
    pub schedules: Vec<ScheduleSource>,
    /// Names of its environment variables, Globals included (values stay unresolved: locally
    /// the stack sets them; the workspace checks compare them with what the config reads).
    pub environment: Vec<String>,
    /// `Properties.Policies` as written (the workspace checks read them).
    pub policies: Vec<Value>,
}

/// One `Api` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    /// Upper-case method, or `ANY`.
    pub method: String,
    /// Resource path, e.g. `/api/v1/movies/{id}`.
    pub path: String,
    /// `Auth: {Authorizer: NONE}`.
    pub public: bool,
}

/// One `SQS` event source mapping.
#[derive(Debug, Clone)]
pub struct QueueSource {
    /// The queue's ARN, resolved.
    pub queue_arn: String,
    /// Records per invocation (1-10000; SQS receives at most 10 at a time).
    pub batch_size: usize,
    /// How long to gather a batch.
    pub batching_window: Duration,
    /// `FunctionResponseTypes: [ReportBatchItemFailures]`.
    pub report_batch_item_failures: bool,
}

/// One `Schedule` event.
#[derive(Debug, Clone)]
pub struct ScheduleSource {
    /// The expression as written.
    pub expression: String,
    /// The period, for `rate(...)`; cron expressions are not run locally.
    pub every: Option<Duration>,
}

/// The REST API's authorizer.
#[derive(Debug, Clone)]
pub struct AuthorizerSpec {
    /// The authorizer function's binary.
    pub binary: String,
    /// The identity header (e.g. `Authorization`).
    pub header: String,
    /// Result cache TTL (`ReauthorizeEvery`; API Gateway's default is 300 s).
    pub ttl: Duration,
    /// Its timeout.
    pub timeout: Duration,
}

/// The API's `Cors` setting: what SAM turns into a mock `OPTIONS` method on every path, so
/// API Gateway answers the preflight with these static values whatever the request's
/// `Origin` (the real responses' CORS headers are the functions' business).
#[derive(Debug, Clone, Default)]
pub struct Cors {
    /// `Access-Control-Allow-Origin`.
    pub allow_origin: String,
    /// `Access-Control-Allow-Headers`.
    pub allow_headers: Option<String>,
    /// `Access-Control-Allow-Methods`; when unset SAM lists the path's methods and `OPTIONS`.
    pub allow_methods: Option<String>,
    /// `Access-Control-Max-Age`.
    pub max_age: Option<String>,
    /// `AllowCredentials: true` adds `Access-Control-Allow-Credentials: true`.
    pub allow_credentials: bool,
}

/// The keys SAM accepts under `Cors`; any other fails the deployment ("Invalid key ... for
/// 'Cors' property"), so it fails the local gateway too.
const CORS_KEYS: [&str; 5] = [
    "AllowMethods",
    "AllowHeaders",
    "AllowOrigin",
    "MaxAge",
    "AllowCredentials",
];

/// Where a gateway response header's value comes from: API Gateway maps a static value, a
/// request header, path or query parameter, or a context variable, with no conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderSource {
    /// `'text'`.
    Static(String),
    /// `method.request.header.<name>`: omitted when the request has no such header.
    RequestHeader(String),
    /// `method.request.path.<name>` / `method.request.querystring.<name>`: not known
    /// locally for a gateway answer, omitted.
    RequestParameter(String),
    /// `context.requestId` (and `context.extendedRequestId`).
    RequestId,
}

impl HeaderSource {
    fn parse(expression: &str) -> Option<Self> {
        if let Some(text) = expression
            .strip_prefix('\'')
            .and_then(|e| e.strip_suffix('\''))
        {
            return Some(Self::Static(text.to_owned()));
        }
        if let Some(name) = expression.strip_prefix("method.request.header.") {
            return Some(Self::RequestHeader(name.to_owned()));
        }
        if expression.starts_with("method.request.path.")
            || expression.starts_with("method.request.querystring.")
        {
            return Some(Self::RequestParameter(expression.to_owned()));
        }
        matches!(
            expression,
            "context.requestId" | "context.extendedRequestId"
        )
        .then_some(Self::RequestId)
    }
}

/// A `GatewayResponses` entry: API Gateway's own answers (401 from the authorizer, 404, ...).
#[derive(Debug, Clone, Default)]
pub struct GatewayResponse {
    /// Status override.
    pub status: Option<u16>,
    /// `application/json` body template.
    pub body: Option<String>,
    /// `ResponseParameters.Headers`, in template order.
    pub headers: Vec<(String, HeaderSource)>,
}

/// What the gateway serves.
#[derive(Debug, Clone)]
pub struct Template {
    /// Every function.
    pub functions: Vec<Function>,
    /// The default authorizer, if any.
    pub authorizer: Option<AuthorizerSpec>,
    /// CORS, if configured.
    pub cors: Option<Cors>,
    /// Gateway responses by type (`UNAUTHORIZED`, ...).
    pub gateway_responses: HashMap<String, GatewayResponse>,
    /// Stage name, for the request context.
    pub stage: String,
    /// The whole document, for checks that look past what the gateway serves.
    pub document: Value,
}

struct Resolver<'a> {
    doc: &'a Value,
    ctx: &'a Context,
}

impl Resolver<'_> {
    fn parameter(&self, name: &str) -> Option<String> {
        match name {
            "AWS::Region" => return Some(self.ctx.region.clone()),
            "AWS::StackName" => return Some(self.ctx.stack_name.clone()),
            "AWS::AccountId" => return Some("000000000000".to_owned()),
            "AWS::Partition" => return Some("aws".to_owned()),
            "AWS::URLSuffix" => return Some("amazonaws.com".to_owned()),
            _ => {}
        }
        if let Some(v) = self.ctx.parameters.get(name) {
            return Some(v.clone());
        }
        scalar(&self.doc["Parameters"][name]["Default"])
    }

    /// Resolves a scalar, `Ref`, `Sub` or `GetAtt X.Outputs.Y`.
    fn string(&self, value: &Value) -> Result<String, TemplateError> {
        if let Some(s) = scalar(value) {
            return Ok(s);
        }
        let (function, arg) = intrinsic(value)
            .ok_or_else(|| TemplateError::Invalid(format!("cannot resolve {value:?}")))?;
        match function {
            "Ref" => {
                let name = scalar(arg).unwrap_or_default();
                self.parameter(&name)
                    .ok_or_else(|| TemplateError::Invalid(format!("unknown parameter {name}")))
            }
            "Fn::Sub" => {
                // `!Sub text` or `!Sub [text, {Name: value}]`.
                let (text, vars) = match arg {
                    Value::Sequence(parts) => (
                        parts.first().and_then(scalar).unwrap_or_default(),
                        parts.get(1),
                    ),
                    other => (scalar(other).unwrap_or_default(), None),
                };
                let mut out = String::new();
                let mut rest = text.as_str();
                while let Some(start) = rest.find("${") {
                    out.push_str(&rest[..start]);
                    let after = &rest[start + 2..];
                    let end = after
                        .find('}')
                        .ok_or_else(|| TemplateError::Invalid(format!("bad !Sub {text}")))?;
                    let name = &after[..end];
                    let value = match (vars.map(|v| &v[name]), name.split_once('.')) {
                        (Some(v), _) if !v.is_null() => self.string(v)?,
                        (_, Some(_)) => self.get_att(name)?,
                        (_, None) => self.parameter(name).ok_or_else(|| {
                            TemplateError::Invalid(format!("unknown parameter {name}"))
                        })?,
                    };
                    out.push_str(&value);
                    rest = &after[end + 1..];
                }
                out.push_str(rest);
                Ok(out)
            }
            "Fn::GetAtt" => {
                let path = match arg {
                    Value::Sequence(parts) => parts
                        .iter()
                        .filter_map(scalar)
                        .collect::<Vec<_>>()
                        .join("."),
                    other => scalar(other).unwrap_or_default(),
                };
                self.get_att(&path)
            }
            "Fn::Select" => {
                let (Some(index), Some(list)) = (
                    arg.get(0).and_then(seconds),
                    arg.get(1).map(|l| self.list(l)).transpose()?,
                ) else {
                    return invalid(format!("bad !Select {arg:?}"));
                };
                list.into_iter().nth(index as usize).ok_or_else(|| {
                    TemplateError::Invalid(format!("!Select index {index} out of range"))
                })
            }
            other => invalid(format!("unsupported intrinsic {other}")),
        }
    }

    /// A list: a YAML sequence or `!Split [delimiter, text]`.
    fn list(&self, value: &Value) -> Result<Vec<String>, TemplateError> {
        if let Value::Sequence(items) = value {
            return items.iter().map(|v| self.string(v)).collect();
        }
        match intrinsic(value) {
            Some(("Fn::Split", arg)) => {
                let (Some(delimiter), Some(text)) = (arg.get(0).and_then(scalar), arg.get(1))
                else {
                    return invalid(format!("bad !Split {arg:?}"));
                };
                Ok(self
                    .string(text)?
                    .split(delimiter.as_str())
                    .map(str::to_owned)
                    .collect())
            }
            _ => invalid(format!("cannot resolve {value:?} as a list")),
        }
    }

    fn get_att(&self, path: &str) -> Result<String, TemplateError> {
        if let Some(value) = self.ctx.outputs.get(path) {
            return Ok(value.clone());
        }
        invalid(format!(
            "{path} is not known locally (deploy the messaging stack and pass its outputs)"
        ))
    }
}

/// A plain string, number or boolean as text.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `!Ref x` / `{Ref: x}` and friends as (`Ref` | `Fn::Sub` | `Fn::GetAtt`, argument).
fn intrinsic(value: &Value) -> Option<(&'static str, &Value)> {
    let normalise = |name: &str| -> Option<&'static str> {
        match name.trim_start_matches('!') {
            "Ref" => Some("Ref"),
            "Sub" | "Fn::Sub" => Some("Fn::Sub"),
            "GetAtt" | "Fn::GetAtt" => Some("Fn::GetAtt"),
            "Select" | "Fn::Select" => Some("Fn::Select"),
            "Split" | "Fn::Split" => Some("Fn::Split"),
            _ => None,
        }
    };
    match value {
        Value::Tagged(tagged) => Some((normalise(&tagged.tag.to_string())?, &tagged.value)),
        Value::Mapping(map) if map.len() == 1 => {
            let (k, v) = map.iter().next()?;
            Some((normalise(k.as_str()?)?, v))
        }
        _ => None,
    }
}

fn seconds(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Parses `rate(5 minutes)`; `cron(...)` gives `None`.
pub fn parse_rate(expression: &str) -> Option<Duration> {
    let inner = expression.trim().strip_prefix("rate(")?.strip_suffix(')')?;
    let (n, unit) = inner.trim().split_once(' ')?;
    let n: u64 = n.parse().ok()?;
    let secs = match unit.trim().trim_end_matches('s') {
        "minute" => 60,
        "hour" => 3600,
        "day" => 86400,
        _ => return None,
    };
    Some(Duration::from_secs(n * secs))
}

impl Template {
    /// Reads a template's text.
    pub fn parse(text: &str, ctx: &Context) -> Result<Self, TemplateError> {
        let doc: Value = serde_yaml::from_str(text)?;
        let r = Resolver { doc: &doc, ctx };
        let globals = &doc["Globals"]["Function"];
        let default_timeout = seconds(&globals["Timeout"]).unwrap_or(3);
        let variable_names = |env: &Value| -> Vec<String> {
            env["Variables"]
                .as_mapping()
                .into_iter()
                .flatten()
                .filter_map(|(k, _)| k.as_str().map(str::to_owned))
                .collect()
        };
        let global_environment = variable_names(&globals["Environment"]);
        let Some(resources) = doc["Resources"].as_mapping() else {
            return invalid("no Resources");
        };

        let mut functions = Vec::new();
        let mut binaries_by_id = HashMap::new();
        for (id, resource) in resources {
            if resource["Type"] != "AWS::Serverless::Function" {
                continue;
            }
            let id = id.as_str().unwrap_or_default().to_owned();
            let binary =
                scalar(&resource["Metadata"]["BuildProperties"]["Binary"]).ok_or_else(|| {
                    TemplateError::Invalid(format!("{id}: no Metadata.BuildProperties.Binary"))
                })?;
            let props = &resource["Properties"];
            let timeout =
                Duration::from_secs(seconds(&props["Timeout"]).unwrap_or(default_timeout));
            let mut environment = global_environment.clone();
            for name in variable_names(&props["Environment"]) {
                if !environment.contains(&name) {
                    environment.push(name);
                }
            }
            let mut function = Function {
                logical_id: id.clone(),
                binary: binary.clone(),
                timeout,
                routes: Vec::new(),
                queues: Vec::new(),
                schedules: Vec::new(),
                environment,
                policies: props["Policies"].as_sequence().cloned().unwrap_or_default(),
            };
            for (_, event) in props["Events"].as_mapping().into_iter().flatten() {
                let p = &event["Properties"];
                match event["Type"].as_str().unwrap_or_default() {
                    "Api" => function.routes.push(RouteSpec {
                        method: r.string(&p["Method"])?.to_uppercase(),
                        path: r.string(&p["Path"])?,
                        public: p["Auth"]["Authorizer"] == "NONE",
                    }),
                    "SQS" => {
                        if p["Enabled"] == Value::Bool(false) {
                            continue;
                        }
                        function.queues.push(QueueSource {
                            queue_arn: r.string(&p["Queue"])?,
                            batch_size: seconds(&p["BatchSize"]).unwrap_or(10).max(1) as usize,
                            batching_window: Duration::from_secs(
                                seconds(&p["MaximumBatchingWindowInSeconds"]).unwrap_or(0),
                            ),
                            report_batch_item_failures: p["FunctionResponseTypes"]
                                .as_sequence()
                                .is_some_and(|t| t.iter().any(|v| v == "ReportBatchItemFailures")),
                        })
                    }
                    "Schedule" | "ScheduleV2" => {
                        if p["Enabled"] == Value::Bool(false) || p["State"] == "DISABLED" {
                            continue;
                        }
                        let expression = r
                            .string(&p["Schedule"])
                            .or_else(|_| r.string(&p["ScheduleExpression"]))?;
                        function.schedules.push(ScheduleSource {
                            every: parse_rate(&expression),
                            expression,
                        });
                    }
                    _ => {}
                }
            }
            binaries_by_id.insert(id, (binary, timeout));
            functions.push(function);
        }

        // The REST API: the first AWS::Serverless::Api (implicit APIs have no authorizer).
        let api = resources
            .values()
            .find(|r| r["Type"] == "AWS::Serverless::Api")
            .map(|r| &r["Properties"]);
        let mut template = Template {
            functions,
            authorizer: None,
            cors: None,
            gateway_responses: HashMap::new(),
            stage: "local".to_owned(),
            document: Value::Null,
        };
        let Some(api) = api else {
            template.document = doc.clone();
            return Ok(template);
        };
        if let Ok(stage) = r.string(&api["StageName"]) {
            template.stage = stage;
        }
        if let Some(default) = scalar(&api["Auth"]["DefaultAuthorizer"]) {
            let spec = &api["Auth"]["Authorizers"][default.as_str()];
            let arn = &spec["FunctionArn"];
            let target = match intrinsic(arn) {
                Some(("Fn::GetAtt", Value::Sequence(parts))) => parts.first().and_then(scalar),
                Some(("Fn::GetAtt", v)) => {
                    scalar(v).and_then(|s| s.split('.').next().map(str::to_owned))
                }
                _ => None,
            }
            .ok_or_else(|| {
                TemplateError::Invalid(format!(
                    "authorizer {default}: FunctionArn must be !GetAtt <Function>.Arn"
                ))
            })?;
            let (binary, timeout) = binaries_by_id.get(&target).cloned().ok_or_else(|| {
                TemplateError::Invalid(format!("authorizer function {target} not in template"))
            })?;
            template.authorizer = Some(AuthorizerSpec {
                binary,
                header: scalar(&spec["Identity"]["Header"])
                    .unwrap_or_else(|| "Authorization".to_owned()),
                ttl: Duration::from_secs(
                    seconds(&spec["Identity"]["ReauthorizeEvery"]).unwrap_or(300),
                ),
                timeout,
            });
        }
        let cors = &api["Cors"];
        if !cors.is_null() {
            let unquote = |v: &Value| -> Option<String> {
                r.string(v).ok().map(|s| s.trim_matches('\'').to_owned())
            };
            template.cors = Some(match cors {
                Value::Mapping(keys) if intrinsic(cors).is_none() => {
                    if let Some(key) = keys
                        .keys()
                        .filter_map(Value::as_str)
                        .find(|k| !CORS_KEYS.contains(k))
                    {
                        return invalid(format!("Invalid key '{key}' for 'Cors' property"));
                    }
                    Cors {
                        allow_origin: unquote(&cors["AllowOrigin"])
                            .unwrap_or_else(|| "*".to_owned()),
                        allow_headers: unquote(&cors["AllowHeaders"]),
                        allow_methods: unquote(&cors["AllowMethods"]),
                        max_age: unquote(&cors["MaxAge"]),
                        allow_credentials: cors["AllowCredentials"] == Value::Bool(true),
                    }
                }
                other => Cors {
                    allow_origin: unquote(other).unwrap_or_else(|| "*".to_owned()),
                    ..Cors::default()
                },
            });
        }
        for (kind, response) in api["GatewayResponses"].as_mapping().into_iter().flatten() {
            let kind = kind.as_str().unwrap_or_default().to_owned();
            let mut headers = Vec::new();
            let mapped = &response["ResponseParameters"]["Headers"];
            for (name, expression) in mapped.as_mapping().into_iter().flatten() {
                let name = scalar(name).unwrap_or_default();
                let expression = r.string(expression)?;
                let source = HeaderSource::parse(&expression).ok_or_else(|| {
                    TemplateError::Invalid(format!(
                        "GatewayResponses.{kind}: header {name}: unsupported mapping \
                         expression {expression:?} (static values need single quotes)"
                    ))
                })?;
                headers.push((name, source));
            }
            template.gateway_responses.insert(
                kind,
                GatewayResponse {
                    status: seconds(&response["StatusCode"]).map(|s| s as u16),
                    body: scalar(&response["ResponseTemplates"]["application/json"]),
                    headers,
                },
            );
        }
        template.document = doc.clone();
        Ok(template)
    }

    /// Every route with its function, in template order.
    pub fn routes(&self) -> impl Iterator<Item = (&RouteSpec, &Function)> {
        self.functions
            .iter()
            .flat_map(|f| f.routes.iter().map(move |r| (r, f)))
    }

    /// Each function's own variables as its template entry sets them, by binary: its literal
    /// values (`MAX_BODY_BYTES: "1572864"`), and its `*_SECRET_ARN`
    /// variables (`Globals` included) resolved against `ctx`, where a `!Ref` of a secret is a
    /// parameter (`UsersMongoDbUriSecretArn`) or, for a secret the template creates
    /// (`JwtSigningKeys`), a value given as a parameter of that name. What IAM enforces in AWS,
    /// the fast mode does by handing each function only these (see `runtime`). A variable that
    /// cannot be resolved is an error naming it.
    pub fn own_variables(
        &self,
        ctx: &Context,
    ) -> Result<HashMap<String, Vec<(String, String)>>, TemplateError> {
        let r = Resolver {
            doc: &self.document,
            ctx,
        };
        let mut by_binary = HashMap::new();
        for f in &self.functions {
            let mut vars: Vec<(String, String)> = Vec::new();
            for scope in [
                &self.document["Globals"]["Function"],
                &self.document["Resources"][f.logical_id.as_str()]["Properties"],
            ] {
                for (name, value) in scope["Environment"]["Variables"]
                    .as_mapping()
                    .into_iter()
                    .flatten()
                {
                    let Some(name) = name.as_str() else {
                        continue;
                    };
                    // A literal value set for this function alone (a body limit): its own.
                    if !name.ends_with(SECRET_ARN_SUFFIX) {
                        if let Some(literal) = scalar(value) {
                            vars.retain(|(n, _)| n != name);
                            vars.push((name.to_owned(), literal));
                        }
                        continue;
                    }
                    let value = r.string(value).map_err(|e| {
                        TemplateError::Invalid(format!(
                            "{}: {name}: {e} (pass it with --parameter)",
                            f.logical_id
                        ))
                    })?;
                    vars.retain(|(n, _)| n != name);
                    vars.push((name.to_owned(), value));
                }
            }
            by_binary.insert(f.binary.clone(), vars);
        }
        Ok(by_binary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(parse_rate("rate(1 minute)"), Some(Duration::from_secs(60)));
        assert_eq!(
            parse_rate("rate(5 minutes)"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(parse_rate("rate(2 hours)"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_rate("cron(0 12 * * ? *)"), None);
    }

    const SECRETS: &str = r#"
Parameters:
  UsersDbSecretArn: {Type: String}
  LogLevel: {Type: String, Default: info}
Globals:
  Function:
    Environment:
      Variables: {RUST_LOG: !Ref LogLevel}
Resources:
  Keys:
    Type: AWS::SecretsManager::Secret
  SignFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: sign}}
    Properties:
      Environment:
        Variables:
          MONGODB_URI_SECRET_ARN: !Ref UsersDbSecretArn
          JWT_SIGNING_KEYS_SECRET_ARN: !Ref Keys
          FRONTEND_URL: !Ref Missing
          MAX_BODY_BYTES: "1572864"
  ReadFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: read}}
"#;

    #[test]
    fn each_function_gets_the_secrets_and_literal_values_its_entry_names() {
        let mut ctx = Context::default();
        let template = Template::parse(SECRETS, &ctx).unwrap();
        let err = template.own_variables(&ctx).unwrap_err().to_string();
        assert!(
            err.contains("SignFunction: MONGODB_URI_SECRET_ARN")
                || err.contains("SignFunction: JWT_SIGNING_KEYS_SECRET_ARN"),
            "{err}"
        );
        ctx.parameters
            .insert("UsersDbSecretArn".into(), "arn:users-db".into());
        ctx.parameters.insert("Keys".into(), "arn:keys".into());
        let mut secrets = template.own_variables(&ctx).unwrap();
        let mut sign = secrets.remove("sign").unwrap();
        sign.sort();
        assert_eq!(
            sign,
            [
                (
                    "JWT_SIGNING_KEYS_SECRET_ARN".to_owned(),
                    "arn:keys".to_owned()
                ),
                ("MAX_BODY_BYTES".to_owned(), "1572864".to_owned()),
                (
                    "MONGODB_URI_SECRET_ARN".to_owned(),
                    "arn:users-db".to_owned()
                ),
            ]
        );
        assert_eq!(secrets.remove("read"), Some(Vec::new()));
    }
}
