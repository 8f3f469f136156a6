"""docker-compose.yml only runs commands this version has and sets only real settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import typer.main
import yaml

from newsum.cli import _register_subcommands, app
from newsum.config import Settings

ROOT = Path(__file__).resolve().parents[1]
NEWSUM_IMAGE_MARK = "newsum"


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _newsum_services() -> dict[str, dict]:
    services = _compose()["services"]
    return {name: spec for name, spec in services.items() if spec.get("image", "").startswith(
        NEWSUM_IMAGE_MARK)}


def _cli() -> Any:
    _register_subcommands()
    return typer.main.get_command(app)


def _resolves(group: Any, words: list[str]) -> bool:
    command = group
    for word in words:
        if word.startswith("-") or not hasattr(command, "get_command"):
            break
        sub = command.get_command(click.Context(command), word)
        if sub is None:
            return False
        command = sub
    return command is not group


def _is_setting(name: str) -> bool:
    parts = name.removeprefix("NEWSUM_").lower().split("__")
    fields = Settings.model_fields
    for depth, part in enumerate(parts):
        if part not in fields:
            return False
        annotation = fields[part].annotation
        if depth < len(parts) - 1:
            fields = getattr(annotation, "model_fields", {})
    return True


def test_every_newsum_service_runs_a_real_command() -> None:
    cli = _cli()
    services = _newsum_services()
    assert {"migrate", "api", "worker-gpu0", "beat", "flower"} <= set(services)
    for name, spec in services.items():
        assert _resolves(cli, list(spec["command"])), f"{name}: {spec['command']} is not a command"


def test_every_newsum_variable_is_a_real_setting() -> None:
    for name, spec in _newsum_services().items():
        for variable in spec.get("environment", {}):
            if variable.startswith("NEWSUM_"):
                assert _is_setting(variable), f"{name}: {variable} is not a newsum setting"


def test_secrets_come_from_the_environment_and_services_need_auth() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("POSTGRES_PASSWORD", "NEWSUM_API_TOKEN", "NEWSUM_FLOWER_PASSWORD"):
        assert re.search(rf"\$\{{{secret}:\?", text), f"{secret} must be required from the env"
    example = (ROOT / ".env.example").read_text()
    assert all(line.endswith("=") for line in example.splitlines() if "=" in line)


def test_workers_reserve_one_gpu_each() -> None:
    for name, spec in _newsum_services().items():
        if name.startswith("worker"):
            (device,) = spec["deploy"]["resources"]["reservations"]["devices"]
            assert device["capabilities"] == ["gpu"] and len(device["device_ids"]) == 1
