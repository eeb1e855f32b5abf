"""Airflow callback contexts shaped like Airflow 2.7 and 3.x ones, without Airflow.

The shapes follow ../shared/realdata/AIRFLOW_CALLBACK_NOTES.md: which keys each version puts in
the context, how ``try_number`` reads inside a failure callback, and how ``log_url`` looks (or is
missing) in each version.
"""

import json
import sys
import types
import uuid


def install_airflow(version, api_base_url=None, webserver_base_url=None):
    """Make ``import airflow`` give a module of ``version``, with ``airflow.configuration.conf``
    answering ``[api] base_url`` (3.x) and ``[webserver] base_url`` (2.x), as inside a worker."""
    airflow = types.ModuleType("airflow")
    airflow.__version__ = version
    configuration = types.ModuleType("airflow.configuration")

    class Conf:
        def get(self, section, key, fallback=None):
            values = {("api", "base_url"): api_base_url, ("webserver", "base_url"): webserver_base_url}
            value = values.get((section, key))
            return fallback if value is None else value

    configuration.conf = Conf()
    airflow.configuration = configuration
    sys.modules["airflow"] = airflow
    sys.modules["airflow.configuration"] = configuration


def failing(exception):
    """``exception`` raised and caught, so it carries a real traceback as Airflow's would."""

    def run_dbt_model():
        raise exception

    try:
        run_dbt_model()
    except Exception as caught:  # noqa: BLE001
        return caught
    raise AssertionError("unreachable")


class TaskInstance27:
    """An Airflow 2.7 TaskInstance after a failed try: ``try_number`` reads the stored value + 1
    once the state is no longer running; ``prev_attempted_tries`` is the try that failed."""

    def __init__(self, dag_id, task_id, run_id, stored_try, max_tries, map_index=-1, log_url=None):
        self.dag_id = dag_id
        self.task_id = task_id
        self.run_id = run_id
        self.map_index = map_index
        self._try_number = stored_try
        self.max_tries = max_tries
        self.state = "failed"
        self.hostname = "worker-2.airflow.internal"
        self.log_url = log_url

    @property
    def try_number(self):
        return self._try_number if self.state == "running" else self._try_number + 1

    @property
    def prev_attempted_tries(self):
        return self._try_number


class DagRun:
    def __init__(self, dag_id, run_id, logical_date=None, end_date=None):
        self.dag_id = dag_id
        self.run_id = run_id
        self.logical_date = logical_date
        self.end_date = end_date
        self.conf = {}


class Named:
    def __init__(self, **fields):
        self.__dict__.update(fields)


class AirflowConfigParser:
    """``context["conf"]`` in 2.x is the config object, not the run conf."""


def context_27(ti, exception):
    """A 2.7 task callback context."""
    return {
        "dag": Named(dag_id=ti.dag_id),
        "dag_run": DagRun(ti.dag_id, ti.run_id, logical_date="2025-03-04T10:00:00+00:00"),
        "task": Named(task_id=ti.task_id),
        "ti": ti,
        "task_instance": ti,
        "run_id": ti.run_id,
        "params": {},
        "ds": "2025-03-04",
        "ts": "2025-03-04T10:00:00+00:00",
        "logical_date": "2025-03-04T10:00:00+00:00",
        "execution_date": "2025-03-04T10:00:00+00:00",
        "conf": AirflowConfigParser(),
        "task_instance_key_str": "{}__{}__20250304".format(ti.dag_id, ti.task_id),
        "test_mode": False,
        "exception": exception,
    }


class RuntimeTaskInstance3:
    """A 3.x RuntimeTaskInstance: an ``id``, ``try_number`` equal to the failed try, no
    ``prev_attempted_tries``, ``hostname`` possibly unset, ``log_url`` missing before 3.0.3."""

    def __init__(self, dag_id, task_id, run_id, try_number, max_tries, map_index=-1, log_url=None):
        self.id = uuid.uuid4()
        self.dag_id = dag_id
        self.task_id = task_id
        self.run_id = run_id
        self.try_number = try_number
        self.max_tries = max_tries
        self.map_index = map_index
        self.rendered_map_index = None if map_index < 0 else str(map_index)
        self.state = "failed"
        self.hostname = None
        if log_url is not None:
            self.log_url = log_url


def context_3(ti, exception=None, logical_date=None):
    """A 3.x task callback context; ``exception`` is left out as 3.0.0-3.0.2 did when None."""
    context = {
        "dag": Named(dag_id=ti.dag_id),
        "task": Named(task_id=ti.task_id),
        "ti": ti,
        "task_instance": ti,
        "run_id": ti.run_id,
        "params": {},
        "dag_run": DagRun(ti.dag_id, ti.run_id, logical_date=logical_date),
        "outlets": [],
        "inlets": [],
        "macros": None,
        "task_instance_key_str": "{}__{}__{}".format(ti.dag_id, ti.task_id, ti.run_id),
        "task_reschedule_count": 0,
        "prev_start_date_success": None,
    }
    if logical_date is not None:
        context["logical_date"] = logical_date
    if exception is not None:
        context["exception"] = exception
    return context


def dag_context_3(dag_id, run_id, reason):
    """A 3.0.0-3.0.4 DAG-level callback context: only dag, run_id and reason."""
    return {"dag": Named(dag_id=dag_id), "run_id": run_id, "reason": reason}


def emit(value):
    """The script's result, as the last line of stdout."""
    sys.stdout.write(json.dumps(value, default=str) + "\n")
    sys.stdout.flush()
