// Type-checks tests/types.ts against the packed package (`npm pack` of pkg/, installed as
// a user installs it) under every compiler and configuration portals use: a browser
// project, a Node-only project without DOM typings, TypeScript 5.0 and 5.9 with the
// module resolutions node16, bundler and the default (node10), and TypeScript 7 with its
// defaults. Prints one line per configuration; exits 1 if any fails.
//
//   node tests/typecheck.mjs
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { install, packed } from "./support.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const wasmDir = join(here, "..");
const work = join(wasmDir, "../../target/wasm/typecheck");
const compilers = {
  "5.0": join(wasmDir, "node_modules/typescript-5.0/bin/tsc"),
  "5.9": join(wasmDir, "node_modules/typescript/bin/tsc"),
  "7": join(wasmDir, "node_modules/typescript-7/bin/tsc"),
};

const strict = { strict: true, noEmit: true, skipLibCheck: false };
const CONFIGS = [
  ["browser, bundler resolution (5.9)", "5.9", { ...strict, target: "es2022", lib: ["es2022", "dom"], module: "esnext", moduleResolution: "bundler" }],
  ["browser, lib esnext (5.9)", "5.9", { ...strict, target: "es2022", lib: ["esnext", "dom"], module: "esnext", moduleResolution: "bundler" }],
  ["Node only, no DOM, node16 (5.9)", "5.9", { ...strict, target: "es2022", lib: ["es2022"], types: ["node"], module: "node16", moduleResolution: "node16" }],
  ["Node only, no DOM and no @types/node, nodenext (5.9)", "5.9", { ...strict, target: "es2022", lib: ["es2022"], types: [], module: "nodenext", moduleResolution: "nodenext" }],
  ["default resolution, node10 (5.9)", "5.9", { ...strict, target: "es2022", module: "commonjs" }],
  ["bundler resolution (5.0)", "5.0", { ...strict, target: "es2022", lib: ["es2022", "dom"], module: "esnext", moduleResolution: "bundler" }],
  ["Node only, node16 (5.0)", "5.0", { ...strict, target: "es2022", lib: ["es2022"], types: ["node"], module: "node16", moduleResolution: "node16" }],
  ["default resolution, node10 (5.0)", "5.0", { ...strict, target: "es2022", module: "commonjs" }],
  ["current TypeScript, its defaults", "7", { noEmit: true }],
  ["current TypeScript, Node only, nodenext", "7", { noEmit: true, lib: ["es2024"], types: ["node"], module: "nodenext" }],
];

const unpacked = packed(work);

let failed = 0;
CONFIGS.forEach(([name, compiler, compilerOptions], n) => {
  const project = join(work, `project-${n}`);
  install(unpacked, project);
  mkdirSync(join(project, "node_modules/@types"), { recursive: true });
  symlinkSync(join(wasmDir, "node_modules/@types/node"), join(project, "node_modules/@types/node"));
  const commonjs = compilerOptions.module === "commonjs";
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "portal", private: true, type: commonjs ? "commonjs" : "module" }));
  cpSync(join(here, "types.ts"), join(project, "types.ts"));
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["types.ts"] }, null, 2));
  try {
    execFileSync(process.execPath, [compilers[compiler], "-p", project], { encoding: "utf8", stdio: "pipe" });
    console.log(`ok    ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`FAIL  ${name}\n${error.stdout}${error.stderr}`);
  }
});
console.log(`${CONFIGS.length - failed} of ${CONFIGS.length} configurations type-check`);
process.exit(failed ? 1 : 0);
