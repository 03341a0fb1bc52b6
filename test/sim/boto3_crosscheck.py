"""Drives bks-sim with boto3/botocore (a second, independent SDK) and prints what it saw as JSON.

Usage: python3 boto3_crosscheck.py ENDPOINT ACCESS_KEY_ID SECRET ACCOUNT_WITH_ROLE BEARER_KEY
Run by test/sim/boto3.test.ts, which starts the simulator and checks the answers. Any exception
botocore raises (a response it cannot parse) fails the run.
"""
import json
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, key_id, secret, member, bearer = sys.argv[1:6]
cfg = Config(retries={"max_attempts": 1, "mode": "standard"})


def client(service, region="us-east-1", creds=None):
    c = creds or {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
    return boto3.client(service, region_name=region, endpoint_url=endpoint, config=cfg, **c)


out = {}

sts = client("sts")
out["caller"] = sts.get_caller_identity()["Arn"]
role = sts.assume_role(
    RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="boto3-check"
)
creds = role["Credentials"]
member_creds = {
    "aws_access_key_id": creds["AccessKeyId"],
    "aws_secret_access_key": creds["SecretAccessKey"],
    "aws_session_token": creds["SessionToken"],
}
out["assumed"] = role["AssumedRoleUser"]["Arn"]
out["assumedKeyPrefix"] = creds["AccessKeyId"][:4]
out["keyInfoAccount"] = sts.get_access_key_info(AccessKeyId=creds["AccessKeyId"])["Account"]
try:
    sts.assume_role(RoleArn="arn:aws:iam::555555555555:role/OrganizationAccountAccessRole", RoleSessionName="sandbox-check")
    out["sandboxAssume"] = "allowed"
except ClientError as e:
    out["sandboxAssume"] = e.response["Error"]["Code"]

org = client("organizations")
accounts = []
for page in org.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 2}):
    accounts += [(a["Id"], a["Status"]) for a in page["Accounts"]]
out["orgAccounts"] = accounts
out["orgManagement"] = org.describe_organization()["Organization"]["MasterAccountId"]

iam = client("iam", creds=member_creds)
users = []
for page in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 3}):
    users += [u["UserName"] for u in page["Users"]]
out["users"] = users
sscs = []
marker = None
while True:  # botocore has no paginator for it: follow Marker by hand
    kwargs = {"AllUsers": True, "MaxItems": 2}
    if marker:
        kwargs["Marker"] = marker
    page = iam.list_service_specific_credentials(**kwargs)
    sscs += [(c["UserName"], c.get("ServiceCredentialAlias") or c.get("ServiceUserName"), c["Status"]) for c in page["ServiceSpecificCredentials"]]
    if not page.get("IsTruncated"):
        break
    marker = page["Marker"]
out["sscs"] = sscs
iam.create_user(UserName="boto3-user")
created = iam.create_service_specific_credential(UserName="boto3-user", ServiceName="bedrock.amazonaws.com", CredentialAgeDays=30)["ServiceSpecificCredential"]
out["created"] = {
    "alias": created["ServiceCredentialAlias"],
    "hasSecret": bool(created.get("ServiceCredentialSecret")),
    "expires": created["ExpirationDate"].isoformat() if "ExpirationDate" in created else None,
    "status": created["Status"],
}
second = iam.create_service_specific_credential(UserName="boto3-user", ServiceName="bedrock.amazonaws.com")["ServiceSpecificCredential"]
out["secondAlias"] = second["ServiceCredentialAlias"]
listed = iam.list_service_specific_credentials(UserName="boto3-user")["ServiceSpecificCredentials"]
out["listedHasSecret"] = any("ServiceCredentialSecret" in c for c in listed)
try:
    iam.delete_user(UserName="boto3-user")
    out["deleteUser"] = "deleted"
except ClientError as e:
    out["deleteUser"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
import time

for _ in range(50):  # AWS answers STARTED first, then COMPLETE
    if iam.generate_credential_report()["State"] == "COMPLETE":
        break
    time.sleep(0.1)
report = iam.get_credential_report()
lines = report["Content"].decode().splitlines()
out["reportHeader"] = lines[0].split(",")[:6]
out["reportRows"] = len(lines) - 1
gaad = []
for page in iam.get_paginator("get_account_authorization_details").paginate(Filter=["User"], PaginationConfig={"PageSize": 4}):
    gaad += [u["UserName"] for u in page["UserDetailList"]]
out["gaadUsers"] = len(gaad)

ct = client("cloudtrail", region="us-west-2", creds=member_creds)
events = []
pages = 0
for page in ct.get_paginator("lookup_events").paginate(
    LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "BedrockAPIKey-q7xk"}],
    PaginationConfig={"PageSize": 20},
):
    pages += 1
    events += [(e["EventName"], e["EventTime"].isoformat(), json.loads(e["CloudTrailEvent"])["awsRegion"]) for e in page["Events"]]
out["ctPages"] = pages
out["ctEvents"] = len(events)
out["ctNewestFirst"] = [t for _, t, _ in events] == sorted([t for _, t, _ in events], reverse=True)
out["ctRegions"] = sorted({r for _, _, r in events})
try:
    ct.lookup_events(MaxResults=51)
    out["ctMax"] = "accepted"
except ClientError as e:
    out["ctMax"] = e.response["Error"]["Code"]
except Exception as e:  # botocore's own validation of the model's max
    out["ctMax"] = type(e).__name__

hub = client("securityhub", creds=member_creds)
product = f"arn:aws:securityhub:us-east-1:{member}:product/{member}/default"
finding = {
    "SchemaVersion": "2018-10-08",
    "Id": "boto3-finding-1",
    "ProductArn": product,
    "GeneratorId": "bks/boto3",
    "AwsAccountId": member,
    "Types": ["Software and Configuration Checks"],
    "CreatedAt": "2026-11-28T10:00:00Z",
    "UpdatedAt": "2026-11-28T10:00:00Z",
    "Severity": {"Label": "HIGH"},
    "Title": "boto3 cross-check",
    "Description": "imported by botocore",
    "Resources": [{"Type": "AwsIamUser", "Id": "boto3-user"}],
}
imp = hub.batch_import_findings(Findings=[finding, {**finding, "Id": "boto3-bad", "AwsAccountId": "12"}])
out["import"] = [imp["SuccessCount"], imp["FailedCount"], [f["ErrorCode"] for f in imp["FailedFindings"]]]
got = hub.get_findings(Filters={"GeneratorId": [{"Value": "bks/boto3", "Comparison": "EQUALS"}]})["Findings"]
out["found"] = [f["Id"] for f in got]
upd = hub.batch_update_findings(
    FindingIdentifiers=[{"Id": "boto3-finding-1", "ProductArn": product}],
    Workflow={"Status": "NOTIFIED"},
    Note={"Text": "seen", "UpdatedBy": "boto3"},
)
out["updated"] = len(upd["ProcessedFindings"])

sfn = client("stepfunctions")
sfn.send_task_heartbeat(taskToken="boto3-token")
out["sfn"] = "ok"

os.environ["AWS_BEARER_TOKEN_BEDROCK"] = bearer
br = boto3.client("bedrock-runtime", region_name="eu-west-1", endpoint_url=endpoint, config=cfg)
try:
    resp = br.converse(
        modelId="anthropic.claude-sonnet-4-5-20250929-v1:0",
        messages=[{"role": "user", "content": [{"text": "hi"}]}],
    )
    out["bearer"] = resp["stopReason"]
except ClientError as e:
    out["bearer"] = e.response["Error"]["Code"]

print(json.dumps(out))
