/**
 * Things tools of one run share and that must be closed when the run ends: warehouse
 * connections, a parsed dbt manifest, an HTTP client. Created on first use.
 */
export class RunResources {
  private readonly entries = new Map<
    string,
    { value: Promise<unknown>; dispose?: (value: never) => Promise<void> | void }
  >();

  /** The resource under `key`, created by `create` the first time it is asked for. */
  get<T>(key: string, create: () => Promise<T>, dispose?: (value: T) => Promise<void> | void): Promise<T> {
    const existing = this.entries.get(key);
    if (existing) return existing.value as Promise<T>;
    const value = create();
    this.entries.set(key, {
      value,
      dispose: dispose as ((value: never) => Promise<void> | void) | undefined,
    });
    // A failed creation is not cached: the next call tries again.
    value.catch(() => this.entries.delete(key));
    return value;
  }

  /** Dispose of everything, newest first; errors are collected, not thrown one by one. */
  async closeAll(): Promise<unknown[]> {
    const errors: unknown[] = [];
    for (const [key, entry] of [...this.entries].reverse()) {
      this.entries.delete(key);
      try {
        const value = await entry.value;
        await entry.dispose?.(value as never);
      } catch (error) {
        errors.push(error);
      }
    }
    return errors;
  }
}
