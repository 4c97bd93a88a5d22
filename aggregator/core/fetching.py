"""The one place that talks HTTP: limits, conditional GET, retries, size caps and redirects.

Every source fetches through a :class:`Fetcher`, so politeness (a global and a per-host limit on
requests in flight) and safety (a byte cap enforced on the wire *and* after decompression, a
redirect limit, a whole-request deadline) hold for all of them at once.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import ssl
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import certifi
import httpx

from aggregator.core.config import HttpConfig
from aggregator.core.errors import FetchError

log = logging.getLogger(__name__)

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT_REDIRECTS = frozenset({301, 308})
_RETRYABLE = frozenset({429, 500, 502, 503, 504})
_DRAIN_LIMIT = 65_536
# How long an idle connection is kept for the next request to its host (httpx's default: 5 s).
# A cold run fetches a host's feeds in waves with parsing in between, often longer than 5 s:
# every wave reconnected (135 connections for 200 feeds on 10 hosts instead of 40). A server
# that closes first is noticed before the connection is reused; none outlives the run.
KEEPALIVE_SECONDS = 60.0
_STATUS_ADVICE = {
    401: "the server wants a login; mentor-leads only reads public feeds — check the URL",
    403: "the server refuses this client; check the URL, or whether the site blocks feed readers",
    404: "nothing is at this URL any more; check it in a browser and update the config",
    410: "the feed was removed for good; delete or replace this source",
}

Sleep = Callable[[float], Awaitable[None]]
# What an http origin's client gets for TLS, which it never speaks (every redirect is followed
# through the client of its own origin): a context that trusts no certificate at all, so it
# could not open an unverified connection either. Cheap, unlike loading the CA bundle.
_NO_TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A fetched body, or the news that it has not changed."""

    url: str  # where the body finally came from
    status: int  # 200-class or 304
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None  # set when every redirect on the way was permanent

    @property
    def not_modified(self) -> bool:
        """True for a 304 answer to a conditional GET."""
        return self.status == 304


def build_client(
    settings: HttpConfig,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    connections: int | None = None,
    verify: ssl.SSLContext | bool = True,
) -> httpx.AsyncClient:
    """An HTTP client as sources use it; redirects and decoding are handled by the Fetcher.

    ``connections`` caps its pool (default: http.concurrency); ``verify`` may be a shared
    SSL context, which spares each client loading the CA bundle.
    """
    pool = connections or settings.concurrency
    return httpx.AsyncClient(
        headers={
            "User-Agent": settings.user_agent,
            # Only encodings we inflate ourselves under the size cap.
            "Accept-Encoding": "gzip, deflate",
        },
        # None: the Fetcher's deadline for the whole request (connect, send, every read of the
        # body) is http.timeout already; httpx's own per-step timeouts, each as long, could
        # never fire first, and each read and write paid for a cancel scope to arm them.
        timeout=httpx.Timeout(None),
        limits=httpx.Limits(
            max_connections=pool, max_keepalive_connections=pool, keepalive_expiry=KEEPALIVE_SECONDS
        ),
        follow_redirects=False,
        transport=transport,
        verify=verify,
    )


