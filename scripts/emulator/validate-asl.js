// Amazon States Language validation for the test AWS emulator (scripts/aws-emulator).
//
// One long-lived process: it reads one JSON request per line on standard input,
// {"id": N, "definition": {...}}, and writes one JSON answer per line on standard output,
// {"id": N, "errors": [{"code": ..., "message": ..., "location": ...}]} or
// {"id": N, "crash": "..."} when the validator itself throws. Starting node and loading the
// validator costs about twice one validation (docs/emulator.md), and the AWS provider asks on
// every plan of a changed state machine, so the process is kept.
// It exits when standard input closes, so it never outlives the emulator that started it.
"use strict";

const readline = require("node:readline");
const validate = require("asl-validator");

function diagnostics(definition) {
  const { errors } = validate(definition);
  return errors.map((error) => {
    // Schema messages start with the JSON pointer, which is empty for the whole definition.
    const message = String(error.Message).replace(/^ is invalid\./, "the definition is invalid:");
    const out = { code: error["Error code"], message };
    // Only schema errors say where they are: a JSON pointer into the definition, which is the
    // form AWS uses for `location` (`/States/<StateName>/<FieldName>`).
    const pointer = error.schemaError && error.schemaError.instancePath;
    if (typeof pointer === "string") {
      out.location = pointer === "" ? "/" : pointer;
    }
    return out;
  });
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  let id = null;
  let answer;
  try {
    const request = JSON.parse(line);
    id = request.id;
    answer = { id, errors: diagnostics(request.definition) };
  } catch (error) {
    answer = { id, crash: String((error && error.stack) || error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
lines.on("close", () => process.exit(0));
