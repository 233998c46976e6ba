"""The exporter conformance suite of lluminary-testing, run on the ``prometheus`` exporter: real
calls through the OpenAI plugin against the fake OpenAI server, read back from a registry of the
test's own. Counters aggregate, so the calls are read back per label set."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from lluminary_prometheus import PrometheusExporter
from lluminary_testing.conformance import ExporterTests, ObservedCall


class Refusing:
    """A metric family (``at``) or the per-call series (called) that refuses every update."""

    def at(self, labels: Any) -> Any:
        raise RuntimeError("registry refused the sample")

    def __call__(self, *labels: Any) -> Any:
        raise RuntimeError("registry refused the series")


class TestPrometheusConformance(ExporterTests):
    @pytest.fixture
    def exporter(self) -> PrometheusExporter:
        return PrometheusExporter(registry=CollectorRegistry())

    @pytest.fixture
    def failing_exporter(self) -> PrometheusExporter:
        exporter = PrometheusExporter(registry=CollectorRegistry())
        metrics = exporter.recorder.metrics
        for name in ("series", "first_chunk", "errors", "cache_hits", "cache_misses"):
            setattr(metrics, name, Refusing())
        return exporter

    def samples(self, exporter: PrometheusExporter, name: str) -> list[tuple[dict[str, str], float]]:
        return [
            (dict(sample.labels), sample.value)
            for family in exporter.registry.collect()
            for sample in family.samples
            if sample.name == name and sample.value
        ]

    def observed(self, exporter: PrometheusExporter) -> list[ObservedCall]:
        hits: dict[str, float] = defaultdict(float)
        for labels, value in self.samples(exporter, "lluminary_cache_hits_total"):
            hits[labels["operation"]] += value
        tokens: dict[tuple[str, str, str, str], float] = defaultdict(float)
        for labels, value in self.samples(exporter, "lluminary_tokens_total"):
            tokens[(labels["operation"], labels["provider"], labels["model"], labels["type"])] += value
        errors: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for labels, value in self.samples(exporter, "lluminary_errors_total"):
            errors[(labels["operation"], labels["provider"], labels["model"])] += [labels["error_type"]] * int(value)
        first: dict[tuple[str, str], float] = defaultdict(float)
        for labels, value in self.samples(exporter, "lluminary_time_to_first_chunk_seconds_count"):
            first[(labels["provider"], labels["model"])] += value
        found: list[ObservedCall] = []
        for labels, value in self.samples(exporter, "lluminary_requests_total"):
            operation, provider, model, status = (
                labels["operation"],
                labels["provider"],
                labels["model"],
                labels["status"],
            )
            calls = int(value)
            if status == "error":
                found.extend(
                    ObservedCall(operation, provider, model, "error", error_type)
                    for error_type in errors[(operation, provider, model)][:calls]
                )
                continue
            if status == "ok" and hits[operation]:
                cached = min(calls, int(hits.pop(operation)))
                found.append(ObservedCall(operation, provider, model, "cache_hit", calls=cached))
                calls -= cached
            if calls:
                found.append(
                    ObservedCall(
                        operation,
                        provider,
                        model,
                        status,
                        calls=calls,
                        input_tokens=int(tokens.pop((operation, provider, model, "input"), 0)),
                        output_tokens=int(tokens.pop((operation, provider, model, "output"), 0)),
                        first_chunks=int(first.pop((provider, model), 0)) if operation == "stream" else 0,
                    )
                )
        return found

    def open_calls(self, exporter: PrometheusExporter) -> int:
        return int(sum(value for _, value in self.samples(exporter, "lluminary_in_flight_requests")))

    def exported_text(self, exporter: PrometheusExporter) -> str:
        return generate_latest(exporter.registry).decode()
