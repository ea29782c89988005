/**
 * Where the development processes keep their files (`npm run dev`, `npm run vehicle`, `npm run phone`,
 * `npm run operator`): the car's key and state, the phone's state, the dev server's operator
 * endpoint. `SDK_DATA_DIR`, default `.data` (git-ignored).
 */
export function dataDir(env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env): string {
  return env.SDK_DATA_DIR || '.data';
}
