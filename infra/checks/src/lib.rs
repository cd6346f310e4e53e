//! Workspace-level checks live in `tests/`: they hold `template.yaml` to the code (every
//! binary deployed, every function given only the environment and permissions it reads), to
//! `infra/openapi.yaml` and to the team's API contract. This library is empty on purpose.
