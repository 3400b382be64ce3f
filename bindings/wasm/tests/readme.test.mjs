// The package README's snippets run as written: in Node (the Node set-up, then the main
// snippet, as one module in a project where the packed package is installed) and in
// headless Chromium (the browser set-up, then the main snippet, under an import map, next
// to /registry.json). And its API table names every export of the package.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CREATED, fixture, install, launchChromium, load, packed, repoFile, servePortal, targetDir,
} from "./support.mjs";

const readme = repoFile("bindings/wasm/npm/README.md");
const work = join(targetDir, "readme");

/** The code block after `<!-- snippet: NAME -->`. */
function snippet(name) {
  const match = new RegExp(`<!-- snippet: ${name} -->\\n\`\`\`js\\n([\\s\\S]*?)\`\`\`\\n`).exec(readme);
  assert.ok(match, `README has the ${name} snippet`);
  return match[1];
}

/** What the snippets print when they run: the replayed transfer's code, the state and the deadline. */
function checkOutput(lines) {
  assert.equal(lines[0], "replay.duplicate");
  assert.match(lines[1], /^received /);
}

let browser;
let server;
before(async () => {
  mkdirSync(work, { recursive: true });
});
after(async () => {
  await browser?.close();
  server?.kill();
});

test("the Node snippets run as written against the installed package", () => {
  const project = join(work, "node");
  install(packed(join(work, "packed")), project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ type: "module", private: true }));
  writeFileSync(join(project, "registry.json"), fixture("registry-v1"));
  writeFileSync(join(project, "quick-start.js"), `${snippet("node")}\n${snippet("main")}`);
  const out = execFileSync(process.execPath, ["quick-start.js"], { cwd: project, encoding: "utf8" });
  const lines = out.trim().split("\n");
  checkOutput(lines);
  assert.match(lines[1], /^received \d{4}-\d{2}-\d{2} \d+$/);
});

test("the browser snippets run as written in headless Chromium", async () => {
  const pages = join(work, "browser");
  mkdirSync(pages, { recursive: true });
  writeFileSync(join(pages, "index.html"), `<!doctype html><meta charset="utf-8"><title>quick start</title>
<script type="importmap">{ "imports": { "tongban/forms": "/tongban/forms/index.js" } }</script>
<script type="module" src="quick-start.js"></script>\n`);
  writeFileSync(join(pages, "quick-start.js"), `${snippet("browser")}\n${snippet("main")}\nconsole.log("done");\n`);
  let base;
  ({ server, base } = await servePortal(pages, CREATED));
  browser = await launchChromium();
  const page = await browser.newPage();
  const lines = [];
  const errors = [];
  page.on("console", (message) => message.type() === "log" && lines.push(message.text()));
  page.on("pageerror", (error) => errors.push(error));
  const done = new Promise((resolve) => page.on("console", (m) => m.text() === "done" && resolve()));
  await page.goto(base);
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 20_000))]);
  assert.deepEqual(errors, []);
  assert.equal(lines.at(-1), "done");
  checkOutput(lines);
});

test("the API table names every export, static method, method and getter of the package", async () => {
  const forms = await load("forms");
  const table = readme.slice(readme.indexOf("## API"), readme.indexOf("## TypeScript"));
  const named = (name) => table.includes(`\`${name}`) || table.includes(`.${name}`) || table.includes(`${name}\``);
  const missing = [];
  for (const [name, value] of Object.entries(forms)) {
    if (!named(name)) missing.push(name);
    if (typeof value !== "function" || !value.prototype) continue;
    for (const member of Object.getOwnPropertyNames(value)) {
      if (!["length", "name", "prototype"].includes(member) && !named(member)) missing.push(`${name}.${member}`);
    }
    for (const member of Object.getOwnPropertyNames(value.prototype)) {
      if (member !== "constructor" && !named(member)) missing.push(`${name}#${member}`);
    }
  }
  for (const name of ["init", "initSync", "free"]) if (!named(name)) missing.push(name);
  assert.deepEqual(missing, []);
});
