import { hostname } from 'node:os';

/** Identifies the process executing a run: `host:pid`. */
export function currentOwner(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * Whether the owner of a RUNNING run can still be alive. On this host we can ask the kernel; for
 * another host we only know its last heartbeat.
 */
export function isOwnerAlive(
  owner: string | null,
  heartbeatAt: string | null,
  staleAfterMs: number,
  now = Date.now(),
): boolean {
  if (owner) {
    const separator = owner.lastIndexOf(':');
    const host = owner.slice(0, separator);
    const pid = Number(owner.slice(separator + 1));
    if (host === hostname() && Number.isInteger(pid)) return isPidAlive(pid);
  }
  if (!heartbeatAt) return false;
  return now - Date.parse(heartbeatAt) < staleAfterMs;
}

function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
