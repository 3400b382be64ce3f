// A page built for a target without top-level await (esbuild --target=es2017, a classic
// script): `tongban/manual` with `init()` in a promise chain, the module from
// `tongban/core.wasm` through esbuild's file loader. The title tells the test the result.
import { init, KeyPair, TongbanError } from "tongban/manual";
import wasm from "tongban/core.wasm";

init(new URL(wasm, document.baseURI)).then(
  () => {
    const key = KeyPair.sample("huangshi.420200");
    const keyId = key.keyId;
    let code = "none";
    try {
      key.free();
      key.toKeyFile();
    } catch (error) {
      code = error instanceof TongbanError ? error.code : String(error);
    }
    document.title = `ready ${keyId} ${code}`;
  },
  (error) => {
    document.title = `failed ${error.code}: ${error.message}`;
  },
);
