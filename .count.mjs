import ts from 'typescript';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
const files = [];
const walk = (d) => { for (const n of readdirSync(d)) { const p = join(d, n); if (statSync(p).isDirectory()) walk(p); else if (p.endsWith('.ts')) files.push(p); } };
for (const d of process.argv.slice(2)) walk(d);
for (const f of files) {
  const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (n) => {
    const bang = ts.isNonNullExpression(n);
    const as = ts.isAsExpression(n) && !(ts.isTypeReferenceNode(n.type) && n.type.typeName.getText(sf) === 'const');
    if (bang || as) { const { line } = sf.getLineAndCharacterOfPosition(n.getStart()); console.log(`${f}:${line + 1}: ${bang ? '!' : 'as'}  ${n.getText(sf).slice(0, 110).replace(/\n/g, ' ')}`); }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}
