"""Rendered pages kept until what they show changes.

A page decorated with ``cached_page("content", ...)`` renders once; the next requests
of the same person, for the same address, language and roles, are answered with the
page kept in the cache, in which only what is the request's own is filled in: the
CSRF tokens, the notification bell and the messages (the layout's ``{% page_part %}``s).
Each
*scope* names a kind of change, with a generation token (``portal.generations``) that
the change replaces after commit:

- ``content``: every audited change (``portal.audit`` listeners): every state change
  goes through a service that writes its audit event, so no service change is missed;
- apps add their own (``inventory``: every sync run), through ``changed(scope)``.

``PAGE_CACHE_SECONDS`` (60 in production, 0 = off in development and tests) bounds what
no change announces: relative times ("5 minutes ago"), a source going stale, a change
made outside the services. The key holds a fingerprint of the code, templates and
catalogues, so a deploy never serves the previous release's pages.

A kept page is what the same person saw; its forms get a fresh CSRF token on every
request (a session's CSRF secret changes at each sign-in).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from functools import cache as memoize
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import get_language

from portal import generations
from portal.policy import roles_of

log = logging.getLogger(__name__)

CONTENT = "content"
_FINGERPRINTED = (".py", ".html", ".mo")
_SKIPPED_DIRS = {".venv", "venv", "node_modules", "var", ".git", "__pycache__", "tests", "bench"}


# --- the key -------------------------------------------------------------------------


@memoize
def code_fingerprint() -> str:
    """Sizes and times of the project's code, templates and catalogues, hashed once per
    process: the same release on every pod, another one after a deploy."""
    digest = hashlib.sha256()
    root = Path(settings.BASE_DIR)
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(_FINGERPRINTED):
                path = Path(folder, name)
                stat = path.stat()
                digest.update(
                    f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns};".encode()
                )
    return digest.hexdigest()[:16]


# --- the decorator -------------------------------------------------------------------


def _key(request, scopes: tuple[str, ...], extra: str = "") -> str:
    user = request.user
    parts = [
        code_fingerprint(),
        ",".join(scopes),
        str(user.pk),
        ",".join(sorted(roles_of(user))),
        get_language() or "",
        timezone.get_current_timezone_name(),
        request.get_host(),
        request.get_full_path(),
        extra,
    ]
    return "page-cache:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _cacheable(request) -> bool:
    return (
        bool(settings.PAGE_CACHE_SECONDS)
        and request.method in ("GET", "HEAD")
        and not getattr(request, "htmx", False)
        and getattr(request, "user", None) is not None
        and request.user.is_authenticated
    )


def _lookup(request, scopes, extra=""):
    """(key and generations, the value kept under them if they are still current) in
    one cache round trip; (None, None) when the cache cannot be reached."""
    try:
        key = _key(request, scopes, extra)
        found = cache.get_many([key, *map(generations.key_of, scopes)])
        current = generations.tokens(scopes, found)
    except Exception:
        log.warning("page cache: unreachable, rendering", exc_info=True)
        return None, None
    kept = found.get(key)
    if kept is not None and kept[0] == current:
        return (key, current), kept[1]
    return (key, current), None


def _store(where, value) -> None:
    key, current = where
    try:
        cache.set(key, (current, value), settings.PAGE_CACHE_SECONDS)
    except Exception:
        log.warning("page cache: could not store a page", exc_info=True)


def _is_html_page(response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and response.get("Content-Type", "").startswith("text/html")
    )


def cached_page(*scopes: str):
    """Keep a page, as a shell around its per-request parts, until one of ``scopes``
    changes (see the module). Only a 200 HTML page rendered through ``base.html`` is
    kept; the view runs as usual on a miss, so its permission checks and errors are
    those of an uncached page."""
    scopes = tuple(scopes) or (CONTENT,)

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not _cacheable(request):
                return view(request, *args, **kwargs)
            where, shell = _lookup(request, scopes)
            if shell is not None:
                return HttpResponse(fill_shell(request, shell))
            request.page_cache_capturing = True
            try:
                response = view(request, *args, **kwargs)
            finally:
                del request.page_cache_capturing
            if not response.streaming and _PART_START.encode() in response.content:
                html = response.content.decode()
                response.content = _strip_marks(html)
                if where is not None and _is_html_page(response):
                    _store(where, _shell_of(html))
            return response

        return wrapper

    return decorate


class CachedListMixin:
    """For a DRF list view: its JSON answer kept like a page, as the bytes sent, until
    one of ``page_cache_scopes`` changes. Authentication, permissions and content
    negotiation run before it; the browsable API (forms and tokens) is never kept."""

    page_cache_scopes: tuple[str, ...] = (CONTENT,)

    def list(self, request, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if _cacheable(request) and getattr(renderer, "format", "") == "json":
            auth = getattr(request, "auth", None)
            where, kept = _lookup(request, self.page_cache_scopes, f"api:{getattr(auth, 'pk', '')}")
            if kept is not None:
                content, content_type = kept
                return HttpResponse(content, content_type=content_type)
            self._page_cache_where = where
        return super().list(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        where = self.__dict__.pop("_page_cache_where", None)
        if where is not None and response.status_code == 200 and hasattr(response, "render"):
            response.render()
            _store(where, (response.content, response["Content-Type"]))
        return response


# --- the layout's side: a shell kept on a miss, its per-request parts filled on a hit ---

# A per-request part of the layout (the bell, the messages) is marked while a page is
# rendered to be kept; the page sent has no marks, the shell kept has a slot instead,
# and so has every CSRF token (the forms' hidden inputs and htmx's header).
_PART_START = "\x00page-part:"
_MARK = re.compile("\x00/?page-part(?::[a-z_]+)?\x00")
_SLOTS = re.compile(
    "\x00page-part:([a-z_]+)\x00.*?\x00/page-part\x00"
    r'|(?<=name="csrfmiddlewaretoken" value=")[^"]*(?=")'
    r'|(?<="X-CSRFToken": ")[^"]*(?=")',
    re.DOTALL,
)
_CSRF = "csrf"


def render_part(request, name: str, render_nodelist) -> str:
    """What ``{% page_part name %}`` outputs in ``base.html``: its content, marked when
    the page is being kept."""
    output = render_nodelist()
    if getattr(request, "page_cache_capturing", False):
        return f"{_PART_START}{name}\x00{output}\x00/page-part\x00"
    return output


def _strip_marks(html: str) -> str:
    return _MARK.sub("", html)


def _shell_of(html: str) -> list:
    """The page as its literal stretches (bytes, as sent) and the names of the slots
    between them, so that filling it is one join."""
    shell, at = [], 0
    for match in _SLOTS.finditer(html):
        shell += [html[at : match.start()].encode(), match.group(1) or _CSRF]
        at = match.end()
    shell.append(html[at:].encode())
    return shell


@memoize
def _layout_parts() -> tuple:
    from django.template.loader import get_template

    from portal.templatetags.portal_tags import PagePartNode

    template = get_template("base.html").template
    return template, {node.name: node for node in template.nodelist.get_nodes_by_type(PagePartNode)}


def fill_shell(request, shell: list) -> bytes:
    """The kept page with this request's CSRF token, bell and messages."""
    from django.template.context import make_context

    template, parts = _layout_parts()
    slots = {piece for piece in shell if isinstance(piece, str)}
    fills = {}
    if _CSRF in slots:
        fills[_CSRF] = get_token(request).encode()
    context = make_context({}, request)
    with context.bind_template(template):
        for name in slots - {_CSRF}:
            fills[name] = parts[name].nodelist.render(context).encode()
    return b"".join(piece if isinstance(piece, bytes) else fills[piece] for piece in shell)


def register() -> None:
    from portal.audit import add_audit_listener

    add_audit_listener(_on_audit_event)


def changed(scope: str) -> None:
    """Kept pages that show ``scope`` render again after this transaction commits
    (nothing to do while the cache is off)."""
    if settings.PAGE_CACHE_SECONDS:
        generations.changed(scope)


def _on_audit_event(event) -> None:
    changed(CONTENT)
