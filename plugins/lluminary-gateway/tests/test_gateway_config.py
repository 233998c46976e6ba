"""The config file (YAML and TOML), its errors, and how aliases spread calls over deployments."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from lluminary import ConfigurationError
from lluminary_gateway.config import load_config, parse_config
from lluminary_gateway.router import Router
from lluminary_testing.scenario import ErrorScenario, Scenario

YAML = """
master_key_env: GW_MASTER
keys: sqlite:///tmp/never-opened.db
exporters: [prometheus]
cache: memory://
max_body_bytes: 1048576
providers:
  openai:
    api_key_env: GW_OPENAI_KEY
    timeout: 30
prices:
  openai:gpt-4o-mini: {input: 0.15, output: 0.6}
models:
  fast:
    strategy: least-busy
    deployments:
      - openai:gpt-4o-mini
      - model: anthropic:claude-haiku-4-5
        base_url: http://127.0.0.1:9/
        api_key_env: GW_ANTHROPIC_KEY
        timeout: 20
    fallbacks: [slow]
  slow: google:gemini-2.5-pro
"""

TOML = """
master_key_env = "GW_MASTER"
keys = "memory://"
[models.fast]
deployments = ["openai:gpt-4o-mini", "openai:gpt-4o"]
strategy = "round-robin"
"""

ENV = {
    "GW_MASTER": "master-0123456789",
    "GW_OPENAI_KEY": "sk-openai-0123456789",
    "GW_ANTHROPIC_KEY": "sk-ant-0123456789",
}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_yaml(tmp_path):
    config = load_config(write(tmp_path, "gateway.yaml", YAML), ENV)
    fast = config.aliases["fast"]
    assert fast.strategy == "least-busy"
    assert fast.fallbacks == ("slow",)
    assert [d.model for d in fast.deployments] == ["openai:gpt-4o-mini", "anthropic:claude-haiku-4-5"]
    assert fast.deployments[1].api_key is not None
    assert fast.deployments[1].api_key.get() == "sk-ant-0123456789"
    assert fast.deployments[1].timeout == 20
    assert config.providers["openai"]["api_key"].get() == "sk-openai-0123456789"
    assert config.exporters == ("prometheus",)
    assert config.cache == "memory://"
    assert config.prices["openai:gpt-4o-mini"] == {"input": 0.15, "output": 0.6}
    assert config.max_body_bytes == 1048576
    assert config.master_key is not None
    assert "master-0123456789" not in repr(config)


def test_toml(tmp_path):
    config = load_config(write(tmp_path, "gateway.toml", TOML), ENV)
    assert [d.model for d in config.aliases["fast"].deployments] == ["openai:gpt-4o-mini", "openai:gpt-4o"]
    assert config.keys == "memory://"


@pytest.mark.parametrize(
    "document, message",
    [
        ({"nope": 1}, "unknown key 'nope'"),
        ({"models": {"a": {"deployments": []}}}, "at least one deployment"),
        ({"models": {"a": "gpt-4o"}}, "provider:model"),
        ({"models": {"a": {"deployments": ["openai:x"], "strategy": "random"}}}, "strategy"),
        ({"models": {"a": {"deployments": ["openai:x"], "fallbacks": ["b"]}}}, "neither an alias"),
        ({"models": {"a": {"deployments": [{"model": "openai:x", "api_key": "sk-inline"}]}}}, "api_key_env"),
        ({"models": {"a": {"deployments": [{"model": "openai:x", "api_key_env": "UNSET_VAR"}]}}}, "UNSET_VAR"),
        ({"keys": "memory://"}, "master key"),
        ({"keys": "postgres://x", "master_key_env": "GW_MASTER"}, "keys must be"),
        ({"master_key_env": "UNSET_MASTER"}, "UNSET_MASTER"),
        ({"max_body_bytes": 0}, "max_body_bytes"),
        ({"exporters": "prometheus"}, "exporters"),
    ],
)
def test_errors_name_the_problem(document, message):
    with pytest.raises(ConfigurationError, match=message):
        parse_config(document, ENV)


def test_file_errors(tmp_path):
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_config(tmp_path / "missing.yaml", ENV)
    with pytest.raises(ConfigurationError, match="not valid YAML"):
        load_config(write(tmp_path, "bad.yaml", "models: [\n"), ENV)
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_config(write(tmp_path, "bad.toml", "models = [\n"), ENV)
    with pytest.raises(ConfigurationError, match=r"\.yaml, \.yml or \.toml"):
        load_config(write(tmp_path, "gateway.json", "{}"), ENV)


def test_round_robin_rotates_the_first_deployment():
    config = parse_config({"models": {"m": {"deployments": ["openai:a", "openai:b", "openai:c"]}}}, ENV)
    router = Router(config)
    firsts = [router.plan("m")[0].model for _ in range(6)]
    assert firsts == ["openai:a", "openai:b", "openai:c"] * 2
    assert [d.model for d in router.plan("m")] == ["openai:a", "openai:b", "openai:c"]


def test_least_busy_prefers_the_idle_deployment():
    config = parse_config({"models": {"m": {"deployments": ["openai:a", "openai:b"], "strategy": "least-busy"}}}, ENV)
    router = Router(config)
    first = router.plan("m")[0]
    with router.busy(first):
        assert router.plan("m")[0].model == "openai:b"
    assert router.plan("m")[0].model == "openai:a"


def test_each_deployment_gets_its_own_endpoint_key_and_timeout(tmp_path):
    from lluminary.sdk import build_chat_request
    from lluminary_gateway.calls import for_deployment

    config = load_config(write(tmp_path, "gateway.yaml", YAML), ENV)
    plain, custom = config.aliases["fast"].deployments
    built = build_chat_request(custom.model, "hi", **custom.call_options())
    assert for_deployment(built, custom) is built  # the usual call: sent as built, not copied
    moved = for_deployment(built, plain)
    assert (moved.model, moved.base_url, moved.api_key, moved.timeout) == ("openai:gpt-4o-mini", None, None, None)
    back = for_deployment(moved, custom)
    assert (back.model, back.base_url, back.timeout) == (custom.model, custom.base_url, 20)
    assert back.api_key is custom.api_key


def test_fallbacks_follow_the_deployments_and_unknown_names_are_404():
    config = parse_config(
        {
            "models": {
                "a": {"deployments": ["openai:x"], "fallbacks": ["b", "google:z"]},
                "b": {"deployments": ["anthropic:y"], "fallbacks": ["a"]},
            },
            "allow_any_model": False,
        },
        ENV,
    )
    router = Router(config)
    assert [d.model for d in router.plan("a")] == ["openai:x", "anthropic:y", "google:z"]
    with pytest.raises(Exception, match="does not exist"):
        router.plan("openai:not-an-alias")


@pytest.mark.integration
def test_a_failing_deployment_falls_back_to_the_next(start_gateway, master_key, upstreams):
    deployments = [
        {"model": "openai:gpt-4o-mini", "base_url": upstreams.openai.base_url, "api_key_env": "GW_OPENAI_KEY"},
        {
            "model": "anthropic:claude-sonnet-5-5",
            "base_url": upstreams.anthropic.base_url,
            "api_key_env": "GW_ANTHROPIC_KEY",
        },
    ]
    models = {
        "both": {"deployments": deployments},
        "gemini": {
            "deployments": [
                {
                    "model": "google:gemini-2.5-flash",
                    "base_url": upstreams.gemini.base_url,
                    "api_key_env": "GW_GEMINI_KEY",
                }
            ]
        },
    }
    models["both"]["fallbacks"] = ["gemini"]
    with start_gateway(models=models) as running:
        client = openai.OpenAI(base_url=running.url + "/v1", api_key=master_key, max_retries=0)
        upstreams.openai.script(ErrorScenario("server"))
        upstreams.anthropic.script(Scenario(text="from anthropic"))
        assert (
            client.chat.completions.create(model="both", messages=[{"role": "user", "content": "x"}])
            .choices[0]
            .message.content
            == "from anthropic"
        )
        # Round robin: the next call starts at the second deployment; streams fall back too.
        upstreams.anthropic.script(ErrorScenario("overloaded"))
        upstreams.openai.script(ErrorScenario("server"))
        upstreams.gemini.script(Scenario(text=["from ", "gemini"]))
        chunks = client.chat.completions.create(model="both", messages=[{"role": "user", "content": "x"}], stream=True)
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "from gemini"


@pytest.mark.integration
def test_round_robin_spreads_calls(start_gateway, master_key, upstreams):
    deployments = [
        {"model": "openai:gpt-4o-mini", "base_url": upstreams.openai.base_url, "api_key_env": "GW_OPENAI_KEY"},
        {"model": "google:gemini-2.5-flash", "base_url": upstreams.gemini.base_url, "api_key_env": "GW_GEMINI_KEY"},
    ]
    with start_gateway(models={"rr": {"deployments": deployments}}) as running:
        client = openai.OpenAI(base_url=running.url + "/v1", api_key=master_key, max_retries=0)
        upstreams.openai.script(*[Scenario(text="o")] * 2)
        upstreams.gemini.script(*[Scenario(text="g")] * 2)
        answers = [
            client.chat.completions.create(model="rr", messages=[{"role": "user", "content": "x"}])
            .choices[0]
            .message.content
            for _ in range(4)
        ]
    assert answers == ["o", "g", "o", "g"]


@pytest.mark.integration
def test_serve_reports_a_bad_config_in_one_line(tmp_path):
    import subprocess
    import sys

    script = Path(sys.executable).with_name("lluminary")
    result = subprocess.run(
        [str(script), "serve", "--config", str(write(tmp_path, "g.yaml", "nope: 1\n"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: unknown key 'nope'")


@pytest.mark.integration
def test_serve_refuses_workers_that_would_count_alone(tmp_path):
    import subprocess
    import sys

    config = write(tmp_path, "g.yaml", "master_key_env: GW_MASTER\nkeys: memory://\n")
    script = Path(sys.executable).with_name("lluminary")
    result = subprocess.run(
        [str(script), "serve", "--config", str(config), "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, "GW_MASTER": "master-0123456789"},
    )
    assert result.returncode == 1
    assert "keep keys in Redis" in result.stderr


@pytest.mark.integration
def test_the_configured_cache_answers_repeats(start_gateway, master_key, upstreams):
    with start_gateway(cache="memory://gateway-test-cache") as running:
        client = openai.OpenAI(base_url=running.url + "/v1", api_key=master_key, max_retries=0)
        upstreams.openai.script(Scenario(text="cached answer"))
        answers = [
            client.chat.completions.create(model="gpt", messages=[{"role": "user", "content": "same"}])
            .choices[0]
            .message.content
            for _ in range(2)
        ]
    assert answers == ["cached answer", "cached answer"]
    assert len(upstreams.openai.requests) == 1
