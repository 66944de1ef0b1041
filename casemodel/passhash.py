"""Password hashes: Argon2id computed by libsodium (through PyNaCl), as standard PHC strings
(`$argon2id$v=19$m=7168,t=5,p=1$salt$hash`).

libsodium picks the fastest Argon2 code for the processor at run time (AVX2/AVX-512 here): a
check costs about 15 ms where argon2-cffi's wheel (built for any x86-64: SSE2 at most) took
27 ms at the same parameters, and with 20 logins at once on two cores every millisecond is
waited for twenty times (docs/DESIGN-notes.md, "Password hashing"). It computes with one lane
only; it verifies hashes with any parameters, so hashes made by argon2-cffi keep working and are
redone at the next login.
"""

from __future__ import annotations

import re

import nacl.exceptions
import nacl.pwhash.argon2id as argon2id

_PARAMETERS = re.compile(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$")


class Argon2id:
    def __init__(self, *, memory_mib: int, passes: int) -> None:
        self.memory_kib, self.passes = memory_mib * 1024, passes

    def hash(self, password: str) -> str:
        encoded = argon2id.str(password.encode(), opslimit=self.passes,
                               memlimit=self.memory_kib * 1024)  # fmt: skip
        return encoded.decode("ascii")

    def matches(self, stored: str, password: str) -> bool:
        """Whether password is the one stored hashes; False for a hash that is not Argon2id."""
        try:
            return argon2id.verify(stored.encode("ascii"), password.encode())
        except (nacl.exceptions.InvalidkeyError, UnicodeEncodeError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """Whether stored was made with other parameters than this hasher's."""
        found = _PARAMETERS.match(stored)
        return found is None or tuple(map(int, found.groups())) != (self.memory_kib, self.passes, 1)
