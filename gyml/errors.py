"""The one exception type the edges (CLI, web) turn into a one-line message and exit code 2."""


class GymlError(Exception):
    """A problem with the user's input or environment, explained in one line."""
