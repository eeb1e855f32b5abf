import { AirflowError } from './errors.js';

/** One attempt of one task instance: what a task log belongs to. */
export interface TaskLogRef {
  dagId: string;
  /** The DAG run id, e.g. `scheduled__2025-03-04T06:00:00+00:00`. */
  runId: string;
  /** The task id; tasks in a task group have dots, e.g. `transform.fct_orders`. */
  taskId: string;
  /** 1-based attempt. The latest attempt when absent. */
  tryNumber?: number;
  /** The index of a mapped task instance; -1 (or absent) when the task is not mapped. */
  mapIndex?: number;
}

/** Airflow's own rule for DAG and task ids (`airflow.utils.helpers.KEY_REGEX`). */
const KEY = /^[\w.-]+$/;
const MAX_ID_LENGTH = 250;

/**
 * Refuses ids that cannot be Airflow's and could leave the log folder (`/`, `..`, NUL).
 * Airflow run ids may hold `:`, `+` and spaces, but never a `/`.
 */
export function checkTaskLogRef(ref: TaskLogRef): void {
  checkKey('dag_id', ref.dagId);
  checkKey('task_id', ref.taskId);
  const runId = ref.runId;
  if (runId === '' || runId.length > MAX_ID_LENGTH || runId === '.' || runId === '..') {
    throw badRef(`run_id ${JSON.stringify(runId)} is not a DAG run id`);
  }
  if (/[/\\\u0000-\u001f]/.test(runId)) {
    throw badRef(`run_id ${JSON.stringify(runId)} may not contain "/", "\\" or control characters`);
  }
  if (ref.tryNumber !== undefined && (!Number.isInteger(ref.tryNumber) || ref.tryNumber < 1)) {
    throw badRef(`try_number must be 1 or more, got ${ref.tryNumber}`);
  }
  if (ref.mapIndex !== undefined && (!Number.isInteger(ref.mapIndex) || ref.mapIndex < -1)) {
    throw badRef(`map_index must be -1 (not mapped) or more, got ${ref.mapIndex}`);
  }
}

/** `dag_id=… run_id=… task_id=… [map_index=…] try N`, for messages and output headers. */
export function describeTaskLogRef(ref: TaskLogRef, tryNumber = ref.tryNumber): string {
  const parts = [`dag_id=${ref.dagId}`, `run_id=${ref.runId}`, `task_id=${ref.taskId}`];
  if (ref.mapIndex !== undefined && ref.mapIndex >= 0) parts.push(`map_index=${ref.mapIndex}`);
  parts.push(tryNumber === undefined ? 'latest try' : `try ${tryNumber}`);
  return parts.join(' ');
}

function checkKey(name: string, value: string): void {
  if (value.length > 0 && value.length <= MAX_ID_LENGTH && KEY.test(value) && !/^\.+$/.test(value)) return;
  throw badRef(
    `${name} ${JSON.stringify(value)} is not an Airflow id: ids use letters, digits, "_", "-" and "." only`,
  );
}

function badRef(message: string): AirflowError {
  return new AirflowError('airflow.bad-task-ref', message);
}
