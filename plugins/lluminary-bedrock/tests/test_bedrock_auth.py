"""Authentication: SigV4 through botocore (verified by the fake server), Bedrock API keys, the
credential chain and region resolution, model ids and ARNs in the path."""

from __future__ import annotations

import asyncio
import datetime
import threading
from typing import Any

import pytest

from lluminary import _errors as errors
from lluminary._types import Secret
from lluminary_bedrock import BedrockProvider
from lluminary_bedrock.config import Target, model_path
from lluminary_testing.bedrock_server import sigv4_signature

ARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0"
ENCODED_ARN = (
    "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-haiku-4-5-20251001-v1%3A0"
)


async def test_sigv4_signed_request(bedrock: Any, provider: Any, chat: Any) -> None:
    await provider.generate(chat("Hello"))
    headers = bedrock.last_request.headers
    auth = headers["authorization"]
    assert auth.startswith(f"AWS4-HMAC-SHA256 Credential={bedrock.ACCESS_KEY}/")
    assert "/us-east-1/bedrock/aws4_request, " in auth
    assert "SignedHeaders=accept;content-type;host;x-amz-date, " in auth
    assert len(headers["x-amz-date"]) == 16
    assert headers["x-amz-date"].endswith("Z")
    assert "x-amz-security-token" not in headers


async def test_temporary_credentials_send_and_sign_the_session_token(
    bedrock: Any, provider: Any, chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bedrock.credentials = {"ASIATEMPORARY0001": ("temp-secret", "session-token-xyz")}
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIATEMPORARY0001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "temp-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token-xyz")
    await provider.generate(chat("Hello"))
    headers = bedrock.last_request.headers
    assert headers["x-amz-security-token"] == "session-token-xyz"
    assert "x-amz-security-token" in headers["authorization"].split("SignedHeaders=")[1].split(",")[0]


