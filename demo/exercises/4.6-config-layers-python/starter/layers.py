"""Слияние слоёв конфигурации: defaults < файл < переменные окружения."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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
    raise NotImplementedError
