"""contrib/plugin-template is a skeleton to copy, not a plugin of this repository: its tests
import a package that is only installed once a copy is renamed, so pytest leaves it out here
(contrib/tests/test_plugin_template.py tests a renamed copy instead)."""

collect_ignore = ["plugin-template"]
