"""Step Functions actions that moto 5.2.5's server lacks and the AWS provider calls.

`ValidateStateMachineDefinition` answers from a real ASL validator (asl-validator, through
asl_validator.py); `ListStateMachineVersions` answers from the versions moto keeps for
`publish = true`. Both are added to moto's Step Functions responses class, in process, so
every other action stays moto's own.
"""

import json

from moto.core.responses import ActionResult
from moto.stepfunctions.exceptions import InvalidArn, InvalidToken, ValidationException
from moto.stepfunctions.responses import StepFunctionResponse

from asl_validator import AslValidator

# asl-validator's codes where AWS documents its own name for the same problem; the others
# (MISSING_TRANSITION_TARGET, TERMINAL_STATE_WITH_NEXT, ...) pass through unchanged.
AWS_CODES = {
    "MISSING_TERMINAL_STATE": "MISSING_END_STATE",
    "DUPLICATE_STATE_NAMES": "DUPLICATE_STATE_NAME",
}

DIAGNOSTICS_MAX = 100
VERSIONS_PAGE_DEFAULT = 100
VERSIONS_PAGE_MAX = 1000


def _bounded_int(response: StepFunctionResponse, name: str, maximum: int, default: int) -> int:
    raw = response._get_param(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationException(f"Value '{raw}' at '{name}' must be an integer")
    if not 0 <= value <= maximum:
        raise ValidationException(
            f"Value '{value}' at '{name}' failed to satisfy constraint: "
            f"Member must have value between 0 and {maximum}"
        )
    return value or default


def _one_of(response: StepFunctionResponse, name: str, allowed: tuple[str, ...]) -> str:
    value = response._get_param(name) or allowed[0]
    if value not in allowed:
        raise ValidationException(
            f"Value '{value}' at '{name}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(allowed)}]"
        )
    return value


def diagnostics_for(validator: AslValidator, text: str) -> list[dict]:
    """AWS-shaped diagnostics (all ERROR: asl-validator has no warnings) for a definition."""
    if not text.strip():
        return [_error("MISSING_DESCRIPTION", "the definition is empty")]
    try:
        definition = json.loads(text)
    except ValueError as e:
        return [_error("INVALID_JSON_DESCRIPTION", f"the definition is not JSON: {e}")]
    return [
        _error(AWS_CODES.get(e["code"], e["code"]), e["message"], e.get("location"))
        for e in validator.validate(definition)
    ]


def _error(code: str, message: str, location: str | None = None) -> dict:
    diagnostic = {"severity": "ERROR", "code": code, "message": message}
    if location is not None:
        diagnostic["location"] = location
    return diagnostic


def make_validate_action(validator: AslValidator):
    def validate_state_machine_definition(self: StepFunctionResponse) -> ActionResult:
        text = self._get_param("definition")
        if text is None:
            raise ValidationException("Value null at 'definition' failed to satisfy constraint: Member must not be null")
        # Checked for AWS's sake; asl-validator has the same rules for both types and no warnings.
        _one_of(self, "type", ("STANDARD", "EXPRESS"))
        _one_of(self, "severity", ("ERROR", "WARNING"))
        limit = _bounded_int(self, "maxResults", DIAGNOSTICS_MAX, DIAGNOSTICS_MAX)
        diagnostics = diagnostics_for(validator, text)
        failed = any(d["severity"] == "ERROR" for d in diagnostics)
        return ActionResult(
            {
                "result": "FAIL" if failed else "OK",
                "diagnostics": diagnostics[:limit],
                "truncated": len(diagnostics) > limit,
            }
        )

    return validate_state_machine_definition


def list_state_machine_versions(self: StepFunctionResponse) -> ActionResult:
    arn = self._get_param("stateMachineArn")
    limit = _bounded_int(self, "maxResults", VERSIONS_PAGE_MAX, VERSIONS_PAGE_DEFAULT)
    backend = self.stepfunction_backend
    backend._validate_machine_arn(arn)
    machine = next((m for m in backend.state_machines if m.arn == arn), None)
    if machine is None:
        # As moto's own (unrouted) Step Functions parser answers for an unknown machine.
        raise InvalidArn(f"Invalid arn: {arn}")
    versions = sorted(machine.versions.values(), key=lambda v: v.creation_date, reverse=True)
    start = _page_start(self._get_param("nextToken"), len(versions))
    page = versions[start : start + limit]
    result: dict = {
        "stateMachineVersions": [
            {"stateMachineVersionArn": v.arn, "creationDate": v.creation_date} for v in page
        ]
    }
    if start + limit < len(versions):
        result["nextToken"] = str(start + limit)
    return ActionResult(result)


def _page_start(token: str | None, count: int) -> int:
    """Tokens are plain offsets into the newest-first list: enough for a test emulator."""
    if token is None:
        return 0
    if not token.isdigit() or int(token) > count:
        raise InvalidToken(token)
    return int(token)


def install(validator: AslValidator) -> None:
    actions = {
        "validate_state_machine_definition": make_validate_action(validator),
        "list_state_machine_versions": list_state_machine_versions,
    }
    for name, action in actions.items():
        # A moto that gained the action needs a look before ours hides it.
        if hasattr(StepFunctionResponse, name):
            raise SystemExit(
                f"aws-emulator: moto now implements `{name}`: check it against the provider and "
                "remove it from scripts/emulator/sfn_actions.py"
            )
        setattr(StepFunctionResponse, name, action)
