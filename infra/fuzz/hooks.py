"""Checks schemathesis cannot know from the schema alone (loaded through SCHEMATHESIS_HOOKS)."""

import schemathesis
from schemathesis import GenerationMode


# Per operation, the fields whose 400 depends on what JSON Schema cannot state: the video key
# must be one the upload URL answered for this movie, with its object uploaded (the contract's
# 400); subtitle content must parse cue by cue. A VALIDATION_ERROR naming only these is right.
STATE_OR_CONTENT_RULES = {
    ("POST", "/movies/{id}/video"): {"key"},
    ("POST", "/movies/{id}/subtitles"): {"content"},
}


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
    expected = STATE_OR_CONTENT_RULES.get((case.method.upper(), case.operation.path), set())
    if "currentPassword" in body_sent and body_sent.get("currentPassword") == body_sent.get("newPassword"):
        return None  # "must differ from the current password": a rule JSON Schema cannot state
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and expected:
        fields = {d.get("field") for d in body.get("details") or [] if isinstance(d, dict)}
        if fields and fields <= expected:
            return None
    if isinstance(body, dict) and body.get("error") == "VALIDATION_ERROR":
        raise AssertionError(
            "schema-valid input rejected as VALIDATION_ERROR: "
            f"{body.get('details') or body.get('message')}"
        )
    return None


# Characters the service refuses in a name (and a movie title or description) that the PersonName
# and MovieTitle patterns of infra/openapi.yaml cannot
# list (no JSON Schema tool here reads an escape beyond U+FFFF in every generation mode); the
# project's check (infra/checks/tests/schemas.rs) holds this list to the code's.
REFUSED_BEYOND_BMP = [(0x1D173, 0x1D17A), (0xE0000, 0xE007F)]
NAME_FIELDS = ("firstName", "lastName", "title", "description", "label")


@schemathesis.hook
def filter_body(ctx, body):
    """Drops a generated body whose name carries a character of REFUSED_BEYOND_BMP: the schema
    calls it valid, the service rightly refuses it."""
    if not isinstance(body, dict):
        return True
    for field in NAME_FIELDS:
        value = body.get(field)
        if isinstance(value, str) and any(
            low <= ord(c) <= high for c in value for low, high in REFUSED_BEYOND_BMP
        ):
            return False
    return True
