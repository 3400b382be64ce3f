// Whether this module's WebAssembly instance is ready: set by `init`/`initSync` of
// `manual.js`, read before every call into WebAssembly.
export const state = { initialized: false };
