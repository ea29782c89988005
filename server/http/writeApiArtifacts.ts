/**
 * `npm run api:generate`: rewrite docs/openapi.json and ble-sim/phone/generatedApiTypes.ts from the
 * route definitions. `npm run api:check` (`--check`): exit 1, naming the stale files, when the
 * checked-in ones are not what the routes generate.
 */
import { writeFile } from 'node:fs/promises';
import { API_ARTIFACT_FILES, apiArtifacts, staleApiArtifacts } from './apiArtifacts.js';

if (process.argv.includes('--check')) {
  const stale = await staleApiArtifacts();
  if (stale.length > 0) {
    console.error(`not what the routes generate: ${stale.join(', ')} — run \`npm run api:generate\` and commit the result`);
    process.exitCode = 1;
  } else {
    console.log('docs/openapi.json and ble-sim/phone/generatedApiTypes.ts are current');
  }
} else {
  const artifacts = await apiArtifacts();
  await writeFile(API_ARTIFACT_FILES.document, artifacts.document);
  await writeFile(API_ARTIFACT_FILES.clientTypes, artifacts.clientTypes);
  console.log('wrote docs/openapi.json and ble-sim/phone/generatedApiTypes.ts');
}
