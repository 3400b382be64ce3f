// Builds the example portal (examples/portal/) with the bundlers portals use, against
// the packed package installed as a user installs it (node_modules/tongban from
// `npm pack`): esbuild (the module through its file loader and `tongban/forms/manual`)
// and Vite (the module as an asset, from `new URL(…, import.meta.url)`), plus a page
// built by esbuild for a target without top-level await. Returns the output folders.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { install, packed } from "./support.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const wasmDir = join(here, "..");
const root = join(wasmDir, "../..");
const portal = join(root, "examples/portal");

/** A fresh project folder with the portal's files and the packed package installed. */
function project(work, name) {
  const dir = join(work, name);
  install(packed(work), dir);
  for (const file of ["index.html", "portal.js", "portal.css"]) cpSync(join(portal, file), join(dir, file));
  return dir;
}

/** Builds every variant into target/wasm/bundles/; returns `{ esbuild, vite, noTopLevelAwait }`. */
export async function buildBundles() {
  const work = join(root, "target/wasm/bundles");

  // esbuild: "tongban/forms" is the shim of examples/portal/esbuild/.
  const esbuildDir = project(work, "esbuild");
  const shim = join(esbuildDir, "tongban-forms.js");
  cpSync(join(portal, "esbuild/tongban-forms.js"), shim);
  await build({
    entryPoints: [join(esbuildDir, "portal.js")],
    absWorkingDir: esbuildDir,
    bundle: true,
    format: "esm",
    outdir: join(esbuildDir, "dist"),
    loader: { ".wasm": "file" },
    logLevel: "warning",
    plugins: [{
      name: "tongban-forms-shim",
      setup(b) {
        b.onResolve({ filter: /^tongban\/forms$/ }, (args) => (args.importer === shim ? undefined : { path: shim }));
      },
    }],
  });
  cpSync(join(esbuildDir, "index.html"), join(esbuildDir, "dist/index.html"));
  cpSync(join(esbuildDir, "portal.css"), join(esbuildDir, "dist/portal.css"));

  // Vite: its defaults, nothing configured.
  const viteDir = project(work, "vite");
  execFileSync(process.execPath, [
    join(wasmDir, "node_modules/vite/bin/vite.js"), "build", viteDir, "--outDir", join(viteDir, "dist"), "--logLevel", "warn",
  ], { stdio: "inherit" });

  // No top-level await: a classic script for es2017.
  const oldDir = join(work, "no-top-level-await");
  install(packed(work), oldDir);
  cpSync(join(here, "bundle/no-top-level-await.js"), join(oldDir, "page.js"));
  await build({
    entryPoints: [join(oldDir, "page.js")],
    absWorkingDir: oldDir,
    bundle: true,
    format: "iife",
    target: "es2017",
    outdir: join(oldDir, "dist"),
    loader: { ".wasm": "file" },
    logLevel: "warning",
  });
  writeFileSync(join(oldDir, "dist/index.html"), '<!doctype html><meta charset="utf-8"><title>loading</title><script src="page.js"></script>\n');

  const wasmFiles = (dir) => readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith(".wasm"));
  return {
    esbuild: join(esbuildDir, "dist"),
    vite: join(viteDir, "dist"),
    noTopLevelAwait: join(oldDir, "dist"),
    emitted: { esbuild: wasmFiles(join(esbuildDir, "dist")), vite: wasmFiles(join(viteDir, "dist")) },
  };
}
