"""No Docker engine runs here: check the compose file against the code instead."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

from config.celery import app as celery_app

ROOT = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def command_of(name: str) -> list[str]:
    command = SERVICES[name]["command"]
    return command if isinstance(command, list) else command.split()


def test_production_shape_is_complete():
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(SERVICES)


@pytest.mark.parametrize("name", ["postgres", "redis", "web", "worker"])
def test_long_running_services_have_healthchecks(name):
    assert SERVICES[name]["healthcheck"]["test"]


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_app_services_wait_for_healthy_dependencies(name):
    depends = SERVICES[name]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"
    assert SERVICES[name]["restart"] == "unless-stopped"


def test_web_runs_gunicorn_on_the_wsgi_application():
    command = command_of("web")
    assert command[:3] == ["gunicorn", "-c", "config/gunicorn.py"]
    assert (ROOT / command[2]).is_file()
    module, attribute = command[3].split(":")
    assert hasattr(importlib.import_module(module), attribute)
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_celery_services_point_at_the_celery_app(name):
    command = command_of(name)
    assert command[:3] == ["celery", "-A", "config"]
    assert command[3] == name
    assert importlib.import_module("config").celery_app is celery_app


def test_beat_schedule_names_registered_tasks():
    for app_name in ("grading", "interviews", "hiring"):
        importlib.import_module(f"{app_name}.tasks")
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in celery_app.tasks, entry["task"]


def test_migrate_service_runs_existing_commands():
    script = " ".join(command_of("migrate"))
    commands = get_commands()
    for name in ("migrate", "import_questions"):
        assert f"manage.py {name}" in script and name in commands


def test_app_environment_uses_settings_that_exist():
    env = COMPOSE["x-app"]["environment"]
    assert (
        env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
    )
    assert env["REDIS_URL"].startswith("redis://redis:6379")
    settings_source = (ROOT / "config" / "settings.py").read_text()
    compose_source = (ROOT / "docker-compose.yml").read_text()
    example = (ROOT / ".env.example").read_text()
    for line in example.splitlines():
        if line and not line.startswith("#"):
            key = line.split("=", 1)[0]
            # a few values are for docker compose itself (${KEY} in docker-compose.yml)
            if f"${{{key}" not in compose_source:
                assert f'"{key}"' in settings_source, (
                    f"{key} in .env.example is not read by settings"
                )
    for key in env:
        assert f'"{key}"' in settings_source


def env_example() -> dict[str, str]:
    """.env.example's values, commented-out examples included (``# KEY=value``)."""
    values: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.removeprefix("# ")
        if re.fullmatch(r"[A-Z_]+=\S*", line):
            key, value = line.split("=", 1)
            values[key] = value or values.get(key, "")
    return values


def test_local_model_profile_serves_the_documented_url():
    """`docker compose --profile llm up` starts ollama where .env.example and the docs
    point OPENAI_BASE_URL; without the profile nothing of it starts."""
    ollama = SERVICES["ollama"]
    assert ollama["profiles"] == ["llm"] and ollama["image"].startswith("ollama/ollama")
    url = urlsplit(env_example()["OPENAI_BASE_URL"])
    assert (url.scheme, url.hostname, url.path) == ("http", "ollama", "/v1")
    published = [str(p).rsplit(":", 1)[-1] for p in ollama["ports"]]
    assert str(url.port) in published and url.port == 11434  # Ollama's own port
    assert str(ollama["ports"][0]).startswith("127.0.0.1:")  # no authentication: host only
    assert url.geturl() in (ROOT / "docs" / "operations.md").read_text()
    for name, service in SERVICES.items():
        if "llm" not in service.get("profiles", []):
            assert not {"ollama", "ollama-pull"} & set(service.get("depends_on", {})), name


def test_local_model_profile_pulls_the_configured_model_into_a_volume():
    pull = SERVICES["ollama-pull"]
    assert pull["profiles"] == ["llm"] and pull["image"] == SERVICES["ollama"]["image"]
    assert pull["depends_on"]["ollama"]["condition"] == "service_healthy"
    assert urlsplit(pull["environment"]["OLLAMA_HOST"]).hostname == "ollama"
    assert pull["command"][0] == "pull"
    assert re.fullmatch(r"\$\{LOCAL_LLM_MODEL(:-[^}]+)?\}", pull["command"][1])
    example = env_example()
    assert example["LOCAL_LLM_MODEL"] and example["GRADING_LLM_MODEL"] == example["LOCAL_LLM_MODEL"]
    assert pull["command"][1] == f"${{LOCAL_LLM_MODEL:-{example['LOCAL_LLM_MODEL']}}}"
    assert SERVICES["ollama"]["healthcheck"]["test"]
    volume = SERVICES["ollama"]["volumes"][0].split(":")
    assert volume[0] in COMPOSE["volumes"] and volume[1] == "/root/.ollama"


def test_dockerfile_installs_from_the_lock_file():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --frozen --no-default-groups" in dockerfile
    assert "collectstatic" in dockerfile


def test_make_run_installs_the_runtime_dependencies_only():
    """Test and benchmark tools (locust brings gevent and flask) are groups of their own
    that `make run` and the image leave out."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = " ".join(project["project"]["dependencies"])
    for tool in ("locust", "pytest", "playwright", "gevent", "flask"):
        assert tool not in runtime
    assert "locust>=2.47" in project["dependency-groups"]["bench"]
    makefile = (ROOT / "Makefile").read_text()
    install = makefile.split("\ninstall:", 1)[1].split("\n\n", 1)[0]
    assert "--no-default-groups" in install and "--group" not in install


def _queues_of(command: list[str] | str) -> set[str]:
    text = command if isinstance(command, str) else " ".join(command)
    found = re.search(r"--queues=([\w,]+)", text)
    return set(found.group(1).split(",")) if found else {"celery"}


def test_every_routed_queue_has_a_worker_in_production_and_under_make_run():
    from core import devserver

    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {"celery"}
    consumed = set()
    for service in COMPOSE["services"].values():
        command = service.get("command") or []
        if "worker" in " ".join(command) and not service.get("profiles"):
            consumed |= _queues_of(command)
    assert routed <= consumed, routed - consumed
    assert routed <= _queues_of(devserver.WORKER)
