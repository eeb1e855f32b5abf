import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** The real Airflow task logs in ../shared/realdata (kanton-bern/hellodata-be, BSD-3-Clause). */
export const REAL_LOGS = path.resolve(import.meta.dirname, '../../../shared/realdata/airflow_logs');
export const CONNECTION_REFUSED_LOG = path.join(
  REAL_LOGS,
  'kanton-bern_hellodata-be/k8s_pod_operator_connection_refused.log',
);
export const STARTUP_TIMEOUT_LOG = path.join(
  REAL_LOGS,
  'kanton-bern_hellodata-be/k8s_pod_operator_startup_timeout.log',
);

/** Where the parts of a generated log sit, to check what a search finds. */
export interface BigLog {
  file: string;
  bytes: number;
  lines: number;
  /** First line of the early failure (the startup-timeout log, whole). */
  earlyFailureLine: number;
  /** First line of the final failure (the connection-refused log, whole). */
  finalFailureLine: number;
}

/**
 * Writes a task log of about `targetBytes`: the INFO/WARNING lines of a real log repeated, the
 * real startup-timeout failure once near the start, and the real connection-refused failure near
 * the end, followed by a few more real lines.
 */
export async function writeBigLog(file: string, targetBytes: number): Promise<BigLog> {
  const timeout = (await readFile(STARTUP_TIMEOUT_LOG, 'utf8')).trimEnd().split('\n');
  const refused = (await readFile(CONNECTION_REFUSED_LOG, 'utf8')).trimEnd().split('\n');
  // The real lines before the failure: pod building and "Pod not yet started" warnings.
  const noise = timeout.slice(
    0,
    timeout.findIndex((line) => line.includes('ERROR')),
  );
  const block = `${Array.from({ length: Math.ceil(8192 / noise.length) }, () => noise.join('\n')).join('\n')}\n`;
  const blockLines = block.split('\n').length - 1;
  const blockBytes = Buffer.byteLength(block);
  const ending = `${refused.slice(-2).join('\n')}\n`;

  const out = createWriteStream(file);
  let bytes = 0;
  let lines = 0;
  const write = async (text: string, count: number) => {
    bytes += Buffer.byteLength(text);
    lines += count;
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(block, blockLines);
  const earlyFailureLine = lines + 1;
  await write(`${timeout.join('\n')}\n`, timeout.length);
  const finalBytes = Buffer.byteLength(`${refused.join('\n')}\n`) + Buffer.byteLength(ending);
  while (bytes + blockBytes + finalBytes < targetBytes) await write(block, blockLines);
  const finalFailureLine = lines + 1;
  await write(`${refused.join('\n')}\n`, refused.length);
  await write(ending, 2);
  out.end();
  await once(out, 'close');
  return { file, bytes, lines, earlyFailureLine, finalFailureLine };
}
