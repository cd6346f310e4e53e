#!/usr/bin/env bash
# Deploys infra/messaging.yaml into LocalStack with LocalStack's CloudFormation engine and
# writes the stack outputs as JSON ({"Messaging.Outputs.<Name>": value}) for the local gateway
# and the functions' environment. Idempotent: an unchanged stack is left as it is.
#
# usage: localstack/deploy-messaging.sh PORT STACK_NAME OUTPUTS_JSON [Key=Value ...]
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$REPO_ROOT/infra/local/lib.sh"
port=$1 stack=$2 outputs=$3
shift 3
params=(ParameterKey=Prefix,ParameterValue="$stack")
# A value with commas (a list of origins) is escaped for the CLI's shorthand syntax.
for kv in "$@"; do
  value=${kv#*=}
  params+=("ParameterKey=${kv%%=*},ParameterValue=${value//,/\\,}")
done
# From S3, as `sam deploy` hands CloudFormation a nested template: a template body is limited
# to 51,200 bytes, a template in S3 to 1 MB.
bucket="$(tr '[:upper:]' '[:lower:]' <<<"$stack")-templates"
region=${AWS_DEFAULT_REGION:-us-east-1}
location=()
[ "$region" = us-east-1 ] || location=(--create-bucket-configuration "LocationConstraint=$region")
aws_local "$port" s3api head-bucket --bucket "$bucket" >/dev/null 2>&1 ||
  aws_local "$port" s3api create-bucket --bucket "$bucket" "${location[@]}" >/dev/null
aws_local "$port" s3api put-object --bucket "$bucket" --key messaging.yaml \
  --body "$REPO_ROOT/infra/messaging.yaml" >/dev/null
template="http://127.0.0.1:$port/$bucket/messaging.yaml"

status() { aws_local "$port" cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].StackStatus' --output text 2>/dev/null || true; }

current=$(status)
if [ -z "$current" ] || [ "$current" = "None" ] || [ "$current" = "DELETE_COMPLETE" ]; then
  aws_local "$port" cloudformation create-stack --stack-name "$stack" --template-url "$template" --parameters "${params[@]}" >/dev/null
else
  if ! out=$(aws_local "$port" cloudformation update-stack --stack-name "$stack" --template-url "$template" --parameters "${params[@]}" 2>&1); then
    grep -q "No updates are to be performed" <<<"$out" || die "update-stack failed: $out"
  fi
fi
# The CLI's waiters poll every 30 s; LocalStack finishes in about a second.
for ((i = 0; i < 300; i++)); do
  current=$(status)
  case "$current" in
    *_COMPLETE) [[ "$current" == *ROLLBACK* ]] && die "stack $stack: $current"; break ;;
    *_FAILED) die "stack $stack: $current" ;;
  esac
  sleep 0.2
done
[[ "$current" == *_COMPLETE ]] || die "stack $stack did not finish deploying ($current)"
aws_local "$port" cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].Outputs' --output json |
  python3 -c 'import json,sys; print(json.dumps({"Messaging.Outputs."+o["OutputKey"]: o["OutputValue"] for o in json.load(sys.stdin)}, indent=2))' >"$outputs"