class Fetcher:
    """Polite, bounded HTTP GETs for sources."""

    def __init__(
        self,
        settings: HttpConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.settings = settings
        # An injected transport (tests) serves every host through one client; otherwise each
        # origin gets its own small pool: httpx's pool bookkeeping grows with the square of
        # the connections it holds, and one pool per host keeps it at http.per_host.
        self._shared = build_client(settings, transport) if transport is not None else None
        self._clients: dict[tuple[str, str, int | None], httpx.AsyncClient] = {}
        self._ssl: ssl.SSLContext | None = None
        self._sleep = sleep
        self._in_flight = asyncio.Semaphore(settings.concurrency)
        self._per_host: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close pooled connections."""
        clients = [*self._clients.values(), *([self._shared] if self._shared else [])]
        self._clients.clear()
        for client in clients:
            await client.aclose()

    def _client_for(self, address: httpx.URL) -> httpx.AsyncClient:
        """The client (and connection pool) for the origin of ``address``."""
        if self._shared is not None:
            return self._shared
        origin = (address.scheme, address.host, address.port)
        client = self._clients.get(origin)
        if client is None:
            verify = self._tls() if address.scheme == "https" else _NO_TLS
            client = build_client(self.settings, connections=self.settings.per_host, verify=verify)
            self._clients[origin] = client
        return client

    def _tls(self) -> ssl.SSLContext:
        """The verifying SSL context all https origins share, made for the first of them:
        loading the CA bundle is a tenth of a second that a run of http feeds never needs."""
        if self._ssl is None:
            self._ssl = ssl.create_default_context(cafile=certifi.where())
        return self._ssl

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
    ) -> FetchResult:
        """GET ``url``, following redirects, sending the validators for a conditional GET."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        address = _address(url)
        current, visited, permanent = url, [url], True
        for _ in range(self.settings.max_redirects + 1):
            answer = await self._get_with_retries(current, address, headers)
            status, response_headers, body = answer
            if status not in _REDIRECTS:
                return _result(current, status, response_headers, body, url, permanent)
            permanent = permanent and status in _PERMANENT_REDIRECTS
            current, address = _redirect_target(current, response_headers)
            if current in visited:
                raise FetchError(f"redirect loop: {' → '.join([*visited, current])}")
            visited.append(current)
        raise FetchError(
            f"more than {self.settings.max_redirects} redirects (last: {current}); "
            "use the final URL in the config, or raise http.max_redirects"
        )

    async def _get_with_retries(
        self, url: str, address: httpx.URL, headers: Mapping[str, str]
    ) -> tuple[int, httpx.Headers, bytes]:
        """GET ``url`` (parsed: ``address``), retrying what may answer next time."""
        retries = self.settings.retries
        for attempt in range(retries + 1):
            try:
                status, response_headers, body = await self._get_once(url, address, headers)
            except (TimeoutError, httpx.TimeoutException) as exc:
                if attempt == retries:
                    raise FetchError(
                        f"timed out after {self.settings.timeout:g} s at {url}; "
                        "the server is slow or down — raise http.timeout if it is just slow"
                    ) from exc
                await self._sleep(_backoff(attempt))
                continue
            except httpx.TransportError as exc:
                if attempt == retries:
                    raise FetchError(_transport_failure(url, exc)) from exc
                await self._sleep(_backoff(attempt))
                continue
            except httpx.InvalidURL as exc:
                # The address asked for was checked (_address): what httpx refuses as it
                # answers is a redirect's Location (`javascript:alert(1)`).
                raise FetchError(
                    f"{url} redirects to an address that is no web address ({_one_line(exc)}); "
                    "use the address the feed or board should be read at"
                ) from exc
            except (httpx.HTTPError, httpx.StreamError, ValueError) as exc:
                # What else httpx cannot take from the server (an undecodable host): the
                # same answer comes again, so it is not retried.
                raise FetchError(
                    f"unusable answer from {url} ({type(exc).__name__}: {_one_line(exc)}); "
                    "check the URL in a browser"
                ) from exc
            if status not in _RETRYABLE:
                _raise_for_status(url, status)
                return status, response_headers, body
            if attempt == retries:
                raise FetchError(
                    f"HTTP {status} from {url} (tried {retries + 1}x); it may pass: the next "
                    "collect tries again"
                )
            await self._sleep(self._retry_wait(url, status, response_headers, attempt))
        raise AssertionError("unreachable: the loop returns or raises")

    def _retry_wait(self, url: str, status: int, headers: httpx.Headers, attempt: int) -> float:
        wait = parse_retry_after(headers.get("Retry-After"))
        if wait is None:
            return _backoff(attempt)
        if wait > self.settings.max_retry_wait:
            raise FetchError(
                f"HTTP {status} from {url}: the server asks to wait {wait:.0f} s "
                f"(more than http.max_retry_wait={self.settings.max_retry_wait:g}); "
                "the next collect tries again"
            )
        log.info("HTTP %s from %s; retrying in %.1f s as Retry-After asks", status, url, wait)
        return wait

    async def _get_once(
        self, url: str, address: httpx.URL, headers: Mapping[str, str]
    ) -> tuple[int, httpx.Headers, bytes]:
        per_host = self._per_host.get(address.host)
        if per_host is None:
            per_host = self._per_host[address.host] = asyncio.Semaphore(self.settings.per_host)
        # The host's slot first: a request queued behind its busy host must not sit on a
        # global slot meanwhile, or one big host starves every other one.
        async with per_host, self._in_flight, asyncio.timeout(self.settings.timeout):
            client = self._client_for(address)
            request = client.build_request("GET", address, headers=headers)
            response = await client.send(request, stream=True)
            try:
                if response.status_code >= 300:
                    body = b""
                    await _drain(response)
                else:
                    body = await self._read_body(url, response)
            finally:
                await response.aclose()
            return response.status_code, response.headers, body

    async def _read_body(self, url: str, response: httpx.Response) -> bytes:
        """Read the body, refusing more than ``max_bytes`` on the wire or once inflated."""
        limit = self.settings.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(_too_large(url, f"{int(declared):,} bytes", limit))
        inflater = _inflater(response.headers.get("Content-Encoding", ""), url)
        raw_size, parts, size = 0, [], 0
        async for chunk in response.aiter_raw():
            raw_size += len(chunk)
            if raw_size > limit:
                raise FetchError(_too_large(url, f"over {limit:,} bytes", limit))
            data = _inflate(inflater, chunk, limit - size, url) if inflater else chunk
            size += len(data)
            if size > limit:
                raise FetchError(_too_large(url, f"over {limit:,} bytes", limit))
            parts.append(data)
        if inflater:
            tail = inflater.flush()
            size += len(tail)
            if size > limit:
                raise FetchError(_too_large(url, "over the limit once decompressed", limit))
            parts.append(tail)
        return b"".join(parts)


async def _drain(response: httpx.Response) -> None:
    """Read a small redirect/304/error body, so the kept-alive connection can be reused."""
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read > _DRAIN_LIMIT:  # not worth reading; closing the connection is cheaper
            return


def _result(
    url: str, status: int, headers: httpx.Headers, body: bytes, original: str, permanent: bool
) -> FetchResult:
    return FetchResult(
        url=url,
        status=status,
        body=body,
        content_type=headers.get("Content-Type", ""),
        etag=headers.get("ETag"),
        last_modified=headers.get("Last-Modified"),
        moved_to=url if permanent and url != original else None,
    )


def _redirect_target(url: str, headers: httpx.Headers) -> tuple[str, httpx.URL]:
    """Where a redirect from ``url`` points, as text and parsed."""
    location = headers.get("Location")
    if not location:
        raise FetchError(f"redirect without a Location header from {url}")
    target = urljoin(url, location)
    if urlsplit(target).scheme not in ("http", "https"):
        raise FetchError(f"{url} redirects to a non-web address ({target})")
    return target, _address(target, redirected_from=url)


def _address(url: str, redirected_from: str | None = None) -> httpx.URL:
    """``url`` parsed once for every attempt at it, or FetchError for an address that cannot
    be fetched (a bad port, a broken host)."""
    # Unchecked, such an address fails as a ValueError or OverflowError deep in httpx: not a
    # SourceError, so it would stop the whole run instead of failing one source.
    try:
        _ = urlsplit(url).port  # ValueError for a port out of range or a broken IPv6 host
        return httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as exc:
        if redirected_from:
            raise FetchError(
                f"{redirected_from} redirects to {url}, which is not a valid web address ({exc})"
            ) from exc
        raise FetchError(f"{url} is not a valid web address ({exc}); correct the URL") from exc


def _raise_for_status(url: str, status: int) -> None:
    if status == 304 or status < 400:
        return
    advice = _STATUS_ADVICE.get(status, "check the URL in a browser")
    raise FetchError(f"HTTP {status} from {url}: {advice}")


def _transport_failure(url: str, exc: httpx.TransportError) -> str:
    text = _one_line(exc) or type(exc).__name__
    if isinstance(exc, httpx.RemoteProtocolError):
        # Connected, but the answer broke off ("peer closed connection without sending
        # complete message body") or was no HTTP: "cannot connect" would send the user to
        # check an address that works.
        return (f"the answer from {url} was cut short or was not valid HTTP ({text}); "
                "the next collect tries again — if it keeps failing, open the URL in a browser")
    return f"cannot connect to {url}: {text} — check the address, or whether the site is up"


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line, at most 200 characters (it may quote the server)."""
    return " ".join(str(exc).split())[:200]


def _backoff(attempt: int) -> float:
    """Exponential backoff with jitter: about 0.5 s, 1 s, 2 s, ..."""
    return float(0.5 * 2**attempt * (0.5 + random.random()))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _inflater(encoding: str, url: str) -> zlib._Decompress | None:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        return zlib.decompressobj(zlib.MAX_WBITS | 32)  # 32: accept gzip or zlib headers
    raise FetchError(f"{url} sent an unsupported Content-Encoding {encoding!r}")


def _inflate(inflater: zlib._Decompress, chunk: bytes, budget: int, url: str) -> bytes:
    try:
        # max_length stops a decompression bomb after budget+1 bytes, before it fills memory.
        return inflater.decompress(chunk, budget + 1)
    except zlib.error as exc:
        raise FetchError(f"{url} sent a corrupt compressed body ({exc})") from exc


def _too_large(url: str, size: str, limit: int) -> str:
    return (
        f"response from {url} is too large ({size}; http.max_bytes is {limit:,}); "
        "raise http.max_bytes if this source is really that big"
    )