async def test_a_wrong_secret_fails_the_servers_signature_check(
    bedrock: Any, provider: Any, chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-right-secret")
    with pytest.raises(errors.AuthenticationError, match="signature we calculated does not match") as caught:
        await provider.generate(chat("Hello"))
    assert caught.value.code == "InvalidSignatureException"
    assert caught.value.status == 403
    assert "not-the-right-secret" not in repr(caught.value)


async def test_an_unknown_access_key_is_unrecognised(
    bedrock: Any, provider: Any, chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDUNKNOWN000000001")
    with pytest.raises(errors.AuthenticationError) as caught:
        [e async for e in provider.stream(chat("Hello"))]
    assert caught.value.code == "UnrecognizedClientException"


def test_model_ids_are_one_percent_encoded_path_segment() -> None:
    assert model_path("anthropic.claude-haiku-4-5-20251001-v1:0", "converse") == (
        "/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/converse"
    )
    assert model_path(ARN, "converse-stream") == f"/model/{ENCODED_ARN}/converse-stream"
    with pytest.raises(errors.RequestValidationError):
        model_path("", "converse")


@pytest.mark.parametrize("streamed", [False, True])
async def test_inference_profile_arn_end_to_end(bedrock: Any, provider: Any, chat: Any, streamed: bool) -> None:
    request = chat("Hi there", model=f"bedrock:{ARN}")
    if streamed:
        events = [e async for e in provider.stream(request)]
        assert events[-1].model == ARN
    else:
        response = await provider.generate(request)
        assert response.text == "Hi there"
        assert response.model == ARN
    recorded = bedrock.last_request
    operation = "converse-stream" if streamed else "converse"
    assert recorded.path == f"/model/{ENCODED_ARN}/{operation}"
    # The server accepted the signature, which botocore computed over the canonical URI: the
    # encoded path quoted once more (":" -> "%3A" -> "%253A"), as AWS does for every service but S3.
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import ReadOnlyCredentials

    signed = recorded.headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    aws = AWSRequest(
        method="POST",
        url=f"http://{recorded.headers['host']}{recorded.path}",
        data=recorded.body,
        headers={n: recorded.headers[n] for n in signed},
    )
    aws.context["timestamp"] = recorded.headers["x-amz-date"]
    signer = SigV4Auth(ReadOnlyCredentials(bedrock.ACCESS_KEY, bedrock.SECRET_KEY, None), "bedrock", "us-east-1")
    canonical_uri = signer.canonical_request(aws).split("\n")[1]
    assert canonical_uri == f"/model/{ENCODED_ARN.replace('%', '%25')}/{operation}"
    expected = sigv4_signature(
        recorded,
        signed,
        bedrock.ACCESS_KEY,
        bedrock.SECRET_KEY,
        None,
        "us-east-1",
        "bedrock",
        recorded.headers["x-amz-date"],
    )
    assert recorded.headers["authorization"].endswith(f"Signature={expected}")


async def test_the_arn_path_is_the_one_botocores_own_client_sends(bedrock: Any, provider: Any, chat: Any) -> None:
    import botocore.session
    from botocore.config import Config

    await provider.generate(chat("Hi", model=f"bedrock:{ARN}"))
    ours = bedrock.last_request
    client = botocore.session.Session().create_client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=bedrock.base_url,
        aws_access_key_id=bedrock.ACCESS_KEY,
        aws_secret_access_key=bedrock.SECRET_KEY,
        config=Config(retries={"total_max_attempts": 1}),
    )
    answer = await asyncio.to_thread(
        client.converse, modelId=ARN, messages=[{"role": "user", "content": [{"text": "Hi"}]}]
    )
    theirs = bedrock.last_request
    assert answer["output"]["message"]["content"] == [{"text": "Hi"}]  # the same server accepted both signatures
    assert theirs.path == ours.path
    assert theirs.json() == ours.json()


async def test_bedrock_api_key_from_the_call(bedrock: Any, provider: Any, chat: Any) -> None:
    bedrock.bearer_tokens = {"bedrock-api-key-123"}
    await provider.generate(chat("Hello", api_key=Secret("bedrock-api-key-123")))
    headers = bedrock.last_request.headers
    assert headers["authorization"] == "Bearer bedrock-api-key-123"
    assert "x-amz-date" not in headers


async def test_bedrock_api_key_from_the_environment_wins_over_sigv4(
    bedrock: Any, provider: Any, chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "env-api-key-456")
    [e async for e in provider.stream(chat("Hello"))]
    assert bedrock.last_request.headers["authorization"] == "Bearer env-api-key-456"


async def test_a_rejected_api_key_is_an_authentication_error(bedrock: Any, provider: Any, chat: Any) -> None:
    bedrock.bearer_tokens = {"the-good-key"}
    with pytest.raises(errors.AuthenticationError) as caught:
        await provider.generate(chat("Hello", api_key=Secret("bad-key-0123456789")))
    assert "bad-key-0123456789" not in str(caught.value) + repr(caught.value)


async def test_bearer_with_an_endpoint_needs_no_region(
    bedrock: Any, provider: Any, chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_REGION")
    response = await provider.generate(chat("Hello", api_key=Secret("k-0123456789")))
    assert response.text == "Hello"


async def test_credentials_and_region_from_a_profile(
    fake_bedrock: Any, dev_profile: str, provider: Any, chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", dev_profile)
    monkeypatch.setenv("BEDROCK_ENDPOINT_URL", fake_bedrock.base_url)
    await provider.generate(chat("Hello"))
    assert "/eu-west-3/bedrock/aws4_request" in fake_bedrock.last_request.headers["authorization"]


async def test_profile_option_and_a_missing_profile(
    fake_bedrock: Any, provider: Any, chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    with pytest.raises(errors.ConfigurationError, match="profile") as caught:
        await provider.generate(chat("Hello", base_url=fake_bedrock.base_url, options={"bedrock": {"profile": "nope"}}))
    assert caught.value.env_var == "AWS_PROFILE"


async def test_no_credentials_is_a_configuration_error(
    provider: Any, chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    with pytest.raises(errors.ConfigurationError, match="AWS_ACCESS_KEY_ID") as caught:
        await provider.generate(chat("Hello", base_url="http://127.0.0.1:9"))
    assert caught.value.env_var == "AWS_ACCESS_KEY_ID"
    assert "AWS_BEARER_TOKEN_BEDROCK" in str(caught.value)


async def test_no_region_is_a_configuration_error(provider: Any, chat: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDX")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    with pytest.raises(errors.ConfigurationError, match="AWS_REGION") as caught:
        await provider.generate(chat("Hello"))
    assert caught.value.env_var == "AWS_REGION"


async def test_endpoint_and_region_resolution(provider: Any, chat: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    key = Secret("k-0123456789")

    async def target(options: dict[str, Any] | None = None, base_url: str | None = None) -> Target:
        request = chat("Hi", api_key=key, base_url=base_url, options={"bedrock": options or {}})
        found: Target = await provider.target(provider.endpoint(request), request)
        return found

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    assert (await target()).base_url == "https://bedrock-runtime.eu-central-1.amazonaws.com"
    monkeypatch.setenv("AWS_REGION", "ap-northeast-1")
    found = await target()
    assert (found.region, found.base_url) == ("ap-northeast-1", "https://bedrock-runtime.ap-northeast-1.amazonaws.com")
    assert (await target({"region": "cn-north-1"})).base_url == "https://bedrock-runtime.cn-north-1.amazonaws.com.cn"
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "https://vpce.example/")
    assert (await target()).base_url == "https://vpce.example"
    monkeypatch.setenv("BEDROCK_ENDPOINT_URL", "http://proxy.local:8080")
    assert (await target()).base_url == "http://proxy.local:8080"
    found = await target({"endpoint_url": "http://option.local"})
    assert found.base_url == "http://option.local"
    assert (await target(base_url="http://call.local/")).base_url == "http://call.local"
    assert (await target({"endpoint_url": "http://option.local"}, "http://call.local")).base_url == "http://call.local"
    assert found.source is None  # a Bedrock API key: nothing to sign with
    assert "k-0123456789" not in repr(found)
    with pytest.raises(errors.RequestValidationError, match="region"):
        await target({"region": 1})


async def test_credentials_are_resolved_off_the_loop_once(
    bedrock: Any, chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lluminary_bedrock.aws import AwsSource

    threads: list[int] = []
    original = AwsSource._resolve_credentials

    def spy(self: AwsSource) -> Any:
        threads.append(threading.get_ident())
        return original(self)

    monkeypatch.setattr(AwsSource, "_resolve_credentials", spy)
    provider = BedrockProvider()
    for _ in range(3):
        await provider.generate(chat("Hello"))
    assert len(threads) == 1
    assert threads[0] != threading.get_ident()


async def test_refreshable_credentials_are_refreshed_when_botocore_says_so(
    bedrock: Any, chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.credentials import RefreshableCredentials

    from lluminary_bedrock.aws import AwsSource

    bedrock.credentials = {"ASIAFIRST": ("first-secret", "t1"), "ASIASECOND": ("second-secret", "t2")}
    issued = iter([("ASIAFIRST", "first-secret", "t1"), ("ASIASECOND", "second-secret", "t2")])
    refresh_threads: list[int] = []
    expiry = {"in": datetime.timedelta(minutes=1)}  # inside botocore's advisory window: refresh at once

    def refresh() -> dict[str, str]:
        refresh_threads.append(threading.get_ident())
        key, secret, token = next(issued)
        when = datetime.datetime.now(datetime.UTC) + expiry["in"]
        return {"access_key": key, "secret_key": secret, "token": token, "expiry_time": when.isoformat()}

    credentials = RefreshableCredentials.create_from_metadata(refresh(), refresh, "test")
    refresh_threads.clear()

    class FakeSession:
        def get_scoped_config(self) -> dict[str, str]:
            return {}

        def get_credentials(self) -> Any:
            return credentials

        def get_config_variable(self, name: str) -> str:
            return "us-east-1"

    monkeypatch.setattr(AwsSource, "_botocore_session", lambda self: FakeSession())
    provider = BedrockProvider()
    await provider.generate(chat("Hello"))
    assert "Credential=ASIASECOND/" in bedrock.last_request.headers["authorization"]
    assert bedrock.last_request.headers["x-amz-security-token"] == "t2"
    assert refresh_threads
    assert threading.get_ident() not in refresh_threads


async def test_secrets_are_registered_for_redaction(bedrock: Any, provider: Any, chat: Any) -> None:
    await provider.generate(chat("Hello"))
    assert errors.redact(f"echo {bedrock.SECRET_KEY}") == "echo [REDACTED]"
    await provider.generate(chat("Hello", api_key=Secret("plain-bedrock-key-xyz")))
    assert errors.redact("key plain-bedrock-key-xyz") == "key [REDACTED]"
