import { readFileSync } from 'node:fs';

/** One line of /proc/self/mountinfo. */
export interface MountInfo {
  /** The directory of the filesystem that is mounted (a subtree for bind and cgroup mounts). */
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

/** The mounts this process sees. */
export function readMountInfo(): MountInfo[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const mounts: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    const fields = before.split(' ');
    const [fsType, , superOptions] = after.split(' ');
    mounts.push({
      root: unescapeMountPath(fields[3] ?? ''),
      mountPoint: unescapeMountPath(fields[4] ?? ''),
      fsType: fsType ?? '',
      superOptions: (superOptions ?? '').split(','),
    });
  }
  return mounts;
}

/** mountinfo writes spaces and the like as `\040`. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}
