import pytest

from layers import ConfigError, merge_config

DEFAULTS = {"port": 8080, "debug": False, "db": {"host": "localhost", "port": 5432}}


@pytest.mark.task(taskno=1)
def test_example_file_layer():
    assert merge_config(DEFAULTS, {"db": {"host": "db.internal"}}) == {
        "port": 8080,
        "debug": False,
        "db": {"host": "db.internal", "port": 5432},
    }


@pytest.mark.task(taskno=2)
def test_example_env_layer():
    result = merge_config(DEFAULTS, {"port": 9000}, {"APP_PORT": "9100", "APP_DB__PORT": "6432", "HOME": "/root"})
    assert result["port"] == 9100
    assert result["db"]["port"] == 6432


@pytest.mark.task(taskno=3)
def test_example_bad_env_value():
    with pytest.raises(ConfigError) as error:
        merge_config(DEFAULTS, env={"APP_DEBUG": "sometimes"})
    assert error.value.path == "debug"
