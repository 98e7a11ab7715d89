import type { Logger } from "../../shared/logger.js";

export type Unsubscribe = () => void;

/**
 * Tiny typed listener set. A throwing listener must not stop the others (a logging bug in one
 * subscriber should never keep the lock controller from seeing a door change), so errors are logged.
 */
export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  constructor(
    private readonly logger: Logger,
    private readonly name: string,
  ) {}

  add(cb: (value: T) => void): Unsubscribe {
    this.set.add(cb);
    return () => {
      this.set.delete(cb);
    };
  }

  emit(value: T): void {
    for (const cb of [...this.set]) {
      try {
        cb(value);
      } catch (err) {
        this.logger.error({ err, event: this.name }, "listener threw");
      }
    }
  }

  clear(): void {
    this.set.clear();
  }
}
