import importlib.util

# The fake provider servers are being written alongside; load their fixtures once they exist.
if importlib.util.find_spec("tests.fakes.fixtures") is not None:
    pytest_plugins = ["tests.fakes.fixtures"]
