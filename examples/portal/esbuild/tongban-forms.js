// What the esbuild build of the portal uses for "tongban/forms" (`--alias`): esbuild
// does not emit files referenced by `new URL(…, import.meta.url)`, so the module comes
// from `tongban/forms.wasm` through esbuild's file loader (`--loader:.wasm=file`), which
// copies it next to the bundle and gives its URL, and `tongban/forms/manual` loads it.
import { init } from "tongban/forms/manual";
import wasm from "tongban/forms.wasm";

await init(new URL(wasm, import.meta.url));

export * from "tongban/forms/manual";
