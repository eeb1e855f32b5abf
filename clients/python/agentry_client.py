"""Agentry client for Python: trigger and follow runs of an ``agentry serve``.

Standard library only (urllib, json, hmac), Python 3.8+, so it drops into any Airflow image:
copy this one file next to your DAGs, or ``pip install`` the directory.

    from agentry_client import AgentryClient, agentry_callback

    client = AgentryClient()  # AGENTRY_URL and AGENTRY_API_KEY from the environment
    run = client.trigger_run_and_wait("test-maintainer", "Check the models changed in PR 42")
    print(run["output"]["text"])

    # In a DAG: a failed task starts the agent once per failed try.
    default_args = {"on_failure_callback": agentry_callback("incident-commander")}

Runs come back exactly as the REST API sends them: dicts with snake_case keys (``id``,
``status``, ``failure_reason``, ``output``, ...), the same shapes as the TypeScript SDK's.
"""

import hashlib
import hmac
import http.client
import json
import logging
import os
import re
import socket
import sys
import time
import traceback
from urllib import error as urlerror
from urllib import parse as urlparse
from urllib import request as urlrequest

__version__ = "0.1.0"

__all__ = [
    "AgentryClient",
    "AgentryError",
    "AgentryApiError",
    "AgentryConnectionError",
    "RunFailedError",
    "RunCancelledError",
    "RunWaitTimeoutError",
    "agentry_callback",
    "airflow_failure_request",
    "sign_webhook",
    "DEFAULT_URL",
]

DEFAULT_URL = "http://127.0.0.1:7070"
TERMINAL_STATUSES = ("COMPLETED", "FAILED", "CANCELLED")
# The server's limits on a trigger: longer keys are hashed, longer values cut.
_MAX_IDEMPOTENCY_KEY = 255
_MAX_METADATA_VALUE = 2000
_MAX_MESSAGE = 100000


class AgentryError(Exception):
    """The root of every error this client raises."""


class AgentryApiError(AgentryError):
    """The server answered with an error: ``status`` and its stable ``code`` (``auth.forbidden``, ...)."""

    def __init__(self, status, code, message, field=None):
        super().__init__("{} (HTTP {})".format(message, status))
        self.status = status
        self.code = code
        self.field = field

    @property
    def retryable(self):
        return self.status == 429 or self.status >= 500


class AgentryConnectionError(AgentryError):
    """The server could not be reached (refused, reset, DNS) or did not answer in time."""


class RunFailedError(AgentryError):
    """The run ended FAILED; ``run`` says why (``failure_reason``, ``error``)."""

    def __init__(self, run):
        super().__init__(
            "run {} of {} failed ({}): {}".format(
                run.get("id"), run.get("agent"), run.get("failure_reason") or "error", run.get("error") or "no error recorded"
            )
        )
        self.run = run


class RunCancelledError(AgentryError):
    """The run ended CANCELLED (a person, the API, its concurrency group, a shutdown)."""

    def __init__(self, run):
        reason = ": {}".format(run["error"]) if run.get("error") else ""
        super().__init__("run {} of {} was cancelled{}".format(run.get("id"), run.get("agent"), reason))
        self.run = run


class RunWaitTimeoutError(AgentryError):
    """Waiting gave up before the run ended. The run goes on unless it was cancelled on timeout."""

    def __init__(self, run_id, timeout):
        super().__init__(
            "run {} had not finished after {}s: raise the timeout, or follow it with get_run".format(run_id, timeout)
        )
        self.run_id = run_id
        self.timeout = timeout


