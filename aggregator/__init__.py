"""mentor-leads: job leads collected, matched and passed along by mentors."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mentor-leads")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
