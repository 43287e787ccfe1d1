"""Uploads are bounded while they are read: a file or a request over its limit is
refused with a 413 in the API's error shape, and nothing of it is imported."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.test import Client

from knowledge.models import Adr

pytestmark = pytest.mark.django_db

RECORD = b"# 1. Use MLflow\n\nDate: 2025-03-01\n\n## Status\n\nAccepted\n\n## Context\n\nWe need tracking.\n"


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _assert_413(response):
    assert response.status_code == 413, response.content[:300]
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert body["code"] == "invalid"


def test_a_file_over_the_per_file_limit_is_refused_while_it_is_read(alice, settings):
    settings.UPLOAD_MAX_FILE_BYTES = 10_000
    big = io.BytesIO(RECORD + b"x" * 20_000)
    big.name = "0002-big.md"
    small = io.BytesIO(RECORD)
    small.name = "0001-use-mlflow.md"
    response = _client(alice).post("/api/v1/adrs/import/", {"files": [small, big]})
    _assert_413(response)
    assert "0002-big.md" in response.json()["detail"]
    assert not Adr.objects.exists()


def test_a_request_over_the_total_limit_is_refused(alice, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 30_000
    files = []
    for n in range(4):
        f = io.BytesIO(RECORD + b"y" * 9_000)
        f.name = f"000{n}-part.md"
        files.append(f)
    response = _client(alice).post("/api/v1/adrs/import/", {"files": files})
    _assert_413(response)
    assert not Adr.objects.exists()


def test_an_announced_length_over_the_limit_is_refused_before_reading(alice, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 1_000
    response = _client(alice).post(
        "/api/v1/adrs/import/",
        b"--b\r\n",  # never read: the Content-Length below says too much already
        content_type="multipart/form-data; boundary=b",
        CONTENT_LENGTH="5000000",
    )
    _assert_413(response)


def test_the_page_import_refuses_too_with_the_styled_page(alice, settings):
    settings.UPLOAD_MAX_FILE_BYTES = 100
    big = io.BytesIO(RECORD * 5)
    big.name = "0001-big.md"
    response = _client(alice).post("/knowledge/adr/import/", {"files": [big]})
    assert response.status_code == 413
    assert b'class="site-footer"' in response.content


def test_files_within_the_limits_go_to_disk_and_are_imported(alice, monkeypatch):
    seen = []
    original = TemporaryUploadedFile.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        seen.append(self)

    monkeypatch.setattr(TemporaryUploadedFile, "__init__", spy)
    upload = io.BytesIO(RECORD)
    upload.name = "0001-use-mlflow.md"
    response = _client(alice).post("/api/v1/adrs/import/", {"files": [upload]})
    assert response.status_code == 200, response.content[:300]
    assert Adr.objects.get().title == "Use MLflow"
    assert len(seen) == 1  # streamed to a temporary file, not held in memory
