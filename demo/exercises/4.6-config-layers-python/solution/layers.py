"""Слияние слоёв конфигурации: defaults < файл < переменные окружения."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


class ConfigError(ValueError):
    """Ошибка конфигурации; path — путь к ключу через точку ("db.port")."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def merge_config(
    defaults: Mapping[str, Any],
    file_cfg: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    prefix: str = "APP_",
) -> dict[str, Any]:
    result = copy.deepcopy(dict(defaults))
    _merge_file(result, defaults, file_cfg or {}, "")
    for name in sorted(env or {}):
        if name.startswith(prefix):
            _apply_env(result, defaults, name, env[name], name[len(prefix) :])  # type: ignore[index]
    return result


def _merge_file(target: dict, schema: Mapping[str, Any], layer: Mapping[str, Any], path: str) -> None:
    for key, value in layer.items():
        where = f"{path}{key}"
        if key not in schema:
            raise ConfigError(where, "unknown key")
        default = schema[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise ConfigError(where, f"expected a section, got {type(value).__name__}")
            _merge_file(target[key], default, value, where + ".")
        else:
            target[key] = _check_type(default, value, where)


def _check_type(default: Any, value: Any, where: str) -> Any:
    if default is None:
        return copy.deepcopy(value)
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, list):
        ok = isinstance(value, list)
        value = list(value) if ok else value
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise ConfigError(where, f"expected {type(default).__name__}, got {type(value).__name__}")
    return value


def _apply_env(target: dict, schema: Mapping[str, Any], name: str, raw: str, rest: str) -> None:
    parts = rest.lower().split("__")
    for i, part in enumerate(parts):
        if not isinstance(schema, Mapping) or part not in schema:
            return  # чужая или неизвестная переменная — не наша забота
        if i < len(parts) - 1:
            schema, target = schema[part], target[part]
    key, where = parts[-1], ".".join(parts)
    default = schema[key]
    if isinstance(default, dict):
        raise ConfigError(where, f"{name} cannot set a whole section")
    target[key] = _coerce(default, raw, name, where)


def _coerce(default: Any, raw: str, name: str, where: str) -> Any:
    text = raw.strip()
    try:
        if isinstance(default, bool):
            if text.lower() in TRUE:
                return True
            if text.lower() in FALSE:
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        kind = type(default).__name__
        raise ConfigError(where, f"{name}={raw!r} is not a valid {kind}") from None
    if isinstance(default, list):
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw
