#!/usr/bin/env python3
"""Benchmark of `stackform summary --format json` against `jq` computing only the counts.

Usage: benches/summary.py [--runs N] [--resources N] [--keep DIR] [--secrets-only]
       (builds the release binary first; needs jq and GNU time: apt-get install jq time)

Generates a synthetic plan the shape of `terraform show -json` output (compact, one line):
20,000 resource changes by default, about 100 MB, mostly AWS Lambda functions, tables, queues
and roles with realistic attribute values (environment maps, tags, policy documents), some
marked sensitive, in 200 modules, with `planned_values`, `prior_state` and `configuration`
sections as Terraform writes them. The mix: 60% create, 15% update, 10% no-op, 5% delete,
5% replace, 5% read.

It times, in the same run and alternately, the median wall time of --runs runs of
  stackform summary PLAN --format json
  jq '<add/change/destroy counts>' PLAN
and the peak resident memory of each (`/usr/bin/time -v`), then checks that both agree on
the counts and reports the ratios the goals are stated in (at least 5x faster than jq, peak
memory at most twice the file size).

Then two plans that stress secret masking, each at half and full size so that the time ratio
shows how it grows (2.0 is linear):
  one sensitive string of 5 and 10 MB (random base64), copied into an unmarked attribute and
    inside a longer unmarked string;
  500,000 and 1,000,000 distinct secrets (1,000 per resource, marked one by one), each copied
    into an unmarked list;
each timed (`stackform summary PLAN --format text`, the format that shows values) against jq
on the same file, with peak memory against the file size (goal: at most 3x) and a check that
no secret appears in the output.
"""
import argparse
import base64
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "stackform")
JQ_COUNTS = (
    "[.resource_changes[]? | select(.mode == \"managed\" or .change.actions != [\"delete\"])"
    " | .change.actions] as $a"
    " | {add: ($a | map(select(index(\"create\"))) | length),"
    "    change: ($a | map(select(. == [\"update\"])) | length),"
    "    destroy: ($a | map(select(index(\"delete\"))) | length)}"
)


def lambda_values(rng, i, version):
    env = {f"SETTING_{k:02d}": f"value-{rng.randrange(10**9):09d}-{version}" for k in range(8)}
    return {
        "architectures": ["arm64"],
        "arn": f"arn:aws:lambda:eu-west-1:123456789012:function:svc-{i}",
        "description": f"Function {i} of the synthetic benchmark stack, version {version}",
        "environment": [{"variables": env}],
        "function_name": f"svc-{i}",
        "handler": "bootstrap",
        "memory_size": 128 * (1 + version % 4),
        "role": f"arn:aws:iam::123456789012:role/svc-{i}",
        "runtime": "provided.al2023",
        "tags": {f"tag{k}": f"value {k} of resource {i}" for k in range(5)},
        "tags_all": {f"tag{k}": f"value {k} of resource {i}" for k in range(5)},
        "timeout": 30,
        "tracing_config": [{"mode": "Active" if version == 1 else "PassThrough"}],
        "vpc_config": [],
        "policy": json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": [f"dynamodb:Action{k}" for k in range(20)],
                           "Resource": f"arn:aws:dynamodb:eu-west-1:123456789012:table/t-{i}"}],
        }),
        "layers": [f"arn:aws:lambda:eu-west-1:123456789012:layer:l{k}:{version}" for k in range(6)],
    }