class AgentryClient:
    """A client of the Agentry REST API (``/api/v1``).

    ``url`` defaults to ``$AGENTRY_URL`` (else ``http://127.0.0.1:7070``), ``api_key`` to
    ``$AGENTRY_API_KEY``; ``timeout`` (seconds) bounds each request but event streams.
    """

    def __init__(self, url=None, api_key=None, timeout=30.0):
        self.url = (url or os.environ.get("AGENTRY_URL") or DEFAULT_URL).rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("AGENTRY_API_KEY")
        self.timeout = timeout

    # -- runs -------------------------------------------------------------------------------

    def trigger_run(
        self,
        agent,
        message,
        idempotency_key=None,
        base_ref=None,
        slack=None,
        metadata=None,
        trigger_kind="sdk",
        source=None,
    ):
        """Start a run; returns it once queued (PENDING).

        With an ``idempotency_key`` this agent already had within the server's window (24 hours
        by default), returns that first run instead of starting another. ``slack`` is
        ``{"channel": ..., "thread_ts": ...}``; ``metadata`` flat facts (strings, numbers,
        booleans, None) kept with the run. ``trigger_kind`` is ``sdk``, ``api`` or ``airflow``.
        """
        body = {"agent": agent, "message": message, "trigger": {"kind": trigger_kind}}
        if source is not None:
            body["trigger"]["source"] = source
        if idempotency_key is not None:
            body["idempotency_key"] = idempotency_key
        if base_ref is not None:
            body["base_ref"] = base_ref
        if slack is not None:
            body["slack"] = slack
        if metadata is not None:
            body["metadata"] = metadata
        return self._request("POST", "/api/v1/runs", body)

    def trigger_run_and_wait(self, agent, message, wait_timeout=1800.0, on_event=None, cancel_on_timeout=False, **trigger):
        """Start a run and wait for it to end (live over Server-Sent Events, polling if the stream
        cannot be used). Returns the COMPLETED run with its messages; raises ``RunFailedError``,
        ``RunCancelledError`` or ``RunWaitTimeoutError``. Other keywords go to ``trigger_run``.
        """
        run = self.trigger_run(agent, message, **trigger)
        return self.wait_for_run(run["id"], timeout=wait_timeout, on_event=on_event, cancel_on_timeout=cancel_on_timeout)

    def wait_for_run(self, run_id, timeout=1800.0, on_event=None, cancel_on_timeout=False, poll_interval=2.0):
        """Wait for a run to end; see ``trigger_run_and_wait``."""
        deadline = time.monotonic() + timeout
        try:
            try:
                for event in self.stream_events(run_id, _deadline=deadline):
                    if on_event is not None:
                        on_event(event)
            except AgentryApiError as exc:
                if not exc.retryable:
                    raise
            except AgentryConnectionError:
                pass  # no usable stream: poll below
            run = self.get_run(run_id)
            while run["status"] not in TERMINAL_STATUSES:
                if time.monotonic() + poll_interval > deadline:
                    raise _DeadlinePassed()
                time.sleep(poll_interval)
                run = self.get_run(run_id)
        except _DeadlinePassed:
            if cancel_on_timeout:
                try:
                    self.cancel_run(run_id)
                except AgentryError:
                    pass
            raise RunWaitTimeoutError(run_id, timeout)
        if run["status"] == "FAILED":
            raise RunFailedError(run)
        if run["status"] == "CANCELLED":
            raise RunCancelledError(run)
        return run

    def get_run(self, run_id):
        """The run with its messages, child runs and artifacts."""
        return self._request("GET", "/api/v1/runs/{}".format(_quote(run_id)))

    def list_runs(self, agent=None, status=None, trigger=None, limit=None, cursor=None):
        """A page of runs, newest first: ``{"runs": [...], "next_cursor": ...}``."""
        query = {k: v for k, v in (("agent", agent), ("status", status), ("trigger", trigger), ("limit", limit), ("cursor", cursor)) if v is not None}
        suffix = "?" + urlparse.urlencode(query) if query else ""
        return self._request("GET", "/api/v1/runs" + suffix)

    def cancel_run(self, run_id):
        """Cancel a run: a queued one at once, a running one within moments."""
        return self._request("POST", "/api/v1/runs/{}/cancel".format(_quote(run_id)))

    def send_message(self, run_id, message):
        """Continue a finished run with a follow-up message (a new turn); follow it with ``stream_events``."""
        return self._request("POST", "/api/v1/runs/{}/messages".format(_quote(run_id)), {"message": message})

    def list_agents(self):
        return self._request("GET", "/api/v1/agents")["agents"]

    def get_agent(self, name):
        return self._request("GET", "/api/v1/agents/{}".format(_quote(name)))

    def stream_events(self, run_id, after=0, max_reconnects=5, _deadline=None):
        """The run's audit events as they happen (dicts with ``seq``, ``type``, ``payload``, ...),
        from the start or after ``after``, ending when the run has ended. A dropped connection is
        resumed after the last event received, so none is missed or repeated.
        """
        failures = 0
        while True:
            if _deadline is not None and time.monotonic() >= _deadline:
                raise _DeadlinePassed()
            headers = {"Accept": "text/event-stream"}
            if after > 0:
                headers["Last-Event-ID"] = str(after)
            # Idle streams send a comment every 15 s, so a read that waits longer means a dead connection.
            read_timeout = 60.0 if _deadline is None else max(0.5, min(60.0, _deadline - time.monotonic()))
            try:
                response = self._open("GET", "/api/v1/runs/{}/events".format(_quote(run_id)), None, headers, read_timeout)
            except AgentryApiError as exc:
                failures += 1
                if not exc.retryable or failures > max_reconnects:
                    raise
                time.sleep(_backoff(failures))
                continue
            except AgentryConnectionError:
                failures += 1
                if failures > max_reconnects:
                    raise
                time.sleep(_backoff(failures))
                continue
            with response:
                if not (response.headers.get("Content-Type") or "").startswith("text/event-stream"):
                    raise _SseUnavailable(
                        "the event stream of run {} came back as {}: a proxy in between rewrites it".format(
                            run_id, response.headers.get("Content-Type")
                        )
                    )
                try:
                    for message in _parse_sse(response, _deadline):
                        failures = 0
                        if message["event"] == "end":
                            return
                        if not message["data"]:
                            continue
                        event = json.loads(message["data"])
                        after = event["seq"]
                        yield event
                except (socket.timeout, OSError, ValueError, http.client.HTTPException):
                    pass  # reconnect below
            failures += 1
            if failures > max_reconnects:
                raise AgentryConnectionError("the event stream of run {} kept closing: is the server up?".format(run_id))
            time.sleep(_backoff(failures))

    # -- HTTP -------------------------------------------------------------------------------

    def _request(self, method, path, body=None):
        response = self._open(method, path, body, {"Accept": "application/json"}, self.timeout)
        with response:
            return json.loads(response.read().decode("utf-8"))

    def _open(self, method, path, body, headers, timeout):
        headers = dict(headers)
        headers["User-Agent"] = "agentry-client-python/{}".format(__version__)
        if self.api_key:
            headers["Authorization"] = "Bearer {}".format(self.api_key)
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        req = urlrequest.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            return urlrequest.urlopen(req, timeout=timeout)
        except urlerror.HTTPError as exc:
            raise _api_error(exc)
        except (urlerror.URLError, socket.timeout, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise AgentryConnectionError(
                "cannot reach {} ({}): is agentry serve running there?".format(self.url, reason)
            )


class _SseUnavailable(AgentryConnectionError):
    """The event stream answered, but not as text/event-stream (a proxy rewrote it); waiting polls instead."""


class _DeadlinePassed(Exception):
    pass


def _quote(value):
    return urlparse.quote(str(value), safe="")


def _backoff(attempt):
    return min(0.25 * 2 ** (attempt - 1), 5.0)


def _api_error(exc):
    try:
        text = exc.read().decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - a body we cannot read is an empty one
        text = ""
    try:
        err = json.loads(text)["error"]
        return AgentryApiError(exc.code, err["code"], err["message"], err.get("field"))
    except (ValueError, KeyError, TypeError):
        return AgentryApiError(exc.code, "http.error", "{}: {}".format(exc.reason or "error", text[:200]))


def _parse_sse(response, deadline=None):
    """Server-Sent Events from a response: dicts with event, data, id (the WHATWG rules)."""
    data, event, event_id = [], "", None
    while True:
        if deadline is not None and time.monotonic() >= deadline:
            raise _DeadlinePassed()
        raw = response.readline()
        if not raw:
            return
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data:
                yield {"event": event or "message", "data": "\n".join(data), "id": event_id}
            data, event = [], ""
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            data.append(value)
        elif field == "event":
            event = value
        elif field == "id":
            event_id = value


# -- generic webhooks -----------------------------------------------------------------------


def sign_webhook(secret, body, timestamp=None, delivery_id=None):
    """The headers for ``POST /webhooks/{agent}`` (Agentry's generic signed webhook):
    ``X-Agentry-Signature: sha256=<HMAC-SHA256 of "<timestamp>.<body>">``, the timestamp (Unix
    seconds) and, when given, ``X-Agentry-Delivery`` (the same id twice starts one run).
    ``body`` must be the exact bytes (or text) you send.
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    stamp = str(int(time.time()) if timestamp is None else int(timestamp))
    digest = hmac.new(secret.encode("utf-8"), stamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    headers = {"X-Agentry-Timestamp": stamp, "X-Agentry-Signature": "sha256=" + digest}
    if delivery_id is not None:
        headers["X-Agentry-Delivery"] = str(delivery_id)
    return headers


# -- Airflow --------------------------------------------------------------------------------

_TRACEBACK_CHARS = 4000


def agentry_callback(
    agent,
    url=None,
    api_key=None,
    timeout=5.0,
    instructions=None,
    metadata=None,
    base_ref=None,
    slack=None,
    airflow_base_url=None,
    logger=None,
):
    """An Airflow callback that starts ``agent`` with what failed.

    Use it as ``on_failure_callback`` (task or DAG level), and as ``on_retry_callback`` too if
    every failed try should be looked at. The message carries the DAG, task, run, try, the
    exception with the end of its traceback and the log URL; the idempotency key is
    ``dag_id/task_id/run_id/try_number`` (with the map index for mapped tasks), so the callback
    firing twice for one try (zombie detection does that) starts one run.

    Works on Airflow 2.7+ and 3.x. It makes one HTTP request with a ``timeout`` of a few
    seconds (a callback is killed soon after the task ends), never retries, and never raises
    into Airflow: a failure is logged as a warning. ``instructions`` goes before the facts
    (e.g. "Find the root cause and open a fix PR"); ``metadata`` is added to the run's.
    """
    log = logger or logging.getLogger("airflow.task")

    def callback(context):
        try:
            request = airflow_failure_request(context, airflow_base_url=airflow_base_url)
            message = request["message"]
            if instructions:
                message = "{}\n\n{}".format(instructions.strip(), message)
            run_metadata = dict(request["metadata"])
            for key, value in (metadata or {}).items():
                run_metadata[key] = value
            client = AgentryClient(url=url, api_key=api_key, timeout=timeout)
            run = client.trigger_run(
                agent,
                message[:_MAX_MESSAGE],
                idempotency_key=request["idempotency_key"],
                base_ref=base_ref,
                slack=slack,
                metadata=run_metadata,
                trigger_kind="airflow",
                source=request["source"],
            )
            log.info("agentry: run %s of %s for %s (%s)", run.get("id"), agent, request["source"], run.get("status"))
            return run
        except Exception as exc:  # noqa: BLE001 - a callback must never fail the task or the processor
            log.warning("agentry: could not start %s from this Airflow callback: %s", agent, exc)
            return None

    return callback


def airflow_failure_request(context, airflow_base_url=None):
    """What ``agentry_callback`` sends for an Airflow callback ``context``: a dict with
    ``message``, ``idempotency_key``, ``source`` and ``metadata``. Reads every key with care:
    Airflow 2.x and 3.x contexts differ, and some versions leave keys out.
    """
    context = context or {}
    version = _airflow_version()
    ti = _get(context, "task_instance") or _get(context, "ti")
    dag_run = _get(context, "dag_run")
    dag = _get(context, "dag")
    task = _get(context, "task")
    reason = _get(context, "reason")

    dag_id = _attr(ti, "dag_id") or _attr(dag_run, "dag_id") or _attr(dag, "dag_id") or "unknown-dag"
    run_id = _get(context, "run_id") or _attr(ti, "run_id") or _attr(dag_run, "run_id") or "unknown-run"
    # A DAG-level callback (it has a reason) may carry an arbitrary task's context: report the DAG run.
    if reason is not None or ti is None:
        return _dag_failure_request(context, dag_id, run_id, reason, dag_run, version)

    task_id = _attr(ti, "task_id") or _attr(task, "task_id") or "unknown-task"
    map_index = _attr(ti, "map_index")
    map_index = -1 if map_index is None else int(map_index)
    attempt = _failed_try_number(ti, version)
    max_tries = _attr(ti, "max_tries")
    exception = _get(context, "exception")
    log_url = _log_url(ti, dag_id, task_id, run_id, map_index, attempt, airflow_base_url, version)
    hostname = _attr(ti, "hostname") or socket.gethostname()
    logical_date = _get(context, "logical_date") or _attr(dag_run, "logical_date")

    task_label = task_id if map_index < 0 else "{}[{}]".format(task_id, map_index)
    key = "airflow:{}/{}/{}/{}".format(dag_id, task_label, run_id, attempt)
    tries = " of {}".format(int(max_tries) + 1) if isinstance(max_tries, int) and max_tries >= 0 else ""
    lines = [
        "Airflow task failed: {}.{} (try {}{})".format(dag_id, task_label, attempt, tries),
        "DAG run: {}".format(run_id),
    ]
    if logical_date is not None:
        lines.append("Logical date: {}".format(_text(logical_date)))
    lines.append("Host: {}".format(hostname))
    lines.append("Exception: {}".format(_exception_line(exception)))
    if log_url:
        lines.append("Log: {}".format(log_url))
    tail = _traceback_tail(exception)
    if tail:
        lines.extend(["", "Traceback (most recent call last, end):", tail])
    metadata = _metadata(
        dag_id=dag_id,
        task_id=task_id,
        run_id=run_id,
        try_number=attempt,
        map_index=map_index,
        log_url=log_url,
        exception=_exception_line(exception) if exception is not None else None,
        hostname=hostname,
        airflow_version=version,
    )
    return {
        "message": "\n".join(lines),
        "idempotency_key": _fit_key(key),
        "source": "{}.{}".format(dag_id, task_label),
        "metadata": metadata,
    }


def _dag_failure_request(context, dag_id, run_id, reason, dag_run, version):
    end_date = _attr(dag_run, "end_date")
    # Clearing a DAG run reuses its run_id; its end date tells the two failures apart.
    key = "airflow:{}/{}/{}".format(dag_id, run_id, reason or "failed")
    if end_date is not None:
        key += "/" + _text(end_date)
    lines = [
        "Airflow DAG run failed: {} (reason: {})".format(dag_id, reason or "unknown"),
        "DAG run: {}".format(run_id),
    ]
    ti = _get(context, "task_instance") or _get(context, "ti")
    if ti is not None and _attr(ti, "task_id"):
        lines.append("A task of the run: {} (Airflow may pick any task for a DAG callback)".format(_attr(ti, "task_id")))
    return {
        "message": "\n".join(lines),
        "idempotency_key": _fit_key(key),
        "source": dag_id,
        "metadata": _metadata(dag_id=dag_id, run_id=run_id, reason=reason, airflow_version=version),
    }


def _failed_try_number(ti, version):
    """The try that failed. Before 2.10, ``try_number`` reads one higher once the task is no
    longer running, so a failure callback wants ``prev_attempted_tries``; from 2.10 (and in 3.x)
    ``try_number`` is the failed try itself.
    """
    try_number = _attr(ti, "try_number")
    if version is not None and version < (2, 10):
        previous = _attr(ti, "prev_attempted_tries")
        if isinstance(previous, int):
            return previous
        if isinstance(try_number, int) and _attr(ti, "state") not in ("running", "RUNNING"):
            return max(1, try_number - 1)
    if version is None and isinstance(_attr(ti, "prev_attempted_tries"), int) and not hasattr(ti, "id"):
        # Unknown version, but a 2.x task instance (3.x ones have an id and no prev_attempted_tries).
        return _attr(ti, "prev_attempted_tries")
    return try_number if isinstance(try_number, int) else 1


def _log_url(ti, dag_id, task_id, run_id, map_index, attempt, base_url, version):
    """``ti.log_url``, repaired; built from the base URL when Airflow left it out (3.0.0-3.0.2)."""
    url = _attr(ti, "log_url")
    if isinstance(url, str) and url:
        # 3.0.3 joined the base URL and the path without a slash (apache/airflow#54247).
        if "/dags/" not in url:
            url = re.sub(r"([^/])dags/", r"\1/dags/", url, count=1)
        return url
    base = base_url or _airflow_base_url(version)
    if not base:
        return None
    base = base.rstrip("/")
    dag = _quote(dag_id)
    if version is not None and version >= (3, 0):
        path = "{}/dags/{}/runs/{}/tasks/{}".format(base, dag, _quote(run_id), _quote(task_id))
        if map_index >= 0:
            path += "/mapped/{}".format(map_index)
        return path + "?try_number={}".format(attempt)
    query = {"dag_run_id": run_id, "task_id": task_id, "tab": "logs"}
    if map_index >= 0:
        query["map_index"] = map_index
    return "{}/dags/{}/grid?{}".format(base, dag, urlparse.urlencode(query))


def _airflow_version():
    """Airflow's (major, minor), or None outside Airflow."""
    module = sys.modules.get("airflow")
    if module is None:
        try:
            import airflow as module  # noqa: PLC0415 - only inside Airflow
        except Exception:  # noqa: BLE001
            return None
    match = re.match(r"(\d+)\.(\d+)", str(getattr(module, "__version__", "")))
    return (int(match.group(1)), int(match.group(2))) if match else None


def _airflow_base_url(version):
    try:
        from airflow.configuration import conf  # noqa: PLC0415 - only inside Airflow

        section = "api" if version is not None and version >= (3, 0) else "webserver"
        return conf.get(section, "base_url", fallback=None)
    except Exception:  # noqa: BLE001
        return None


def _get(context, key):
    try:
        return context.get(key)
    except Exception:  # noqa: BLE001 - Airflow 2 contexts warn or raise on some deprecated keys
        return None


def _attr(obj, name):
    if obj is None:
        return None
    try:
        return getattr(obj, name, None)
    except Exception:  # noqa: BLE001 - a property that needs a database session, say
        return None


def _text(value):
    if hasattr(value, "isoformat"):
        try:
            return value.isoformat()
        except Exception:  # noqa: BLE001
            pass
    return str(value)


def _exception_line(exception):
    if exception is None:
        return "(not given by Airflow: see the log)"
    if isinstance(exception, BaseException):
        text = str(exception)
        return "{}: {}".format(type(exception).__name__, text) if text else type(exception).__name__
    return str(exception)


def _traceback_tail(exception):
    if not isinstance(exception, BaseException) or exception.__traceback__ is None:
        return ""
    text = "".join(traceback.format_exception(type(exception), exception, exception.__traceback__))
    return text[-_TRACEBACK_CHARS:].rstrip()


def _metadata(**values):
    metadata = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, tuple):
            value = ".".join(str(part) for part in value)
        if not isinstance(value, (str, int, float, bool)):
            value = str(value)
        if isinstance(value, str):
            value = value[:_MAX_METADATA_VALUE]
        metadata[key] = value
    return metadata


def _fit_key(key):
    if len(key) <= _MAX_IDEMPOTENCY_KEY:
        return key
    return "airflow:sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
