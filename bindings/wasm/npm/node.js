// Node.js: reads and instantiates the module next to this file.
import { readFileSync } from "node:fs";
import { initSync } from "./manual.js";

initSync(readFileSync(new URL("./tongban_bg.wasm", import.meta.url)));

export * from "./api.js";
