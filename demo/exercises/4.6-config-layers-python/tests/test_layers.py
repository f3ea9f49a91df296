import copy

import pytest

from layers import ConfigError, merge_config

DEFAULTS = {
    "debug": False,
    "port": 8080,
    "ratio": 0.5,
    "name": "orders",
    "origins": ["http://localhost"],
    "extra": None,
    "db": {
        "host": "localhost",
        "port": 5432,
        "max_conns": 10,
        "pool": {"idle_timeout": 30.0},
    },
}


# --- задача 1: defaults + файл ---------------------------------------------------------


@pytest.mark.task(taskno=1)
def test_defaults_only():
    assert merge_config(DEFAULTS) == DEFAULTS
    assert merge_config(DEFAULTS, None, None) == DEFAULTS


@pytest.mark.task(taskno=1)
def test_file_overrides_nested_keys_only():
    result = merge_config(DEFAULTS, {"port": 9000, "db": {"host": "db.internal", "pool": {"idle_timeout": 5.5}}})
    expected = copy.deepcopy(DEFAULTS)
    expected["port"] = 9000
    expected["db"]["host"] = "db.internal"
    expected["db"]["pool"]["idle_timeout"] = 5.5
    assert result == expected


@pytest.mark.task(taskno=1)
def test_int_is_accepted_for_float_and_converted():
    result = merge_config(DEFAULTS, {"ratio": 1, "db": {"pool": {"idle_timeout": 60}}})
    assert result["ratio"] == 1.0 and isinstance(result["ratio"], float)
    assert isinstance(result["db"]["pool"]["idle_timeout"], float)


@pytest.mark.task(taskno=1)
def test_inputs_are_not_mutated_and_result_is_independent():
    defaults = copy.deepcopy(DEFAULTS)
    file_cfg = {"origins": ["https://a.example"], "db": {"port": 6432}}
    file_copy = copy.deepcopy(file_cfg)
    result = merge_config(defaults, file_cfg)
    assert defaults == DEFAULTS
    assert file_cfg == file_copy
    result["db"]["host"] = "changed"
    result["origins"].append("https://b.example")
    assert defaults["db"]["host"] == "localhost"
    assert file_cfg["origins"] == ["https://a.example"]
    assert merge_config(defaults)["db"]["host"] == "localhost"


@pytest.mark.task(taskno=1)
def test_none_default_accepts_any_value():
    result = merge_config(DEFAULTS, {"extra": {"feature_flags": ["a", "b"]}})
    assert result["extra"] == {"feature_flags": ["a", "b"]}


# --- задача 2: переменные окружения ------------------------------------------------------


@pytest.mark.task(taskno=2)
def test_env_overrides_file_and_defaults():
    result = merge_config(DEFAULTS, {"port": 9000, "db": {"port": 6432}}, {"APP_PORT": "9100", "APP_DB__HOST": "pg"})
    assert result["port"] == 9100
    assert result["db"]["port"] == 6432
    assert result["db"]["host"] == "pg"


@pytest.mark.task(taskno=2)
def test_env_type_coercion():
    env = {
        "APP_DEBUG": "true",
        "APP_RATIO": "0.75",
        "APP_NAME": "  billing  ",
        "APP_ORIGINS": "https://a.example, https://b.example,,",
        "APP_DB__MAX_CONNS": " 25 ",
        "APP_DB__POOL__IDLE_TIMEOUT": "1e2",
        "APP_EXTRA": "raw",
    }
    result = merge_config(DEFAULTS, env=env)
    assert result["debug"] is True
    assert result["ratio"] == 0.75
    assert result["name"] == "  billing  "
    assert result["origins"] == ["https://a.example", "https://b.example"]
    assert result["db"]["max_conns"] == 25
    assert result["db"]["pool"]["idle_timeout"] == 100.0
    assert result["extra"] == "raw"


@pytest.mark.task(taskno=2)
def test_bool_spellings():
    for raw, expected in [("1", True), ("YES", True), ("On", True), ("0", False), ("False", False), ("off", False), ("no", False)]:
        assert merge_config({"flag": not expected}, env={"APP_FLAG": raw})["flag"] is expected, raw


@pytest.mark.task(taskno=2)
def test_env_names_are_case_insensitive_after_prefix():
    result = merge_config(DEFAULTS, env={"APP_Db__Host": "pg", "APP_port": "1"})
    assert result["db"]["host"] == "pg"
    assert result["port"] == 1


@pytest.mark.task(taskno=2)
def test_foreign_and_unknown_variables_are_ignored():
    env = {
        "PATH": "/usr/bin",
        "HOME": "/root",
        "PORT": "1",
        "APP_UNKNOWN": "x",
        "APP_DB__UNKNOWN": "x",
        "APP_PORT__X": "x",
        "APP_DB____HOST": "x",
        "APP_": "x",
    }
    assert merge_config(DEFAULTS, env=env) == DEFAULTS


@pytest.mark.task(taskno=2)
def test_custom_prefix():
    result = merge_config(DEFAULTS, env={"ORDERS_PORT": "7000", "APP_PORT": "1"}, prefix="ORDERS_")
    assert result["port"] == 7000


@pytest.mark.task(taskno=2)
def test_empty_env_list_is_empty_list():
    assert merge_config(DEFAULTS, env={"APP_ORIGINS": ""})["origins"] == []


# --- задача 3: ошибки ----------------------------------------------------------------------


@pytest.mark.task(taskno=3)
def test_unknown_file_key_is_an_error():
    with pytest.raises(ConfigError) as error:
        merge_config(DEFAULTS, {"db": {"hots": "typo"}})
    assert error.value.path == "db.hots"


@pytest.mark.task(taskno=3)
def test_file_type_mismatches():
    cases = [
        ({"port": "8080"}, "port"),
        ({"port": True}, "port"),
        ({"port": 1.5}, "port"),
        ({"debug": 1}, "debug"),
        ({"ratio": "0.5"}, "ratio"),
        ({"name": 5}, "name"),
        ({"origins": "a,b"}, "origins"),
        ({"db": "postgres://"}, "db"),
        ({"db": {"pool": 5}}, "db.pool"),
        ({"db": {"port": None}}, "db.port"),
    ]
    for file_cfg, path in cases:
        with pytest.raises(ConfigError) as error:
            merge_config(DEFAULTS, file_cfg)
        assert error.value.path == path, file_cfg


@pytest.mark.task(taskno=3)
def test_env_invalid_values():
    cases = [
        ("APP_PORT", "eighty", "port"),
        ("APP_PORT", "80.5", "port"),
        ("APP_DEBUG", "maybe", "debug"),
        ("APP_RATIO", "half", "ratio"),
        ("APP_DB__PORT", "", "db.port"),
    ]
    for name, raw, path in cases:
        with pytest.raises(ConfigError) as error:
            merge_config(DEFAULTS, env={name: raw})
        assert error.value.path == path, name
        assert name in str(error.value), "the message must name the variable"


@pytest.mark.task(taskno=3)
def test_env_cannot_replace_a_section():
    with pytest.raises(ConfigError) as error:
        merge_config(DEFAULTS, env={"APP_DB__POOL": "x"})
    assert error.value.path == "db.pool"
