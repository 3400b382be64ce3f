// Writes `codes.d.ts` (the `ErrorCode` union of the declarations) into both modules of
// the built package, from `errorCodes()` of the built core: the same list as the Rust
// SDK's ERROR_CODES and the package's own `wasm.*` codes, never written by hand.
//
//   node scripts/codes.mjs PKG
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const pkg = resolve(process.argv[2]);
const { errorCodes } = await import(pathToFileURL(join(pkg, "core/node.js")).href);
const codes = errorCodes();
const lines = codes.map(({ code, meaning }) => `  /** ${meaning.replaceAll("*/", "* /")} */\n  | ${JSON.stringify(code)}`);
const text = `/* Every stable error code, generated from errorCodes() by scripts/codes.mjs. Do not edit. */\nexport type ErrorCode =\n${lines.join("\n")};\n`;
for (const variant of ["core", "forms"]) writeFileSync(join(pkg, variant, "codes.d.ts"), text);
console.error(`codes.d.ts: ${codes.length} codes`);
