// The one error class of the package, shared by both modules (`tongban` and
// `tongban/forms`), so that `instanceof TongbanError` holds whichever module threw.

/** A wrong type, a missing argument, an object of the wrong class. */
export const ARGUMENT = "wasm.argument";
/** A number that is not a safe integer where an integer is meant, or not finite. */
export const NUMBER = "wasm.number";
/** An object of the package's other module (`tongban` against `tongban/forms`). */
export const FOREIGN_OBJECT = "wasm.foreign_object";
/** An object used after its `free()`. */
export const FREED = "wasm.freed";
/** A function of `tongban/manual` called before `init()`. */
export const NOT_INITIALIZED = "wasm.not_initialized";

/** Every error the package throws: the stable code of the protocol (§13) or of the package. */
export class TongbanError extends Error {
  /**
   * @param {string} code the stable code, e.g. `signature.invalid`
   * @param {string} message what went wrong, for people
   */
  constructor(code, message) {
    super(message);
    this.name = "TongbanError";
    this.code = code;
  }
}

/**
 * The error WebAssembly threw, as a `TongbanError`: the Rust side makes an `Error` named
 * `TongbanError` with its code, which gets this class's prototype (message and stack
 * kept). Anything else is returned unchanged.
 */
export function adopt(error) {
  if (error instanceof Error && error.name === "TongbanError" && !(error instanceof TongbanError)) {
    Object.setPrototypeOf(error, TongbanError.prototype);
  }
  return error;
}
