#!/usr/bin/env python3
"""Asks a running emulator the calls that moto is known to miss for the E-Com67 roots, and
prints one line per call: `ok` or what came back. Re-run it after a moto upgrade to see which
gaps remain (docs/emulator.md lists them).

Usage: .venv/bin/python scripts/emulator/probe-gaps.py URL     (URL from scripts/aws-emulator)
"""

import io
import json
import sys
import zipfile

import boto3
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/probe"


def client(url: str, service: str):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def probe(name: str, call) -> None:
    try:
        answer = call()
    except ClientError as e:
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        error = e.response.get("Error", {})
        detail = error.get("Message") or error.get("Code") or "no message"
        if detail.lstrip().startswith("<"):
            detail = "an HTML error page, not an AWS error: moto does not implement the call"
        print(f"{name}: HTTP {status} {detail.splitlines()[0][:120]}")
        return
    except Exception as e:  # a body moto answers that boto3 cannot parse, and the like
        print(f"{name}: {type(e).__name__}: {str(e).splitlines()[0][:120]}")
        return
    print(f"{name}: {answer}")


def main(url: str) -> None:
    xray = client(url, "xray")
    probe(
        "xray CreateSamplingRule",
        lambda: xray.create_sampling_rule(
            SamplingRule={
                "RuleName": "probe", "ResourceARN": "*", "Priority": 1, "FixedRate": 0.1,
                "ReservoirSize": 1, "ServiceName": "*", "ServiceType": "*", "Host": "*",
                "HTTPMethod": "*", "URLPath": "*", "Version": 1,
            }
        )
        and "ok",
    )
    probe("xray CreateGroup", lambda: xray.create_group(GroupName="probe") and "ok")

    dynamodb = client(url, "dynamodb")
    dynamodb.create_table(
        TableName="probe",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    probe(
        "dynamodb UpdateContributorInsights",
        lambda: dynamodb.update_contributor_insights(
            TableName="probe", ContributorInsightsAction="ENABLE"
        )["ContributorInsightsStatus"],
    )

    sqs = client(url, "sqs")
    dlq = sqs.create_queue(QueueName="probe-dlq")["QueueUrl"]
    source_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    policy = json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [source_arn]})
    probe(
        "sqs SetQueueAttributes RedriveAllowPolicy",
        lambda: sqs.set_queue_attributes(
            QueueUrl=dlq, Attributes={"RedriveAllowPolicy": policy}
        )
        and "ok",
    )
    probe(
        "sqs GetQueueAttributes RedriveAllowPolicy",
        lambda: sqs.get_queue_attributes(
            QueueUrl=dlq, AttributeNames=["RedriveAllowPolicy"]
        ).get("Attributes", "no Attributes"),
    )
    spaced = '{"deadLetterTargetArn":"%s","maxReceiveCount":5}' % source_arn
    queue = sqs.create_queue(QueueName="probe", Attributes={"RedrivePolicy": spaced})[
        "QueueUrl"
    ]
    probe(
        "sqs RedrivePolicy sent compact, read back",
        lambda: sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["RedrivePolicy"])[
            "Attributes"
        ]["RedrivePolicy"],
    )

    client(url, "iam").create_role(
        RoleName="probe",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    lam = client(url, "lambda")
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return {}\n")
    lam.create_function(
        FunctionName="probe",
        Runtime="python3.12",
        Role=ROLE,
        Handler="index.handler",
        Code={"ZipFile": package.getvalue()},
        LoggingConfig={"LogFormat": "JSON", "LogGroup": "/aws/lambda/probe"},
    )
    probe(
        "lambda GetFunctionConfiguration LoggingConfig (sent JSON)",
        lambda: lam.get_function_configuration(FunctionName="probe").get(
            "LoggingConfig", "absent"
        ),
    )

    sfn = client(url, "stepfunctions")
    bad = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Gone"}}})
    probe(
        "stepfunctions ValidateStateMachineDefinition (Next to a missing state)",
        lambda: sfn.validate_state_machine_definition(definition=bad)["result"],
    )
    arn = sfn.create_state_machine(
        name="probe",
        roleArn=ROLE,
        publish=True,
        definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}),
    )["stateMachineArn"]
    probe(
        "stepfunctions ListStateMachineVersions",
        lambda: len(sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]),
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
