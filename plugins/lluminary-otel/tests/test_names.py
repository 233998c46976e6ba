"""Every convention name the plugin writes, checked against the semantic-conventions package."""

from __future__ import annotations

import pytest
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai
from opentelemetry.semconv._incubating.metrics import gen_ai_metrics
from opentelemetry.semconv.attributes import error_attributes, server_attributes

from lluminary_otel import _names as names

PAIRS = [
    (names.OPERATION_NAME, gen_ai.GEN_AI_OPERATION_NAME),
    (names.PROVIDER_NAME, gen_ai.GEN_AI_PROVIDER_NAME),
    (names.REQUEST_MODEL, gen_ai.GEN_AI_REQUEST_MODEL),
    (names.REQUEST_MAX_TOKENS, gen_ai.GEN_AI_REQUEST_MAX_TOKENS),
    (names.REQUEST_TEMPERATURE, gen_ai.GEN_AI_REQUEST_TEMPERATURE),
    (names.REQUEST_TOP_P, gen_ai.GEN_AI_REQUEST_TOP_P),
    (names.REQUEST_STOP_SEQUENCES, gen_ai.GEN_AI_REQUEST_STOP_SEQUENCES),
    (names.REQUEST_SEED, gen_ai.GEN_AI_REQUEST_SEED),
    (names.REQUEST_STREAM, gen_ai.GEN_AI_REQUEST_STREAM),
    (names.EMBEDDINGS_DIMENSION_COUNT, gen_ai.GEN_AI_EMBEDDINGS_DIMENSION_COUNT),
    (names.RESPONSE_ID, gen_ai.GEN_AI_RESPONSE_ID),
    (names.RESPONSE_MODEL, gen_ai.GEN_AI_RESPONSE_MODEL),
    (names.RESPONSE_FINISH_REASONS, gen_ai.GEN_AI_RESPONSE_FINISH_REASONS),
    (names.RESPONSE_TIME_TO_FIRST_CHUNK, gen_ai.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK),
    (names.USAGE_INPUT_TOKENS, gen_ai.GEN_AI_USAGE_INPUT_TOKENS),
    (names.USAGE_OUTPUT_TOKENS, gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS),
    (names.USAGE_CACHE_READ_INPUT_TOKENS, gen_ai.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS),
    (names.USAGE_CACHE_CREATION_INPUT_TOKENS, gen_ai.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS),
    (names.USAGE_REASONING_OUTPUT_TOKENS, gen_ai.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS),
    (names.TOKEN_TYPE, gen_ai.GEN_AI_TOKEN_TYPE),
    (names.SERVER_ADDRESS, server_attributes.SERVER_ADDRESS),
    (names.SERVER_PORT, server_attributes.SERVER_PORT),
    (names.ERROR_TYPE, error_attributes.ERROR_TYPE),
    (names.TOKEN_USAGE, gen_ai_metrics.GEN_AI_CLIENT_TOKEN_USAGE),
    (names.OPERATION_DURATION, gen_ai_metrics.GEN_AI_CLIENT_OPERATION_DURATION),
    (names.TIME_TO_FIRST_CHUNK, gen_ai_metrics.GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK),
]


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=[p[1] for p in PAIRS])
def test_the_name_matches_the_conventions(ours: str, theirs: str) -> None:
    assert ours == theirs


def test_operation_and_provider_values_are_the_conventions_values() -> None:
    operations = {v.value for v in gen_ai.GenAiOperationNameValues}
    assert set(names.OPERATIONS.values()) <= operations
    providers = {v.value for v in gen_ai.GenAiProviderNameValues}
    assert set(names.PROVIDERS.values()) <= providers
    assert {v.value for v in gen_ai.GenAiTokenTypeValues} >= {"input", "output"}
