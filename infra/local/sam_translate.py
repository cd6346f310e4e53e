"""Runs the SAM transform on a template offline, as CloudFormation would at deploy time.

`sam validate --lint` only lints; properties the SAM translator rejects (an unknown key under
an Api's `Cors`, a malformed gateway response) pass it and fail the first `sam deploy`. This
translates the template with the same samtranslator the lint venv pins, local code paths
replaced by placeholder S3 locations (what `sam build`/`sam package` would upload), and
exits 1 with the translator's messages on any error.

Usage: python sam_translate.py TEMPLATE
"""

import sys

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """The translator asks IAM for managed policy ARNs only for `Policies` given by name."""

    def load(self):
        return {}


def with_placeholder_code(template):
    """`CodeUri: .` and nested `Location: file` are local paths that `sam package` uploads."""
    for resource in template.get("Resources", {}).values():
        props = resource.setdefault("Properties", {}) or {}
        if resource.get("Type") == "AWS::Serverless::Function":
            props["CodeUri"] = "s3://placeholder/code.zip"
        if resource.get("Type") == "AWS::Serverless::Application":
            props["Location"] = "https://s3.amazonaws.com/placeholder/nested.yaml"
    globals_ = template.get("Globals", {}).get("Function", {})
    globals_.pop("CodeUri", None)
    return template


def main(path):
    template = with_placeholder_code(yaml_parse(open(path).read()))
    try:
        transform(template, {}, NoManagedPolicies())
    except InvalidDocumentException as e:
        for cause in e.causes:
            print(f"{path}: {cause.message}", file=sys.stderr)
        return 1
    print(f"{path}: the SAM transform accepts it")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
