"""wechatpy clients made safe for several processes: shared tokens, bounded retries, explicit timeouts.

wechatpy 1.8's own ``auto_retry`` refetches the token and re-issues a request
without limit on 40001/40014/42001, and keeps the token's expiry per process.
These subclasses turn that off, read tokens from the injected ``TokenStore``
(refreshed under its lock), send every call to a configurable base URL, and
refresh once and retry once when the platform says the token is stale. Platform
errors become ``bot.core.errors`` in ``to_send_error`` alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import requests
from wechatpy import WeChatClient
from wechatpy.enterprise import WeChatClient as WorkClient
from wechatpy.exceptions import WeChatClientException

from bot.channels._app_token import counted_fetch
from bot.core.channel import TokenStore
from bot.core.errors import PermanentFailure, RetryLater, SendError, TokenExpired

T = TypeVar("T")

RETRY_CODES = frozenset({-1, 45009, 45011, 45033})  # system busy, call quotas, concurrency
WECHAT_TOKEN_CODES = frozenset({40001, 40014, 42001})
WECOM_TOKEN_CODES = frozenset({40014, 42001})  # WeCom 40001 means a wrong secret: no refresh fixes it
RETRY_AFTER = {45009: 3600.0, 45011: 60.0}


class _SharedTokenMixin:
    """Token handling over a TokenStore; mixed in before the wechatpy client class."""

    tokens: TokenStore
    token_name: str
    base_url: str
    token_path: str
    token_codes: frozenset[int]
    timeout: float
    _http: requests.Session

    def _token_params(self) -> dict[str, str]:
        raise NotImplementedError

    @property
    def access_token(self) -> str:
        return self.tokens.get(self.token_name) or self.tokens.refresh(self.token_name, self._fetch_token)

    def fetch_access_token(self) -> str:
        return self.tokens.refresh(self.token_name, self._fetch_token)

    def _fetch_token(self) -> tuple[str, int]:
        return counted_fetch(self.token_name, self._get_token)

    def _get_token(self) -> tuple[str, int]:
        res = self._http.get(
            self.base_url + self.token_path, params=self._token_params(), timeout=self.timeout
        )
        if res.status_code != 200:
            raise WeChatClientException(None, f"HTTP {res.status_code}", client=self, response=res)
        result = res.json()
        if result.get("errcode", 0) != 0 or "access_token" not in result:
            raise WeChatClientException(
                result.get("errcode"), result.get("errmsg", ""), client=self, response=res
            )
        return str(result["access_token"]), int(result.get("expires_in", 7200))

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        kwargs.pop("api_base_url", None)
        url = url_or_endpoint
        if not url.startswith(("http://", "https://")):
            url = self.base_url + url.lstrip("/")
        return super()._request(method, url, **kwargs)  # type: ignore[misc]

    def call(self, operation: Callable[[], T]) -> T:
        """Run one API call; on a stale-token answer refresh once (under the store's lock) and retry once."""
        try:
            stale = self.access_token
            try:
                return operation()
            except WeChatClientException as exc:
                if exc.errcode not in self.token_codes:
                    raise
            self.tokens.refresh(self.token_name, self._fetch_token, stale=stale)
            return operation()
        except (WeChatClientException, requests.RequestException) as exc:
            raise to_send_error(exc, self.token_codes) from exc


class OfficialAccountClient(_SharedTokenMixin, WeChatClient):
    token_path = "token"
    token_codes = WECHAT_TOKEN_CODES

    def __init__(
        self, app_id: str, secret: str, *, tokens: TokenStore, base_url: str, timeout: float
    ) -> None:
        super().__init__(app_id, secret, timeout=timeout, auto_retry=False)
        self.tokens, self.base_url, self.timeout = tokens, base_url, timeout
        self.token_name = f"wechat:{app_id}"

    def _token_params(self) -> dict[str, str]:
        return {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}


class WeComClient(_SharedTokenMixin, WorkClient):
    token_path = "gettoken"
    token_codes = WECOM_TOKEN_CODES

    def __init__(
        self, corp_id: str, secret: str, agent_id: int, *, tokens: TokenStore, base_url: str, timeout: float
    ) -> None:
        super().__init__(corp_id, secret, timeout=timeout, auto_retry=False)
        self.tokens, self.base_url, self.timeout = tokens, base_url, timeout
        self.token_name = f"wecom:{corp_id}:{agent_id}"

    def _token_params(self) -> dict[str, str]:
        return {"corpid": self.corp_id, "corpsecret": self.secret}


def to_send_error(exc: Exception, token_codes: frozenset[int] = WECHAT_TOKEN_CODES) -> SendError:
    """The one mapping from a WeChat/WeCom failure to retry / refresh / give up (docs/platforms.md §8)."""
    if isinstance(exc, requests.RequestException):
        return RetryLater(f"network error: {type(exc).__name__}")
    if not isinstance(exc, WeChatClientException):
        return PermanentFailure(f"unexpected failure: {type(exc).__name__}")
    code, message = exc.errcode, str(exc.errmsg or "")[:200]
    if code is None:
        return RetryLater(f"HTTP failure: {message or 'no answer'}")
    if code in RETRY_CODES:
        return RetryLater(f"errcode {code}: {message}", retry_after=RETRY_AFTER.get(code))
    if code in token_codes:
        return TokenExpired(f"errcode {code}: {message}")
    return PermanentFailure(f"errcode {code}: {message}")
