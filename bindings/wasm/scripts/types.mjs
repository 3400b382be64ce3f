// Writes the TypeScript declarations of the protocol's documents (messages, registry,
// key files) from the JSON Schemas in schemas/v1/, which are themselves generated from
// the Rust types: one source, never written twice by hand.
//
//   node scripts/types.mjs OUT.d.ts
import { readFileSync, writeFileSync } from "node:fs";
import { compile } from "json-schema-to-typescript";

const schemas = new URL("../../../schemas/v1/", import.meta.url);
const read = (name) => JSON.parse(readFileSync(new URL(`${name}.json`, schemas), "utf8"));

// Each schema carries its own $defs; the same name always means the same type.
const defs = {};
function take(name, title) {
  const { $defs = {}, $id, $schema, ...schema } = read(name);
  for (const [key, value] of Object.entries($defs)) {
    const known = defs[key];
    if (known && JSON.stringify(known) !== JSON.stringify(value)) {
      throw new Error(`schemas disagree on ${key}`);
    }
    defs[key] = value;
  }
  return { ...schema, title };
}

// The envelope's `oneOf` (type and body) is its own type, `Body`.
const { oneOf, ...envelope } = take("envelope", "Envelope");
defs.Body = { title: "Body", description: "A message type and its body.", oneOf };
defs.Envelope = { ...envelope, allOf: [{ $ref: "#/$defs/Body" }] };
defs.RegistryDocument = take("registry", "RegistryDocument");
defs.KeyFile = take("key_file", "KeyFile");
defs.KeySetFile = take("key_set", "KeySetFile");

const root = {
  title: "Documents",
  type: "object",
  additionalProperties: false,
  properties: Object.fromEntries(
    ["Envelope", "Body", "RegistryDocument", "KeyFile", "KeySetFile"].map((name) => [
      name,
      { $ref: `#/$defs/${name}` },
    ]),
  ),
  $defs: defs,
};

let ts = await compile(root, "Documents", {
  bannerComment:
    "/* The protocol's documents, generated from schemas/v1/ by scripts/types.mjs. Do not edit. */",
  additionalProperties: false,
  unreachableDefinitions: true,
  strictIndexSignatures: true,
  format: true,
});
// The root only gathers the definitions; it is not a type of the protocol.
ts = ts.replace(/export interface Documents \{[\s\S]*?\n\}\n/, "");
writeFileSync(process.argv[2], ts);
