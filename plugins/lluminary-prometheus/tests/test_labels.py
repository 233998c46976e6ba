"""Bounded labels: tag labels from request metadata for the keys configured only, a cap on
distinct values, nothing secret or user-written in the exposition."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry

import lluminary
from lluminary_prometheus import PrometheusExporter
from lluminary_prometheus._config import MAX_LABEL_VALUES_ENV, TAG_LABELS_ENV

from .conftest import API_KEY, MODEL

CALL = {"provider": "openai", "model": "gpt-4o-mini", "operation": "generate"}


async def test_configured_metadata_keys_become_labels_of_requests_tokens_and_cost(harness: Any) -> None:
    h = harness({"tag_labels": ["feature"]})
    await h.client.agenerate(MODEL, "hi", metadata={"feature": "search", "user": "alice@example.com"})
    await h.client.agenerate(MODEL, "hi")
    assert h.value("lluminary_requests_total", **CALL, status="ok", feature="search") == 1
    assert h.value("lluminary_requests_total", **CALL, status="ok", feature="") == 1
    assert h.value("lluminary_tokens_total", **CALL, type="input", feature="search") > 0
    assert h.value("lluminary_cost_usd_total", **CALL, feature="search") > 0
    assert "alice@example.com" not in h.exposition()  # not a configured key


async def test_a_label_keeps_its_first_values_and_counts_the_rest_as_other(harness: Any) -> None:
    h = harness({"tag_labels": ["user"], "max_label_values": 3})
    for i in range(10):
        await h.client.agenerate(MODEL, "hi", metadata={"user": f"user-{i}"})
    users = {
        sample.labels["user"]
        for family in h.registry.collect()
        for sample in family.samples
        if sample.name == "lluminary_requests_total"
    }
    assert users == {"user-0", "user-1", "user-2", "other"}
    assert h.value("lluminary_requests_total", **CALL, status="ok", user="other") == 7


async def test_model_names_are_bounded_too(harness: Any) -> None:
    h = harness({"max_label_values": 2})
    for model in ("gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini"):
        await h.client.agenerate(f"openai:{model}", "hi")
    models = {
        sample.labels["model"]
        for family in h.registry.collect()
        for sample in family.samples
        if sample.name == "lluminary_requests_total"
    }
    assert models == {"gpt-4o-mini", "gpt-4o", "other"}


async def test_no_api_key_no_prompt_no_answer_and_no_ids_in_the_exposition(harness: Any) -> None:
    h = harness({"tag_labels": ["feature"]})
    prompt = "my secret plan is 42 purple elephants"
    reply = await h.client.agenerate(MODEL, prompt, metadata={"feature": "f"})
    stream = await h.client.astream(MODEL, prompt + " again").response()
    text = h.exposition()
    assert "lluminary_requests_total" in text
    for secret in (API_KEY, "purple elephants", reply.text, stream.text, reply.id or "resp_fake_1"):
        assert secret not in text


def test_the_environment_configures_the_entry_points_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TAG_LABELS_ENV, "feature, team")
    monkeypatch.setenv(MAX_LABEL_VALUES_ENV, "7")
    settings = PrometheusExporter(registry=CollectorRegistry()).settings
    assert settings.tag_labels == ("feature", "team")
    assert settings.max_label_values == 7
    # Arguments win over the environment.
    assert PrometheusExporter(tag_labels=[], max_label_values=3).settings.tag_labels == ()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tag_labels": ["has-dash"]}, "not a valid Prometheus label name"),
        ({"tag_labels": ["__reserved"]}, "not a valid Prometheus label name"),
        ({"tag_labels": ["model"]}, "clashes"),
        ({"tag_labels": "feature"}, "a list of metadata keys"),
        ({"max_label_values": 0}, "positive integer"),
        ({"latency_buckets": [1, 0.5]}, "strictly increasing"),
        ({"ttfc_buckets": []}, "strictly increasing"),
        ({"ttfc_buckets": ["fast"]}, "numbers of seconds"),
    ],
)
def test_bad_settings_are_configuration_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(lluminary.ConfigurationError, match=message):
        PrometheusExporter(**options)


def test_a_bad_environment_value_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_LABEL_VALUES_ENV, "lots")
    with pytest.raises(lluminary.ConfigurationError, match=MAX_LABEL_VALUES_ENV):
        _ = PrometheusExporter().settings


def test_two_exporters_share_a_registry_only_with_the_same_settings() -> None:
    registry = CollectorRegistry()
    first = PrometheusExporter(registry=registry, tag_labels=["feature"])
    same = PrometheusExporter(registry=registry, tag_labels=["feature"])
    assert first.recorder.metrics is same.recorder.metrics
    other = PrometheusExporter(registry=registry, tag_labels=["team"])
    with pytest.raises(lluminary.ConfigurationError, match="registry of its own"):
        _ = other.recorder
