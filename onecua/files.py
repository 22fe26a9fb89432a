"""Writing a file so that readers see the old one or the whole new one, never a part."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def file_write_atomically(target: str | Path, data: str | bytes, *, prefix: str = ".tmp-") -> None:
    """Write ``data`` (text as UTF-8) to a temporary file next to ``target``, then rename it over
    ``target``: a failure midway leaves ``target`` as it was and no temporary file behind. The
    directory must exist."""
    directory = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=prefix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
