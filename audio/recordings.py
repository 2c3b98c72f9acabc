"""Fetching a provider's phone recording from Twilio into our storage, then removing it there.

The media URL gets the account's credentials, so it is only ever fetched from an allowed host
(Twilio's API; the tests add their loopback server) — a forged ``RecordingUrl`` must not collect
our auth token. The URL is read by the library that connects (requests prepares it, urllib3's
``parse_url`` gives the host it will connect to), so that a URL ``urlsplit`` reads differently
(``https://127.0.0.1:5651\\@api.twilio.com/``) cannot pass; redirects are followed by hand and
each hop is checked the same way, so the credentials never leave the allowed hosts.
Deleting at Twilio keeps no copy of the provider's voice outside our storage.
"""
from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from . import storage as st

log = logging.getLogger("lampio.audio.recordings")

MAX_DOWNLOAD = 60 * 1024 * 1024  # 3 minutes of Twilio's 8 kHz WAV is about 3 MB
DEFAULT_HOSTS = frozenset({"api.twilio.com"})  # and any https://*.twilio.com (regional edges)
MIN_SECONDS = 2.0
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})  # http only here, and only if allowed
MAX_REDIRECTS = 3


class RecordingError(RuntimeError):
    """The recording could not be fetched or read."""


@dataclass(frozen=True)
class FetchedRecording:
    name: str  # storage name of the converted file
    duration: float
    silent: bool  # too short or near-silent: explain and offer another take

    @property
    def usable(self) -> bool:
        return not self.silent


class TwilioRecordings:
    def __init__(self, storage: st.AudioStorage, account_sid: str, auth_token: str, *,
                 allowed_hosts: frozenset[str] = DEFAULT_HOSTS, http_client: Any = None,
                 session: requests.Session | None = None, timeout: float = 20.0,
                 retries: int = 3) -> None:
        self.storage = storage
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.allowed_hosts = allowed_hosts
        self.http_client = http_client  # for the twilio REST client (tests pass a fake)
        self.session = session or requests.Session()
        self.timeout = timeout
        self.retries = retries

    def _allowed(self, scheme: str, host: str) -> bool:
        if scheme == "https":
            return host == "twilio.com" or host.endswith(".twilio.com") or host in self.allowed_hosts
        # Plain http only for a loopback host that was allowed explicitly (the simulator, tests).
        return scheme == "http" and host in LOOPBACK and host in self.allowed_hosts

    def _checked(self, url: str) -> str:
        """The URL exactly as requests will send it, if it goes to an allowed host."""
        if "\\" in url or any(ord(c) <= 32 or ord(c) == 127 for c in url):
            raise RecordingError("recording URL not allowed")
        prepared = requests.PreparedRequest()
        try:
            prepared.prepare_url(url, None)
            parts = parse_url(prepared.url or "")
        except (requests.RequestException, LocationParseError, ValueError):
            raise RecordingError("recording URL not readable") from None
        host = (parts.host or "").strip("[]").lower().rstrip(".")
        if parts.auth or not self._allowed(parts.scheme or "", host):
            raise RecordingError(f"recording host not allowed: {host or '?'}")
        return str(prepared.url)

    def _media_url(self, url: str) -> str:
        checked = self._checked(url)
        parts = parse_url(checked)
        path = parts.path or ""
        if "." in path.rsplit("/", 1)[-1]:
            return checked
        return parts._replace(path=path + ".wav").url

    def _get(self, url: str) -> requests.Response:
        """GET with the credentials, following at most a few redirects by hand: each hop is
        checked like the first URL, so nothing is sent to a host that is not allowed."""
        for _ in range(MAX_REDIRECTS + 1):
            resp = self.session.get(url, auth=(self.account_sid, self.auth_token),
                                    timeout=self.timeout, stream=True, allow_redirects=False)
            if not resp.is_redirect:
                return resp
            location = resp.headers.get("location", "")
            resp.close()
            url = self._checked(urljoin(url, location))
        raise RecordingError("too many redirects")

    def _download(self, url: str, dest: Path) -> None:
        # Twilio may answer 404 for a moment right after the recording ends.
        for attempt in range(self.retries):
            try:
                with self._get(url) as resp:
                    if resp.status_code == 404 and attempt + 1 < self.retries:
                        time.sleep(0.5 * (attempt + 1))
                        continue
                    resp.raise_for_status()
                    total = 0
                    with open(dest, "wb") as out:
                        for chunk in resp.iter_content(1 << 16):
                            total += len(chunk)
                            if total > MAX_DOWNLOAD:
                                raise RecordingError("recording too large")
                            out.write(chunk)
                    return
            except requests.RequestException as exc:
                if attempt + 1 >= self.retries:
                    raise RecordingError(f"download failed: {exc}") from exc
                time.sleep(0.5 * (attempt + 1))
        raise RecordingError("download failed: not found")

    def fetch(self, recording_url: str, recording_sid: str = "") -> FetchedRecording:
        """Download, convert to the served format, judge silence, delete at Twilio."""
        url = self._media_url(recording_url)
        name = st.new_recording_name()
        with tempfile.TemporaryDirectory(prefix="lampio-rec-") as tmp:
            raw = Path(tmp) / "twilio.wav"
            self._download(url, raw)
            try:
                duration = st.store_converted(self.storage, raw, name)
                silent = duration < MIN_SECONDS or st.is_near_silent(raw)
            except st.AudioError as exc:
                self.storage.delete(name)
                raise RecordingError(f"unreadable recording: {exc}") from exc
        if recording_sid:
            self.delete_at_twilio(recording_sid)
        return FetchedRecording(name=name, duration=duration, silent=silent)

    def delete_at_twilio(self, recording_sid: str) -> bool:
        """Remove the recording from Twilio; a failure is logged, not fatal (we have our copy)."""
        from twilio.base.exceptions import TwilioException
        from twilio.rest import Client

        try:
            client = Client(self.account_sid, self.auth_token, http_client=self.http_client)
            client.api.v2010.accounts(self.account_sid).recordings(recording_sid).delete()
            return True
        except (TwilioException, requests.RequestException, OSError) as exc:
            log.warning("could not delete recording %s at Twilio: %s", recording_sid, exc)
            return False

    def discard(self, name: str) -> None:
        self.storage.delete(name)