def resource_change(rng, i):
    module = f"module.svc_{i % 200:03d}"
    kind = ["aws_lambda_function", "aws_dynamodb_table", "aws_sqs_queue", "aws_iam_role"][i % 4]
    name = f"r{i:05d}"
    roll = rng.random()
    if roll < 0.60:
        actions = ["create"]
    elif roll < 0.75:
        actions = ["update"]
    elif roll < 0.85:
        actions = ["no-op"]
    elif roll < 0.90:
        actions = ["delete"]
    elif roll < 0.95:
        actions = ["delete", "create"]
    else:
        actions = ["read"]
    mode = "data" if actions == ["read"] else "managed"
    before = None if actions in (["create"], ["read"]) else lambda_values(rng, i, 1)
    after = None if actions == ["delete"] else lambda_values(rng, i, 2 if actions != ["no-op"] else 1)
    sensitive = i % 10 == 0
    marks = {"environment": [{"variables": {"SETTING_00": True}}]} if sensitive else {}
    address = f"{module}.{'data.' if mode == 'data' else ''}{kind}.{name}"
    rc = {
        "address": address,
        "module_address": module,
        "mode": mode,
        "type": kind,
        "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": {"arn": True} if after is not None and actions != ["no-op"] else {},
            "before_sensitive": marks if before is not None else False,
            "after_sensitive": marks if after is not None else False,
        },
    }
    if actions == ["delete", "create"]:
        rc["action_reason"] = "replace_because_cannot_update"
        rc["change"]["replace_paths"] = [["function_name"]]
    return rc


def generate(path, n):
    rng = random.Random(67)
    changes = [resource_change(rng, i) for i in range(n)]
    values = lambda rc, side: {
        "address": rc["address"], "mode": rc["mode"], "type": rc["type"], "name": rc["name"],
        "provider_name": rc["provider_name"], "schema_version": 0,
        "values": rc["change"][side], "sensitive_values": {},
    }
    modules = {}
    prior = {}
    for rc in changes:
        if rc["change"]["after"] is not None:
            modules.setdefault(rc["module_address"], []).append(values(rc, "after"))
        if rc["change"]["before"] is not None:
            prior.setdefault(rc["module_address"], []).append(values(rc, "before"))
    doc = {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {"root_module": {"child_modules": [
            {"address": m, "resources": r} for m, r in sorted(modules.items())]}},
        "resource_changes": changes,
        "prior_state": {"format_version": "1.0", "terraform_version": "1.11.4", "values": {
            "root_module": {"child_modules": [
                {"address": m, "resources": r} for m, r in sorted(prior.items())]}}},
        "configuration": {"root_module": {"module_calls": {
            m.split(".", 1)[1]: {"source": "./modules/svc"} for m in sorted(modules)}}},
        "timestamp": "2026-11-25T00:00:00Z",
        "applyable": True,
        "complete": True,
        "errored": False,
    }
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))


def big_secret_plan(path, mb):
    rng = random.Random(mb)
    secret = base64.b64encode(rng.randbytes(mb * 750_000)).decode()[: mb * 1_000_000]
    rc = {
        "address": "terraform_data.big", "mode": "managed", "type": "terraform_data",
        "name": "big",
        "change": {
            "actions": ["update"],
            "before": {"input": "old", "output": "old", "note": "old"},
            "after": {"input": secret, "output": secret, "note": f"prefix {secret} suffix"},
            "after_unknown": {},
            "before_sensitive": {"input": True},
            "after_sensitive": {"input": True},
        },
    }
    with open(path, "w") as f:
        json.dump({"format_version": "1.2", "resource_changes": [rc]}, f, separators=(",", ":"))
    return [secret[:32], secret[-32:]]


