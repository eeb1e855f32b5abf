"""Airflow 2.7: a dbt task fails on its first try (of two), and the callback fires twice for it
(zombie detection does that); then the second try fails too."""

import logging

from agentry_client import agentry_callback
from fake_airflow import TaskInstance27, context_27, emit, failing, install_airflow

logging.basicConfig(level=logging.INFO)
install_airflow("2.7.3", webserver_base_url="http://airflow.example:8080")

LOG_URL = (
    "http://airflow.example:8080/dags/etl_orders/grid?dag_run_id=scheduled__2025-03-04T10%3A00%3A00%2B00%3A00"
    "&task_id=dbt_run&base_date=2025-03-04T10%3A00%3A00%2B0000&tab=logs"
)
RUN_ID = "scheduled__2025-03-04T10:00:00+00:00"
callback = agentry_callback(
    "incident-commander",
    instructions="Find the root cause in the task log and propose a fix.",
    metadata={"team": "analytics"},
)
error = failing(RuntimeError('Database Error in model stg_orders: relation "raw.orders" does not exist'))

# try_number was stored as 1; in the callback it reads 2, prev_attempted_tries reads 1.
first_try = TaskInstance27("etl_orders", "dbt_run", RUN_ID, stored_try=1, max_tries=1, log_url=LOG_URL)
assert first_try.try_number == 2
once = callback(context_27(first_try, error))
twice = callback(context_27(first_try, error))

second_try = TaskInstance27("etl_orders", "dbt_run", RUN_ID, stored_try=2, max_tries=1, log_url=LOG_URL)
again = callback(context_27(second_try, error))

emit({"once": once["id"], "twice": twice["id"], "again": again["id"]})
