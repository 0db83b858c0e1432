"""A user's environment module that cannot be imported: it needs a package that is not installed
(`run.py --game tests.broken_env_module:Anything-v0` must say so in one line)."""

import a_package_this_environment_needs_but_nobody_installed  # noqa: F401
