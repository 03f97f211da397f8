// Monaco runs its language services (GraphQL, JSON, the editor's own) in web workers. The build
// (ide/build.ts) bundles each as a file of its own and gives their hashed names here; they load
// from the gateway like the page, which its content-security-policy ('self' only) requires: a
// worker from a blob: or data: URL would be refused.
declare const __IDE_WORKERS__: Record<string, string>;

/** Tells Monaco where its workers are: beside this script. */
export function setUpWorkers(): void {
  (globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
    getWorker(_workerId: string, label: string): Worker {
      const file = __IDE_WORKERS__[label] ?? __IDE_WORKERS__.editor;
      return new Worker(new URL(`./${file}`, import.meta.url), { name: label });
    },
  };
}
