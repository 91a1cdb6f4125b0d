// check_sql.mjs runs every SQL statement of analysis.ipynb — the text inside
// run("""…""") and sql("""…""") — through DuckDB for Node, in notebook order,
// against a real output folder, with the ${NAME} substitutions the notebook's
// Python makes. It exits non-zero if a statement fails or a query returns no
// rows. The Python around the SQL is not run.
//
//   npm install @duckdb/node-api            (in the current folder or above)
//   node check_sql.mjs [-v] analysis.ipynb OUT_DIR     (-v prints every row)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const verbose = process.argv.includes('-v');
const [nbPath, out] = process.argv.slice(2).filter((a) => a !== '-v');
if (!nbPath || !out) {
  console.error('usage: node check_sql.mjs NOTEBOOK.ipynb OUT_DIR');
  process.exit(2);
}
// Resolve DuckDB from the current folder, where it was installed.
const { DuckDBInstance } = createRequire(path.join(process.cwd(), 'x.js'))('@duckdb/node-api');

const nb = JSON.parse(fs.readFileSync(nbPath, 'utf8'));
const source = nb.cells
  .filter((c) => c.cell_type === 'code')
  .map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source))
  .join('\n');
const statements = [...source.matchAll(/\b(?:run|sql)\(\s*(?:"""([\s\S]*?)"""|"([^"\n]*)")/g)].map((m) => m[1] ?? m[2]);

const db = await DuckDBInstance.create();
const con = await db.connect();
const rows = async (q) => (await con.runAndReadAll(q)).getRowObjectsJson();

// The values the notebook computes in Python.
const outDir = path.resolve(out).split(path.sep).join('/');
const runsFile = fs.existsSync(path.join(outDir, 'runs.parquet')) ? 'runs.parquet' : 'runs-*of*.parquet';
const runCols = (await rows(`DESCRIBE SELECT * FROM read_parquet('${outDir}/${runsFile}')`)).map((r) => r.column_name);
const params = runCols.filter((c) => c.startsWith('param.'));
const scorecard = ['visibility_p50_ms', 'visibility_p95_ms', 'delivery_ratio', 'in_order_ratio', 'reorder_restorable_ratio', 'recovery_ratio'];
const present = scorecard.filter((c) => runCols.includes(c));
// X and REST as the notebook computes them: the x-axis parameter, and a
// label expression of the other swept parameters.
const x = params.find((p) => p.includes('loss')) ?? params[0];
const others = params.filter((p) => p !== x);
const rest = others.length
  ? `concat_ws(', ', ${others.map((p) => `concat('${p.slice('param.'.length)}=', "${p}")`).join(', ')})`
  : "''";
const subst = {
  OUT: [outDir],
  RUNS: [runsFile],
  TABLE: ['messages', 'devices', 'connections'],
  X: [x],
  REST: [rest],
  SCORE: present.length ? [present.join(', ')] : [],
  VIEW: ['config_long', 'energy_long', 'score_long'],
};

// expand lists every substitution of a template's markers (list-valued
// markers give one statement per value).
function expand(text) {
  const names = [...new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]))];
  let out = [text];
  for (const n of names) {
    if (!(n in subst)) throw new Error(`unknown marker \${${n}}`);
    out = out.flatMap((t) => subst[n].map((v) => t.replaceAll(`\${${n}}`, v)));
  }
  return out;
}

// A template over ${VIEW} is a function's body (across_reps): it runs after
// each view it is called with has been created.
const perView = statements.filter((t) => t.includes('${VIEW}'));

let failed = 0;
let count = 0;
async function check(q) {
  count++;
  const head = q.trim().split('\n')[0].slice(0, 90);
  try {
    const r = await rows(q);
    const ddl = /^\s*CREATE/i.test(q);
    console.log(`ok   ${ddl ? 'DDL' : `${r.length} rows`}  ${head}`);
    for (const row of r.slice(0, verbose ? r.length : 2)) console.log('       ', JSON.stringify(row).slice(0, 200));
    if (!ddl && r.length === 0) {
      failed++;
      console.log('FAIL no rows');
    }
  } catch (e) {
    failed++;
    console.log(`FAIL ${head}\n     ${e.message}`);
  }
  const view = /^\s*CREATE OR REPLACE VIEW (\w+)/i.exec(q)?.[1];
  if (subst.VIEW.includes(view)) {
    for (const t of perView) await check(t.replaceAll('${VIEW}', view));
  }
}

for (const template of statements) {
  if (perView.includes(template)) continue;
  for (const q of expand(template)) {
    if (q.includes('summary.parquet') && !fs.existsSync(path.join(outDir, 'summary.parquet'))) continue;
    await check(q);
  }
}
console.log(`${count} statements, ${failed} failed; x = ${subst.X[0]}; scorecard columns: ${present.join(', ') || 'none'}`);
process.exit(failed ? 1 : 0);
