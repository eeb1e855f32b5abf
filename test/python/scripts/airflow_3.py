"""Airflow 3.x: a mapped task fails on 3.0.2 (no exception key, no log_url), a task fails on
3.0.3 (log_url without its slash), and a DAG-level callback (3.0.x: dag, run_id, reason only)."""

import logging

from agentry_client import agentry_callback
from fake_airflow import RuntimeTaskInstance3, context_3, dag_context_3, emit, failing, install_airflow

logging.basicConfig(level=logging.INFO)
callback = agentry_callback("incident-commander")

install_airflow("3.0.2", api_base_url="http://airflow.example:8080/")
mapped = RuntimeTaskInstance3("load_partners", "load_partition", "manual__2025-05-01T08:00:00+00:00", try_number=3, max_tries=2, map_index=3)
mapped_run = callback(context_3(mapped))
mapped_again = callback(context_3(mapped))

install_airflow("3.0.3", api_base_url="http://airflow.example:8080")
broken_url = "http://airflow.example:8080dags/reporting/runs/asset_triggered__2025-05-02/tasks/publish?try_number=1"
plain = RuntimeTaskInstance3("reporting", "publish", "asset_triggered__2025-05-02", try_number=1, max_tries=0, log_url=broken_url)
plain_run = callback(context_3(plain, exception=failing(ZeroDivisionError("division by zero"))))

dag_run = callback(dag_context_3("reporting", "asset_triggered__2025-05-02", "task_failure"))

emit({"mapped": mapped_run["id"], "mapped_again": mapped_again["id"], "plain": plain_run["id"], "dag": dag_run["id"]})
