"""The YAML configuration: load, validate and expand it into groups and endpoints.

``load_config`` / ``load_config_file`` return a :class:`~pulse_core.config.model.PulseConfig`
or raise :class:`ConfigError` with every problem found, each located by line and column.
See ``docs/configuration.md`` for the file format.
"""

from pulse_core.config.endpoints import endpoint_id
from pulse_core.config.errors import ConfigError, ConfigIssue
from pulse_core.config.load import load_config, load_config_file, read_config_text
from pulse_core.config.model import PulseConfig, text_sha256
from pulse_core.config.storage import default_data_dir

__all__ = [
    "ConfigError",
    "ConfigIssue",
    "PulseConfig",
    "default_data_dir",
    "endpoint_id",
    "load_config",
    "load_config_file",
    "read_config_text",
    "text_sha256",
]
