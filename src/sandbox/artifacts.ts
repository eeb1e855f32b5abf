import { constants } from 'node:fs';
import { mkdir, open, readFile, realpath, writeFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import type { KeptArtifact, SandboxArtifact } from './driver.js';
import { ArtifactError } from './errors.js';

/** The name of the diff every run keeps. */
export const WORKSPACE_DIFF = 'workspace.diff';
/** Largest file an agent may keep. */
/** The `workspace.diff` artifact every sandbox hands over at its end, whatever its driver. */
export function workspaceDiffArtifact(
  baseCommit: string,
  { diff, truncated }: { diff: Uint8Array; truncated: boolean },
): SandboxArtifact {
  const details = { source: 'workspace', baseCommit, ...(truncated ? { truncated } : {}) };
  return { name: WORKSPACE_DIFF, mediaType: 'text/x-diff', content: diff, details };
}

export const MAX_ARTIFACT_BYTES = 10 * 1024 * 1024;
/** Files an agent may keep per run. */
export const MAX_ARTIFACTS = 50;

const MEDIA_TYPES: Record<string, string> = {
  '.md': 'text/markdown',
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.json': 'application/json',
  '.yml': 'application/yaml',
  '.yaml': 'application/yaml',
  '.sql': 'application/sql',
  '.html': 'text/html',
  '.diff': 'text/x-diff',
  '.patch': 'text/x-diff',
  '.py': 'text/x-python',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
};

/** A media type for a file name, from its extension. */
export function mediaTypeFor(name: string): string {
  return MEDIA_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The files an agent asked to keep, snapshotted outside the workspace as they were when asked,
 * and handed to the engine before the sandbox goes.
 */
export class ArtifactKeeper {
  private readonly kept = new Map<string, { file: string; mediaType: string; path: string }>();

  /** `directory` is ours and outside the workspace; `root` is the workspace's real path. */
  constructor(
    private readonly directory: string,
    private readonly root: string,
  ) {}

  async keep(file: string, options: { name?: string; mediaType?: string } = {}): Promise<KeptArtifact> {
    const real = await realpath(file).catch(() => {
      throw new ArtifactError(`${file} does not exist: write the file first, then keep it`);
    });
    const path = relative(this.root, real);
    if (path === '' || path.startsWith('..') || path.startsWith(sep)) {
      throw new ArtifactError('only files inside the workspace can be kept');
    }
    const relativePath = path.split(sep).join('/');
    const name = options.name ?? relativePath;
    checkName(name);
    if (!this.kept.has(name) && this.kept.size >= MAX_ARTIFACTS) {
      throw new ArtifactError(`a run keeps at most ${MAX_ARTIFACTS} files: keep a summary file instead`);
    }
    // O_NOFOLLOW: the file checked above is the file read, even if a link is swapped in meanwhile.
    const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    let content: Buffer;
    try {
      const info = await handle.stat();
      if (!info.isFile())
        throw new ArtifactError(`${relativePath} is not a regular file: only files can be kept`);
      if (info.size > MAX_ARTIFACT_BYTES) {
        throw new ArtifactError(
          `${relativePath} is ${info.size} bytes, over the ${MAX_ARTIFACT_BYTES}-byte limit for a kept file: keep a smaller summary`,
        );
      }
      content = await handle.readFile();
    } finally {
      await handle.close();
    }
    await mkdir(this.directory, { recursive: true });
    const snapshot = join(this.directory, `${this.indexOf(name)}.bin`);
    await writeFile(snapshot, content);
    const mediaType = options.mediaType ?? mediaTypeFor(name);
    this.kept.set(name, { file: snapshot, mediaType, path: relativePath });
    return { name, mediaType, size: content.length, path: relativePath };
  }

  /** The kept files, in the order they were first kept. */
  async collect(): Promise<SandboxArtifact[]> {
    const artifacts: SandboxArtifact[] = [];
    for (const [name, entry] of this.kept) {
      const content = await readFile(entry.file);
      artifacts.push({
        name,
        mediaType: entry.mediaType,
        content,
        details: { path: entry.path, source: 'agent' },
      });
    }
    return artifacts;
  }

  private indexOf(name: string): number {
    const names = [...this.kept.keys()];
    const index = names.indexOf(name);
    return index === -1 ? names.length : index;
  }
}

function checkName(name: string): void {
  if (name === WORKSPACE_DIFF) {
    throw new ArtifactError(`${WORKSPACE_DIFF} is kept for every run already: choose another name`);
  }
  if (name.length === 0 || name.length > 200 || /[\u0000-\u001f]/.test(name)) {
    throw new ArtifactError('an artifact name is 1 to 200 printable characters, e.g. reports/summary.md');
  }
}
