"""Who-am-I services of the simulator: STS GetCallerIdentity and the SSO portal's
GetRoleCredentials.

STS speaks the AWS *query* protocol: a form-encoded POST (``Action=GetCallerIdentity&
Version=2011-06-15``) answered with XML, errors as ``<ErrorResponse><Error>…``. The SSO portal
(``GET /federation/credentials?role_name=…&account_id=…`` with the bearer token in
``x-amz-sso_bearer_token``) is rest-json and unsigned; it is what botocore calls to turn a
cached ``aws sso login`` token into role credentials, so tests can run a real SSO profile
against the simulator (``AWS_ENDPOINT_URL_SSO``).
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from tui.sim.core import SimError
from tui.sim.gamelift import ACCOUNT

STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
FORM = "application/x-www-form-urlencoded"
XML = "text/xml"
# The simulator's credentials, session tokens and role credentials all belong to this account.
SIM_ACCOUNT = ACCOUNT
SSO_CREDENTIAL_SECONDS = 3600


def is_sts_request(content_type: str, body: bytes, signing_service: str | None) -> bool:
    if signing_service == "sts":
        return True
    return content_type.split(";")[0].strip().lower() == FORM and b"Action=" in body


def sts_action(body: bytes) -> tuple[str, dict[str, str]]:
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"),
                                         keep_blank_values=True).items()}
    return form.get("Action", ""), form


def caller_identity(access_key: str) -> dict[str, str]:
    """The identity behind ``access_key``: temporary keys (ASIA…) are an assumed role, like
    the ones SSO hands out; any other key is an IAM user."""
    digest = hashlib.sha1(access_key.encode()).hexdigest()[:16].upper()
    if access_key.startswith("ASIA"):
        return {"UserId": f"AROA{digest}:gameops", "Account": SIM_ACCOUNT,
                "Arn": f"arn:aws:sts::{SIM_ACCOUNT}:assumed-role/GameOpsRole/gameops"}
    return {"UserId": f"AIDA{digest}", "Account": SIM_ACCOUNT,
            "Arn": f"arn:aws:iam::{SIM_ACCOUNT}:user/gameops-demo"}


def handle_sts(action: str, form: dict[str, str], access_key: str, request_id: str) -> bytes:
    if action != "GetCallerIdentity":
        raise SimError("InvalidAction", f"Could not find operation {action or '(none)'} for "
                       "version 2011-06-15", 400)
    fields = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in caller_identity(access_key).items())
    return (f'<GetCallerIdentityResponse xmlns="{STS_NAMESPACE}"><GetCallerIdentityResult>'
            f"{fields}</GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}"
            "</RequestId></ResponseMetadata></GetCallerIdentityResponse>").encode()


def sts_error(err: SimError, request_id: str) -> tuple[int, bytes]:
    # Query-protocol services name their errors without the JSON services' "Exception" suffix.
    code = {"ExpiredTokenException": "ExpiredToken",
            "UnrecognizedClientException": "InvalidClientTokenId",
            "ThrottlingException": "Throttling",
            "InternalServiceException": "InternalFailure"}.get(err.code, err.code)
    status = 403 if code in ("ExpiredToken", "InvalidClientTokenId") else err.status
    kind = "Receiver" if status >= 500 else "Sender"
    body = (f'<ErrorResponse xmlns="{STS_NAMESPACE}"><Error><Type>{kind}</Type>'
            f"<Code>{escape(code)}</Code><Message>{escape(err.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>")
    return status, body.encode()


def role_credentials(query: dict[str, list[str]], token: str, now: float) -> dict[str, Any]:
    """SSO GetRoleCredentials: any non-empty bearer token is a valid login here; botocore
    itself refuses an expired cached token before it gets this far."""
    role = (query.get("role_name") or [""])[0]
    account = (query.get("account_id") or [""])[0]
    if not token:
        raise SimError("UnauthorizedException", "Session token not found or invalid", 401)
    if not role or not account:
        raise SimError("InvalidRequestException", "role_name and account_id are required", 400)
    digest = hashlib.sha1(f"{token}/{account}/{role}".encode()).hexdigest().upper()
    return {"roleCredentials": {
        "accessKeyId": f"ASIA{digest[:16]}",
        "secretAccessKey": digest.lower(),
        "sessionToken": f"sim-sso-{digest[16:40].lower()}",
        "expiration": int((now + SSO_CREDENTIAL_SECONDS) * 1000),
    }}
