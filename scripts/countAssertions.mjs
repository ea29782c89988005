// Counts non-null assertions (`x!`) and `as` casts (not `as const`; import/export renames are not
// casts) in the TypeScript files under the given folders, from the TypeScript AST (issue 7 §4).
// Usage: node scripts/countAssertions.mjs server ble-sim shared   (LIST=1 prints each one)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { log } from 'node:console';
import { argv, env } from 'node:process';
import ts from 'typescript';

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith('.ts')) files.push(path);
  }
};
for (const dir of argv.slice(2)) walk(dir);

let bangs = 0;
let casts = 0;
for (const file of files) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    const bang = ts.isNonNullExpression(node);
    const cast = ts.isAsExpression(node) && !(ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(source) === 'const');
    if (bang) bangs++;
    if (cast) casts++;
    if ((bang || cast) && env.LIST) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart());
      log(`${file}:${line + 1}: ${bang ? '!' : 'as'}  ${node.getText(source).slice(0, 100).replace(/\s+/g, ' ')}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
log(`non-null assertions: ${bangs}\nas casts (not as const): ${casts}`);
