//! Reading CloudFormation intrinsics as written (`!Ref X`, `!GetAtt A.B`), in either YAML form.

use serde_yaml::Value;

/// `!Ref X` / `{Ref: X}` -> `X`.
pub fn ref_target(v: &Value) -> Option<String> {
    match v {
        Value::Tagged(t) if t.tag == "Ref" => t.value.as_str().map(str::to_owned),
        Value::Mapping(m) if m.len() == 1 => m.get("Ref")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// `!GetAtt A.B.C` / `{Fn::GetAtt: [A, B.C]}` -> `A.B.C`.
pub fn get_att_target(v: &Value) -> Option<String> {
    let arg = match v {
        Value::Tagged(t) if t.tag == "GetAtt" => &t.value,
        Value::Mapping(m) if m.len() == 1 => m.get("Fn::GetAtt")?,
        _ => return None,
    };
    match arg {
        Value::String(s) => Some(s.clone()),
        Value::Sequence(parts) => Some(
            parts
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("."),
        ),
        _ => None,
    }
}
