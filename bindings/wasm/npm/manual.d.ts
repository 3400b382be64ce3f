// `tongban/manual` and `tongban/forms/manual`: the same API without top-level await;
// call `init` (or `initSync`) before anything else.
export * from "./index.js";

/** A compiled WebAssembly module, as `WebAssembly.compile` gives it. */
export type CompiledModule = object;

/** What `init` instantiates: a URL, a fetch `Response` or a promise of one, the bytes, or a compiled module. */
export type ModuleSource =
  | string
  | { readonly href: string }
  | { arrayBuffer(): Promise<ArrayBuffer> }
  | PromiseLike<{ arrayBuffer(): Promise<ArrayBuffer> }>
  | ArrayBuffer
  | ArrayBufferView
  | CompiledModule;

/** Instantiates the module; later calls wait for the first. Throws `wasm.not_initialized` if it cannot. */
export declare function init(source: ModuleSource): Promise<void>;
/** Instantiates the module synchronously from its bytes or a compiled module. */
export declare function initSync(source: ArrayBuffer | ArrayBufferView | CompiledModule): void;
