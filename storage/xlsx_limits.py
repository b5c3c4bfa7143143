"""Limits checked on an .xlsx before openpyxl unpacks it: a small zip can unpack to gigabytes.

openpyxl keeps a workbook's whole shared-string table in memory, so a 440 KB file whose strings
unpacked to 180 MB took 1.7 GB. The zip's directory states every part's packed and unpacked size,
so these checks read the directory only, never a part:

- ``MAX_FILE_BYTES`` (20 MB), the file itself: a 50,000-row roster packs to about 3 MB.
- ``MAX_UNPACKED_BYTES`` (50 MB), all parts unpacked together: the same roster is about 26 MB.
- ``MAX_RATIO`` (100) for every part larger than ``RATIO_FLOOR`` (1 MB) unpacked: spreadsheet XML
  packs 3 to 10 times; a part that packs a hundred times is a pattern made to be unpacked (the
  "zip bomb" of OWASP's file-upload guidance), not a table people typed.

The directory cannot promise more than it says: Python's zipfile stops unpacking a part at the size
the directory gives it.
"""

from __future__ import annotations

import io
import zipfile

from bot.core.errors import ZhibuError

MAX_FILE_BYTES = 20 * 2**20
MAX_UNPACKED_BYTES = 50 * 2**20
MAX_RATIO = 100
RATIO_FLOOR = 2**20


class WorkbookRefused(ZhibuError):
    """The workbook is too big, or packed too tightly, to be unpacked safely."""


def check_archive(data: bytes, name: str) -> None:
    """Refuse ``data`` (an .xlsx file's bytes) past the limits above; a damaged zip raises BadZipFile."""
    if len(data) > MAX_FILE_BYTES:
        raise WorkbookRefused(
            f"{name} 超过 {MAX_FILE_BYTES // 2**20} MB，不像名册表格"
            f" / larger than {MAX_FILE_BYTES // 2**20} MB, refused"
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = archive.infolist()
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED_BYTES:
        raise WorkbookRefused(
            f"{name} 解压后超过 {MAX_UNPACKED_BYTES // 2**20} MB，不像名册表格 / unpacks to more than "
            f"{MAX_UNPACKED_BYTES // 2**20} MB, refused"
        )
    for part in parts:
        if part.file_size > RATIO_FLOOR and part.file_size > MAX_RATIO * part.compress_size:
            raise WorkbookRefused(
                f"{name} 里的 {part.filename} 压缩了 {part.file_size // max(part.compress_size, 1)} 倍"
                f"（表格一般不超过 {MAX_RATIO} 倍），像是“压缩炸弹”"
                f" / packed more than {MAX_RATIO} times, refused"
            )
