// The conformance runner's adapter for the WASM package: one JSON request per line on
// standard input, one JSON outcome per line on standard output (conformance/vectors/
// README.md). Every operation goes through the package's public API, as a portal would
// call it; it imports `tongban/forms`, the module that implements everything.
//
//   tongban conformance run --adapter "node bindings/wasm/tests/adapter.mjs"
//
// TONGBAN_PACKAGE overrides the package folder (default bindings/wasm/pkg).
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

const pkg = process.env.TONGBAN_PACKAGE ?? new URL("../pkg/", import.meta.url).pathname;
const tongban = await import(pathToFileURL(`${pkg}/forms/node.js`).href);
const { Case, Registry, Verifier, canonicalize, checkFile, checkIdentifier } = tongban;

function bytesOf(input) {
  if (Array.isArray(input.concat)) {
    return new Uint8Array(Buffer.concat(input.concat.map((part) => Buffer.from(bytesOf(part)))));
  }
  if (typeof input.text === "string") return input.text;
  if (typeof input.base64 === "string") return new Uint8Array(Buffer.from(input.base64, "base64"));
  if (input.fill) return new Uint8Array(input.fill.count).fill(input.fill.byte);
  throw new Error("no bytes in input");
}

/** Runs `run`; a TongbanError with a protocol code is the implementation's refusal. */
function outcome(run) {
  try {
    return { outcome: "accepted", ...run() };
  } catch (e) {
    if (e?.name === "TongbanError" && e.code !== "wasm.argument") {
      return { outcome: "refused", code: e.code, message: e.message };
    }
    throw e;
  }
}

/** Each message verified in order by one verifier; `then` acts on the verified one. */
function verifyAll(verifier, messages, then) {
  return messages.map((m) =>
    outcome(() => then(verifier.verify(bytesOf(m), m.now))),
  );
}

const operations = {
  canonicalize: (input) => outcome(() => ({ canonical: canonicalize(bytesOf(input)) })),
  identifier: (input) => outcome(() => (checkIdentifier(input.kind, input.value), {})),
  verify(input) {
    // (1.1) Opening sealed bodies (§24.5) is not in the package yet.
    if (input.sealing_keys !== undefined) {
      return { outcome: "unsupported", message: "this package does not open sealed bodies" };
    }
    let verifier;
    const trust = outcome(() => {
      verifier = input.registry !== undefined
        ? Verifier.withRegistry(Registry.load(input.registry), input.receiver ?? null)
        : Verifier.withKeys(input.keys, input.receiver ?? null);
      return {};
    });
    if (trust.outcome !== "accepted") return trust;
    const results = verifyAll(verifier, input.messages, (v) => ({
      type: v.type,
      id: v.id,
      sha256: v.sha256,
    }));
    return { outcome: "accepted", results };
  },
  registry: (input) =>
    outcome(() => {
      const registry = input.trusted === undefined
        ? Registry.bootstrap(input.registry, input.now)
        : Registry.load(input.trusted).update(input.registry, input.now);
      return { version: registry.version };
    }),
  lifecycle(input) {
    // (1.1) A case of sealed messages is applied once they are opened (§24.5).
    if (input.sealing_keys !== undefined) {
      return { outcome: "unsupported", message: "this package does not open sealed bodies" };
    }
    let registry;
    const loaded = outcome(() => ((registry = Registry.load(input.registry)), {}));
    if (loaded.outcome !== "accepted") return loaded;
    const tracked = new Case(input.case);
    const verifier = Verifier.withRegistry(registry, null);
    const results = verifyAll(verifier, input.messages, (v) => {
      let state;
      try {
        state = tracked.apply(v, registry);
      } catch (e) {
        verifier.forget(v); // a message the case refuses enters no replay record (§8 step 5)
        throw e;
      }
      // The day the time limit of the message's track runs from (§19); the tracks'
      // deadlines need the calendar, which may not cover every vector's dates.
      let track;
      try {
        track = tracked.tracks(registry, v.envelope.created).find((t) => t.messages.includes(v.id));
      } catch {
        return { state };
      }
      const starts = track?.awaits_files ? track.files_received_on : track?.received_on;
      // The last day of each limit; none while a 补正 stops the clock (1.1).
      const day = (deadline) => (deadline && !deadline.paused ? deadline.due : null);
      return {
        state,
        clock_starts_on: starts ?? null,
        due: day(track?.deadline),
        committed_due: day(track?.committed_deadline),
        theme_due: day(track?.theme_deadline),
        rectification_due: day(track?.rectification_deadline),
        // The deferred materials not handed in yet (容缺, 1.1).
        outstanding: track ? (track.outstanding_materials ?? []).map((d) => d.material) : null,
      };
    });
    return { outcome: "accepted", results };
  },
  // The file exchange's library side that a portal has: a file checked against its
  // reference. (File requests are a node's business: file_request is not offered.)
  file_check: async (input) => {
    // A sealed file (§24.6) is fetched and opened by a node; the package does neither.
    if (input.reference?.sealed != null) {
      return { outcome: "unsupported", message: "this package does not fetch or open sealed files" };
    }
    try {
      const bytes = bytesOf(input.bytes);
      const file = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
      await checkFile(input.reference, file, { mediaType: input.media_type });
      return { outcome: "accepted" };
    } catch (e) {
      if (e?.name === "TongbanError" && e.code !== "wasm.argument") {
        return { outcome: "refused", code: e.code, message: e.message };
      }
      throw e;
    }
  },
  deadline: (input) =>
    outcome(() => ({
      due: Registry.load(input.registry).addWorkingDays(input.received_on, input.working_days),
    })),
};

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === "") continue;
  let answer;
  try {
    const request = JSON.parse(line);
    const operation = operations[request.operation];
    answer = operation
      ? await operation(request.input)
      : { outcome: "unsupported", message: `unknown operation ${request.operation}` };
  } catch (e) {
    answer = { outcome: "error", message: String(e?.stack ?? e) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
