"""The portal's one outbound HTTP client: webhooks, exporters and any other service the
portal calls. Every call has a timeout, a size cap on what it reads, no redirects
(a redirect is an answer, not a place to go), and one error type that says what went
wrong in words a log or a page can show."""

from __future__ import annotations

from dataclasses import dataclass

import requests

USER_AGENT = "mlops-portal"


class HttpError(Exception):
    """The call did not get an answer: unreachable, timed out, too large, or refused
    by the transport. ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: bytes


def http_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def http_request(
    method: str,
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    session: requests.Session | None = None,
) -> HttpAnswer:
    """One request; returns the status and at most ``max_bytes`` of the body (a longer
    body raises). Any status is an answer: callers decide what a 4xx or 5xx means."""
    http = session or http_session()
    try:
        response = http.request(
            method,
            url,
            data=data,
            headers=headers,
            timeout=timeout,
            stream=True,
            allow_redirects=False,
        )
        try:
            body = response.raw.read(max_bytes + 1, decode_content=True) or b""
        finally:
            response.close()
    except requests.Timeout as exc:
        raise HttpError(f"{url} timed out after {timeout:g}s") from exc
    except requests.RequestException as exc:
        raise HttpError(f"{url} unreachable: {exc.__class__.__name__}: {exc}") from exc
    finally:
        if session is None:
            http.close()
    if len(body) > max_bytes:
        raise HttpError(f"{url} sent more than {max_bytes} bytes", status=response.status_code)
    return HttpAnswer(status=response.status_code, body=body)
