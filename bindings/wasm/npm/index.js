// Browsers and bundlers that emit assets referenced by `new URL(…, import.meta.url)`
// (Vite, webpack 5, Parcel): fetches and instantiates the module next to this file.
import { init } from "./manual.js";

await init(new URL("./tongban_bg.wasm", import.meta.url));

export * from "./api.js";
