"""Errors shared across the package."""


class UserError(Exception):
    """An error the user can fix (bad parameter, missing data, checksum mismatch).

    The CLI prints it as one clear line without a traceback and exits with status 2.
    """
