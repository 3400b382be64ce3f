// Compiles every published schema (schemas/v1/*.json) with ajv in strict mode, draft
// 2020-12, as a JavaScript or Java team would first do: an unknown keyword, a
// non-standard `format` or any other strict-mode complaint fails. Run from the
// repository root: `node schemas/check.mjs` (ajv comes from the JavaScript adapter's
// dependencies, `npm ci --prefix conformance/adapters/node`).
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../conformance/adapters/node/package.json"));
const Ajv2020 = require("ajv/dist/2020.js").default;

const dir = join(here, "v1");
const names = readdirSync(dir).filter((name) => name.endsWith(".json")).sort();
let failed = 0;
for (const name of names) {
  // strict: true turns every strict-mode warning (strictTypes, strictTuples, …) into
  // an error; formats are validated, so an unknown format cannot compile.
  const ajv = new Ajv2020({ strict: true, validateFormats: true, allErrors: true });
  ajv.addFormat("date", /^\d{4}-\d{2}-\d{2}$/);
  ajv.addFormat("date-time", true);
  try {
    ajv.compile(JSON.parse(readFileSync(join(dir, name), "utf8")));
  } catch (error) {
    failed += 1;
    console.error(`${name}: ${error.message}`);
  }
}
if (failed > 0) {
  console.error(`${failed} of ${names.length} schemas do not compile in ajv's strict mode`);
  process.exit(1);
}
console.log(`ok: all ${names.length} schemas compile in ajv's strict mode (draft 2020-12)`);