def many_secrets_plan(path, n):
    rng = random.Random(n)
    per = 1000
    changes = []
    probes = []
    for r in range(n // per):
        secrets = [f"{rng.getrandbits(96):024x}-{r:05d}-{i:03d}" for i in range(per)]
        probes.append(secrets[r % per])
        changes.append({
            "address": f"terraform_data.s[{r}]", "mode": "managed", "type": "terraform_data",
            "name": "s", "index": r,
            "change": {
                "actions": ["update"],
                "before": {"input": [], "output": []},
                "after": {"input": secrets, "output": secrets},
                "after_unknown": {},
                "before_sensitive": {"input": []},
                "after_sensitive": {"input": [True] * per},
            },
        })
    with open(path, "w") as f:
        json.dump({"format_version": "1.2", "resource_changes": changes}, f,
                  separators=(",", ":"))
    return probes


def secret_cases(directory, runs):
    """Times the two masking plans at half and full size; returns the rows printed."""
    print()
    print(f"{'secret masking':34} {'MB':>6} {'median s':>9} {'jq s':>7} {'peak MB':>8} "
          f"{'peak/file':>9}")
    for label, make, sizes in (
        ("one sensitive string of {} MB", big_secret_plan, (5, 10)),
        ("{:,} distinct secrets", many_secrets_plan, (500_000, 1_000_000)),
    ):
        times = []
        for size in sizes:
            plan = os.path.join(directory, f"secrets-{size}.json")
            probes = make(plan, size)
            mb = os.path.getsize(plan)
            (sf_t, jq_t), (sf_rss, _), (out, _) = compare(
                [BIN, "summary", plan, "--format", "text"], ["jq", "-c", JQ_COUNTS, plan], runs)
            for p in probes:
                if p.encode() in out:
                    sys.exit(f"error: a secret appears in the output of {plan}")
            times.append(sf_t)
            print(f"{label.format(size):34} {mb / 1e6:6.1f} {sf_t:9.3f} {jq_t:7.3f} "
                  f"{sf_rss / 1024:8.1f} {sf_rss * 1024 / mb:9.2f}")
            os.remove(plan)
        print(f"{'':34} time at full size / half size: {times[1] / times[0]:.2f} (linear: 2)")


def run_once(cmd):
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout
    return time.perf_counter() - t0, out


def peak_rss_kib(cmd):
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return next(int(l.split(":")[1]) for l in r.stderr.splitlines()
                if "Maximum resident set size" in l)


def compare(ours, theirs, runs):
    """Median wall times of both commands, run alternately so that load on a shared machine
    falls on both alike; peak RSS (KiB) of one run of each; the last outputs."""
    run_once(ours)  # warm the page cache
    times = ([], [])
    outs = [b"", b""]
    for _ in range(runs):
        for i, cmd in enumerate((ours, theirs)):
            t, outs[i] = run_once(cmd)
            times[i].append(t)
    return ([statistics.median(t) for t in times],
            [peak_rss_kib(ours), peak_rss_kib(theirs)], outs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--resources", type=int, default=20000)
    ap.add_argument("--keep", metavar="DIR", help="write the plan here and keep it")
    ap.add_argument("--secrets-only", action="store_true",
                    help="run only the secret-masking cases")
    args = ap.parse_args()
    for tool in ("jq", "/usr/bin/time"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], stdout=subprocess.DEVNULL).returncode:
            sys.exit(f"error: {tool} not found: apt-get install jq time")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    tmp = tempfile.TemporaryDirectory()
    directory = args.keep or tmp.name
    os.makedirs(directory, exist_ok=True)
    if args.secrets_only:
        secret_cases(directory, args.runs)
        return
    plan = os.path.join(directory, f"plan-{args.resources}.json")
    t0 = time.perf_counter()
    generate(plan, args.resources)
    size = os.path.getsize(plan)
    print(f"plan: {args.resources} resource changes, {size / 1e6:.1f} MB "
          f"(generated in {time.perf_counter() - t0:.1f} s)")
    (sf_t, jq_t), (sf_rss, jq_rss), (sf_out, jq_out) = compare(
        [BIN, "summary", plan, "--format", "json"], ["jq", "-c", JQ_COUNTS, plan], args.runs)
    ours = json.loads(sf_out)
    theirs = json.loads(jq_out)
    for k in ("add", "change", "destroy"):
        if ours[k] != theirs[k]:
            sys.exit(f"error: counts differ on `{k}`: stackform {ours[k]}, jq {theirs[k]}")
    print(f"counts (both): add {ours['add']}, change {ours['change']}, destroy {ours['destroy']}")
    print(f"{'':30} {'median s':>9} {'peak MB':>9}")
    print(f"{'stackform summary --format json':30} {sf_t:9.3f} {sf_rss / 1024:9.1f}")
    print(f"{'jq (counts only)':30} {jq_t:9.3f} {jq_rss / 1024:9.1f}")
    print(f"speed-up over jq: {jq_t / sf_t:.1f}x (goal >= 5x)")
    print(f"stackform peak memory / file size: {sf_rss * 1024 / size:.2f} (goal <= 2)")
    secret_cases(directory, args.runs)


if __name__ == "__main__":
    main()
