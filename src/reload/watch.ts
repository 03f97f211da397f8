import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/**
 * `server.watchConfig`: calls `onChange` once things settle (250 ms without another event) after
 * the config file or anything under `clients.dir` changes. The file's directory is watched, not
 * the file: editors save by writing a new file and renaming it over the old one.
 */
export function watchConfig(paths: { file?: string; clientsDir: string }, onChange: () => void): () => void {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, 250);
    timer.unref();
  };
  const quietly = (start: () => FSWatcher) => {
    try {
      const watcher = start();
      watcher.on('error', () => {}); // the folder went away: nothing left to watch there
      watchers.push(watcher);
    } catch {
      // A missing clients.dir is allowed (every client gets the base schema).
    }
  };
  if (paths.file) {
    const file = resolve(paths.file);
    quietly(() =>
      watch(dirname(file), { persistent: false }, (_event, name) => {
        if (name === basename(file)) changed();
      }),
    );
  }
  quietly(() => watch(resolve(paths.clientsDir), { persistent: false, recursive: true }, changed));
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
