"""Uploads bounded while they are read, not after.

Django's own handlers keep a small file in memory and spool a large one to disk,
but accept any size: a view that checks ``file.size`` has already received it. This
handler writes every file to a temporary file on disk and stops reading as soon as
one file passes ``UPLOAD_MAX_FILE_BYTES`` or the request passes
``UPLOAD_MAX_REQUEST_BYTES``; a request that announces more than that with its
Content-Length is refused before a byte of it is read.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.utils.translation import gettext as _


class UploadTooLarge(Exception):
    """An upload passed one of the limits; answered with a 413."""

    def __init__(self, message: str, field: str = "files"):
        super().__init__(message)
        self.field = field


def request_limit_message() -> str:
    return _("The request is larger than %(mb)s MB.") % {
        "mb": round(settings.UPLOAD_MAX_REQUEST_BYTES / 1_000_000, 1)
    }


def file_limit_message(name: str) -> str:
    return _("%(name)s is larger than %(mb)s MB.") % {
        "name": name,
        "mb": round(settings.UPLOAD_MAX_FILE_BYTES / 1_000_000, 1),
    }


class BoundedUploadHandler(TemporaryFileUploadHandler):
    """Every file to disk, with the per-file and per-request limits counted per chunk."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > settings.UPLOAD_MAX_REQUEST_BYTES:
            raise UploadTooLarge(request_limit_message())
        self.request_bytes = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.file_bytes = 0

    def receive_data_chunk(self, raw_data, start):
        self.file_bytes += len(raw_data)
        self.request_bytes = getattr(self, "request_bytes", 0) + len(raw_data)
        if self.file_bytes > settings.UPLOAD_MAX_FILE_BYTES:
            self.file.close()
            raise UploadTooLarge(file_limit_message(self.file_name))
        if self.request_bytes > settings.UPLOAD_MAX_REQUEST_BYTES:
            self.file.close()
            raise UploadTooLarge(request_limit_message())
        return super().receive_data_chunk(raw_data, start)
