/**
 * Write a file only its owner may read (mode 0600), atomically and durably: a temporary file of its
 * own in the same folder, fsynced, renamed over the old one, then the folder fsynced. A crash leaves
 * the old contents or the new, never a torn file; a file that was there with looser permissions is
 * replaced, not rewritten in place, so it ends 0600 too. For every file that holds a secret or a
 * state that must not go back in time: the car's state and provisioning file, the phone's state,
 * the development server's operator endpoint. The folder must exist: a state folder that vanished
 * (a failing flash) is an error, never silently made again.
 */
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let tempCounter = 0;

export async function writePrivateFile(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${++tempCounter}.tmp`);
  // 'wx': a new file, so it is created with mode 0600 (an existing one would keep its mode).
  const file = await open(temp, 'wx', 0o600);
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } catch (err) {
    await file.close();
    await rm(temp, { force: true });
    throw err;
  }
  await file.close();
  await rename(temp, path);
  // Make the rename itself durable. Some platforms cannot open a directory: the rename is still atomic.
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // best effort
  }
}
