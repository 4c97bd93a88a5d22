"""mentor-leads: job leads collected, matched and passed along by mentors."""

# The one place the version is written; pyproject.toml reads it from here.
__version__ = "0.1.0"
