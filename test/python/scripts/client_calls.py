"""The client's calls against a real server: trigger (idempotent), wait, get, stream from a
cursor, follow up, cancel, failures and API errors, and the generic webhook's signature."""

import json
import os
from urllib import error as urlerror
from urllib import request as urlrequest

from agentry_client import (
    AgentryApiError,
    AgentryClient,
    RunCancelledError,
    RunFailedError,
    RunWaitTimeoutError,
    sign_webhook,
)
from fake_airflow import emit

client = AgentryClient()  # AGENTRY_URL and AGENTRY_API_KEY from the environment
out = {}

first = client.trigger_run("reader", "What does orders.sql select?", idempotency_key="py-key-1", metadata={"job": "ci"})
same = client.trigger_run("reader", "A different message, same key", idempotency_key="py-key-1")
out["idempotent"] = [first["id"], same["id"], first["trigger"]["kind"]]

done = client.trigger_run_and_wait("reader", "Summarise the repository", wait_timeout=60)
out["completed"] = {"status": done["status"], "output": done["output"]["text"], "messages": len(done["messages"])}

events = list(client.stream_events(done["id"]))
out["events"] = [event["type"] for event in events]
out["events_after_2"] = [event["seq"] for event in client.stream_events(done["id"], after=2)]

seen = []
client.send_message(done["id"], "And what about customers?")
followed = client.wait_for_run(done["id"], timeout=60, on_event=lambda event: seen.append(event["type"]))
out["follow_up"] = {"turns": followed["turns"], "status": followed["status"], "saw_completed": "run.completed" in seen}

slow = client.trigger_run("slowpoke", "Take your time")
client.cancel_run(slow["id"])
try:
    client.wait_for_run(slow["id"], timeout=60)
    out["cancelled"] = "not raised"
except RunCancelledError as exc:
    out["cancelled"] = exc.run["status"]

try:
    client.trigger_run_and_wait("broken", "This model fails", wait_timeout=60)
    out["failed"] = "not raised"
except RunFailedError as exc:
    out["failed"] = [exc.run["status"], exc.run["failure_reason"]]

timed = client.trigger_run("slowpoke", "Too slow to wait for")
try:
    client.wait_for_run(timed["id"], timeout=1, cancel_on_timeout=True)
    out["timeout"] = "not raised"
except RunWaitTimeoutError as exc:
    out["timeout"] = exc.run_id
try:
    client.wait_for_run(timed["id"], timeout=30)
    out["timeout_status"] = "not cancelled"
except RunCancelledError as exc:
    out["timeout_status"] = exc.run["status"]

try:
    client.get_run("01JAAAAAAAAAAAAAAAAAAAAAAA")
except AgentryApiError as exc:
    out["not_found"] = [exc.status, exc.code]
try:
    client.trigger_run("reader", "")
except AgentryApiError as exc:
    out["invalid"] = [exc.status, exc.code, exc.field]

out["listed"] = [run["id"] for run in client.list_runs(agent="reader", limit=50)["runs"]]


def post_webhook(body, headers):
    req = urlrequest.Request(os.environ["AGENTRY_URL"] + "/webhooks/freshness", data=body, method="POST")
    req.add_header("Content-Type", "application/json")
    for name, value in headers.items():
        req.add_header(name, value)
    try:
        with urlrequest.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urlerror.HTTPError as exc:
        return exc.code, json.loads(exc.read())


payload = json.dumps({"table": "analytics.orders", "hours": 26}).encode("utf-8")
headers = sign_webhook(os.environ["HOOK_SECRET"], payload, delivery_id="py-hook-1")
out["webhook"] = [post_webhook(payload, headers)[0], post_webhook(payload, headers)[0]]
out["webhook_forged"] = post_webhook(payload, sign_webhook("wrong", payload))[0]
emit(out)
