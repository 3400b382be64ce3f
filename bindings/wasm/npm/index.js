// Browsers and bundlers: fetches and instantiates the module next to this file.
import init from "./tongban.js";

await init({ module_or_path: new URL("./tongban_bg.wasm", import.meta.url) });

export * from "./tongban.js";
