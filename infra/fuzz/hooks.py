"""Checks schemathesis cannot know from the schema alone (loaded through SCHEMATHESIS_HOOKS)."""

import schemathesis
from schemathesis import GenerationMode


@schemathesis.check
def valid_input_is_not_a_validation_error(ctx, response, case):
    """A request the schema calls valid must never come back VALIDATION_ERROR: every rule the
    code enforces on input must be in infra/openapi.yaml (a 400 for another reason, such as an
    unknown reset token's INVALID_TOKEN, is allowed where the contract says so)."""
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return None
    if response.status_code != 400:
        return None
    body_sent = case.body if isinstance(case.body, dict) else {}
    if "currentPassword" in body_sent and body_sent.get("currentPassword") == body_sent.get("newPassword"):
        return None  # "must differ from the current password": a rule JSON Schema cannot state
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("error") == "VALIDATION_ERROR":
        raise AssertionError(
            "schema-valid input rejected as VALIDATION_ERROR: "
            f"{body.get('details') or body.get('message')}"
        )
    return None
