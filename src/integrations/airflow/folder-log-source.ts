import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { AirflowError } from './errors.js';
import { type LogStream, openLogFile, type TaskLogSource } from './log-stream.js';
import { checkTaskLogRef, describeTaskLogRef, type TaskLogRef } from './task-log-ref.js';

const ATTEMPT_FILE = /^attempt=(\d+)\.log$/;
/** Entries named when a level of the folder does not have what was asked for. */
const NAMED_SIBLINGS = 5;

/**
 * Task logs in a folder laid out as Airflow writes them by default (`log_filename_template` since
 * 2.3): `dag_id=…/run_id=…/task_id=…/[map_index=N/]attempt=N.log`.
 */
export class FolderLogSource implements TaskLogSource {
  readonly kind = 'folder' as const;

  /** `folder` is absolute: `integrations.airflow.log_folder` resolved against the project root. */
  constructor(private readonly folder: string) {}

  async open(ref: TaskLogRef, signal: AbortSignal): Promise<LogStream> {
    checkTaskLogRef(ref);
    const root = await realpath(this.folder).catch((error: unknown) => {
      throw new AirflowError(
        'airflow.not-configured',
        'integrations.airflow.log_folder does not exist or cannot be read: fix the path in .agentry/config.yml',
        { cause: error },
      );
    });
    const levels = [`dag_id=${ref.dagId}`, `run_id=${ref.runId}`, `task_id=${ref.taskId}`];
    if (ref.mapIndex !== undefined && ref.mapIndex >= 0) levels.push(`map_index=${ref.mapIndex}`);
    const taskDirectory = path.join(root, ...levels);
    const tryNumber = ref.tryNumber ?? (await latestAttempt(taskDirectory));
    if (tryNumber === undefined) throw await missing(root, levels, ref);

    const requested = path.join(taskDirectory, `attempt=${tryNumber}.log`);
    const file = await realpath(requested).catch(() => undefined);
    if (file === undefined) throw await missing(root, [...levels, `attempt=${tryNumber}.log`], ref);
    const relative = path.relative(root, file);
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new AirflowError(
        'airflow.log-not-found',
        `the log of ${describeTaskLogRef(ref, tryNumber)} is a symlink that leads outside the log folder: it is not read`,
      );
    }
    if (!(await stat(file)).isFile()) {
      throw new AirflowError(
        'airflow.log-not-found',
        `${levels.join('/')}/attempt=${tryNumber}.log is not a file`,
      );
    }
    const stream = await openLogFile(file, 'Airflow log folder', signal);
    return { ...stream, tryNumber };
  }
}

async function latestAttempt(directory: string): Promise<number | undefined> {
  const attempts = await listAttempts(directory);
  return attempts.length > 0 ? Math.max(...attempts) : undefined;
}

async function listAttempts(directory: string): Promise<number[]> {
  const names = await readdir(directory).catch(() => [] as string[]);
  return names.flatMap((name) => {
    const match = ATTEMPT_FILE.exec(name);
    return match ? [Number(match[1])] : [];
  });
}

/** Says which level of the folder lacks what was asked for, naming what is there instead. */
async function missing(root: string, levels: string[], ref: TaskLogRef): Promise<AirflowError> {
  let directory = root;
  for (const level of levels) {
    const names = await readdir(directory).catch(() => [] as string[]);
    if (!names.includes(level)) {
      const prefix = level.slice(0, level.indexOf('=') + 1);
      const siblings = names.filter((name) => name.startsWith(prefix)).sort();
      const shown = siblings.slice(-NAMED_SIBLINGS).join(', ');
      const there =
        siblings.length === 0
          ? `it has no ${prefix}… entries there`
          : `there: ${shown}${siblings.length > NAMED_SIBLINGS ? ` (the last ${NAMED_SIBLINGS} of ${siblings.length})` : ''}`;
      const where = directory === root ? 'the log folder' : path.relative(root, directory);
      return new AirflowError(
        'airflow.log-not-found',
        `no log for ${describeTaskLogRef(ref)}: ${where} has no ${level}; ${there}`,
      );
    }
    directory = path.join(directory, level);
  }
  return new AirflowError('airflow.log-not-found', `no log for ${describeTaskLogRef(ref)} in the log folder`);
}
