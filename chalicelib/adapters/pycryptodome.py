"""PyCryptodome without the subprocess its first native library would start.

In the Lambda package PyCryptodome loads its C code with ctypes (there is no cffi).
Before its first library it calls ``platform.architecture()`` to learn whether the
interpreter is a Windows binary, and that runs ``file -b <python>`` in a child
process: a fork of the whole process on the first sealing or JWT check of every
cold start (6 ms of CPU here, more than AES itself; where ``file`` is missing, as
on Lambda, the fork still happens and the exec fails). The answer is known without
asking: the bits come from the interpreter, and the linkage matters only for names
without a suffix, which PyCryptodome never loads. So ``prepare()`` fills
PyCryptodome's own cache of that answer before its first library, and nothing else.
If a PyCryptodome release drops the cache (or cffi is installed, which has none),
it does nothing and the library asks as before: slower, never wrong.

domain/request_ids.py (Open311 ids) may not import adapters and does not call it;
after a sealing or a JWT check in the same process the cache is already filled.
"""

from __future__ import annotations

_prepared = False


def prepare() -> None:
    """Call before the first ``from Crypto... import``; cheap after the first call."""
    global _prepared
    if _prepared:
        return
    _prepared = True
    import platform

    from Crypto.Util import _raw_api

    cache = getattr(_raw_api, "cached_architecture", None)
    if isinstance(cache, list) and not cache:
        # No executable: platform reads the bits from the interpreter and runs no `file`.
        cache[:] = platform.architecture(executable="")
