"""The exceptions of vaultctl: one base class, one subclass per concern.

An exception means "could not do or evaluate this"; a broken chain or a broken
rule is a finding (data), never an exception. ``exit_code`` is what the command
line exits with when the error reaches it.
"""

from __future__ import annotations


def message_of(e: BaseException) -> str:
    """What ``e`` says: a vaultctl error's message as raised, else ``str(e)``."""
    return e.message if isinstance(e, VaultError) else str(e)


class VaultError(Exception):
    """Base of every error vaultctl reports to a user as one line, followed
    by ``hints``: the next steps (a command that puts it right), one a line."""

    exit_code = 1
    hints: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """The message as raised: a core ``Text`` stays one (for the edge)."""
        first = self.args[0] if self.args else ""
        return first if isinstance(first, str) else str(self)

    def with_hints(self, *hints: str) -> VaultError:
        self.hints = tuple(hints)
        return self


class UsageError(VaultError):
    """The input given on the command line or in a file is not acceptable."""


class ArgumentError(UsageError):
    """A bad value given on the command line (a malformed --checkpoint or
    --code): a usage error, exit 2 like click's own."""

    exit_code = 2


class ConfigError(UsageError):
    """``site.toml`` is invalid; the message names the field."""


class SchemaError(VaultError):
    """An entry or body does not have the required shape."""


class CanonicalError(VaultError):
    """Bytes are not valid canonical JSON (RFC 8785) for vaultctl."""

    def __init__(self, message: str, code: str = "bad-json") -> None:
        super().__init__(message)
        self.code = code


class KeyFileError(VaultError):
    """A key file is missing, unreadable, too open, or the passphrase is wrong."""


class WrongPassphraseError(KeyFileError):
    """The passphrase does not decrypt the key (or the key file is damaged)."""


class LedgerError(VaultError):
    """The ledger cannot be read or appended to as asked."""


class VaultMissingError(LedgerError):
    """The vault or its ledger does not exist or cannot be read (exit 4)."""

    exit_code = 4


class IntegrityError(LedgerError):
    """The log fails verification and nothing of it can be shown as true."""

    exit_code = 3


class LockTimeoutError(LedgerError):
    """Another writer held the vault lock for too long."""


class RefusedError(VaultError):
    """A writing command refused an entry; nothing was written."""


class ProofError(VaultError):
    """A Merkle proof is malformed or does not verify."""


class CheckpointError(VaultError):
    """A checkpoint note is malformed or a known signature on it fails."""
