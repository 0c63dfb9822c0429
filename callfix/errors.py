"""Errors the CLI turns into one clear line and a non-zero exit."""


class CallfixError(Exception):
    exit_code = 1


class InputError(CallfixError):
    """Bad input file: the message names the file and the problem."""

    exit_code = 2


class OutputError(CallfixError):
    """An output could not be written (disk full, permissions)."""

    exit_code = 3


class ModelMissingError(CallfixError):
    """A model is not in the store: the message names the command that fetches it."""

    exit_code = 4
