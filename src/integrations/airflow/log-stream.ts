import { open, stat } from 'node:fs/promises';
import { textOrStructured } from './structured-log.js';
import type { TaskLogRef } from './task-log-ref.js';

/**
 * A log opened for one streaming pass. The text arrives in chunks and is never held whole, so a
 * task log of hundreds of MB costs the memory of one chunk.
 */
export interface LogStream {
  /** Where the text comes from, for the model: `Airflow REST API v2 at http://…`, `log folder`, a path. */
  origin: string;
  /** The attempt read, when the log is a task's. */
  tryNumber?: number;
  /** Size of the whole log in bytes, when known before reading (files). */
  sizeBytes?: number;
  /** The text in order: UTF-8 bytes or strings, chunks of any size. */
  chunks: AsyncIterable<Uint8Array | string>;
}

/** Where task logs are read from: the Airflow REST API or a folder of log files. */
export interface TaskLogSource {
  readonly kind: 'api' | 'folder';
  /** Opens the log of one attempt (the latest when `ref.tryNumber` is absent). */
  open(ref: TaskLogRef, signal: AbortSignal): Promise<LogStream>;
}

/** Bytes read from a file at a time. */
export const FILE_CHUNK_BYTES = 1024 * 1024;

/**
 * Streams a log file in {@link FILE_CHUNK_BYTES} chunks. The file is opened on the first read and
 * closed when reading ends or stops, so a stream that is never read holds no descriptor. A file of
 * structlog JSON lines (Airflow 3) is rendered to text lines.
 */
export async function openLogFile(file: string, origin: string, signal?: AbortSignal): Promise<LogStream> {
  const { size } = await stat(file);
  return { origin, sizeBytes: size, chunks: textOrStructured(readFileChunks(file, signal)) };
}

async function* readFileChunks(file: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    for (;;) {
      signal?.throwIfAborted();
      // A fresh buffer per chunk: consumers may keep slices of it (decoded strings do not).
      const buffer = Buffer.allocUnsafe(FILE_CHUNK_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
