// The package without top-level await: instantiate the WebAssembly module yourself with
// `init(source)` or `initSync(bytes)`, for bundlers that do not emit the `.wasm` file
// (esbuild: import it from `tongban/core.wasm` with a file or binary loader) and for
// build targets without top-level await. Until then every function throws
// `wasm.not_initialized`.
import instantiate, { initSync as instantiateSync } from "./tongban.js";
import { state } from "./state.js";
import { NOT_INITIALIZED, TongbanError } from "../errors.js";

export * from "./api.js";

function failed(error) {
  const message = `could not instantiate the WebAssembly module: ${error?.message ?? error}`;
  return Object.assign(new TongbanError(NOT_INITIALIZED, message), { cause: error });
}

let pending;

/**
 * Instantiates the module from a URL (string or `URL`), a `Response` or a promise of
 * one, its bytes, or a compiled `WebAssembly.Module`. Later calls wait for the first;
 * after a failure, the next call tries again.
 */
export function init(source) {
  pending ??= instantiate({ module_or_path: source }).then(
    () => {
      state.initialized = true;
    },
    (error) => {
      pending = undefined;
      throw failed(error);
    },
  );
  return pending;
}

/** Instantiates the module synchronously from its bytes or a compiled `WebAssembly.Module`. */
export function initSync(source) {
  if (state.initialized) return;
  if (pending) throw new TongbanError(NOT_INITIALIZED, "init() is still instantiating the module; await it");
  try {
    instantiateSync({ module: source });
  } catch (error) {
    throw failed(error);
  }
  state.initialized = true;
}
