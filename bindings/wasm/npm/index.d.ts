// The public API of the npm package `tongban` (and `tongban/forms`, the same API with
// form-schema validation). No DOM or Node.js typings are needed: the declarations use
// only the ECMAScript library, so they type-check in browser and Node-only projects.
import type {
  Body, Envelope, FileRef, Grade, KeyEntry, KeySetFile, RegistryDocument,
} from "./types.js";
import type { ErrorCode } from "./codes.js";

export type * from "./types.js";
export type { ErrorCode } from "./codes.js";

declare global {
  // `Symbol.dispose` (ES2026 explicit resource management), declared here for projects
  // whose `lib` does not have it yet, as @types/node does.
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

/** Every error the package throws: a stable code of the protocol (§13) or of the package. */
export declare class TongbanError extends Error {
  constructor(code: ErrorCode, message: string);
  readonly name: "TongbanError";
  /** The stable code, e.g. `signature.invalid`; `errorCodes()` lists them all. */
  readonly code: ErrorCode;
}

/** The type of a message: `transfer`, `receipt`, `status_update`, … */
export type MessageType = Body["type"];

/** Message bytes: UTF-8 text, or raw bytes. */
export type Bytes = string | Uint8Array;

/** A point in time: an RFC 3339 string (`2026-11-28T10:00:00+08:00`) or a `Date`. */
export type Time = string | Date;

/** What `createMessage` needs: the route, the type and body, and the validity. */
export type MessageInit = {
  /** The sending node, e.g. `huangshi.420200`. */
  from: string;
  /** The receiving node. */
  to: string;
  /** The agreement the case travels under. */
  agreement: string;
  /** The case id. */
  case: string;
  /** The version the message says: default `1.0`; `registry.negotiate(from, to)` gives the version to write to that receiver (1.1 exchanges files, §23). */
  protocol?: string;
  /** The message answered (required for receipts and `files_received`). */
  inReplyTo?: string;
  /** RFC 3339 creation time; default now. */
  created?: string;
  /** Seconds of validity from `created` (a safe integer); default 3600. */
  validForSeconds?: number;
} & Body;

/** What `replyTo` needs: the body and the validity; the route and (by default) the version come from the message. */
export type ReplyInit = {
  /** The version the answer says; default the answered message's. */
  protocol?: string;
  /** RFC 3339 creation time; default now. */
  created?: string;
  /** Seconds of validity from `created` (a safe integer); default 3600. */
  validForSeconds?: number;
} & Body;

/** One track of a case with its deadline on the day asked for. */
export type TrackStatus = {
  transfer: string;
  transfer_sha256: string;
  /** (1.1) The SM3 of the transfer's canonical bytes, which its receipt's `answers_sm3` must be. */
  transfer_sm3?: string;
  agreement: string;
  item: string;
  window: string;
  authority: string;
  state: ItemState;
  time_limit_working_days: number;
  /** (1.1) The item's committed time limit (承诺时限), when it promises one. */
  committed_working_days?: number;
  received_on: string | null;
  messages: string[];
  /** The id, digest and sender of each message applied to the track, in order: what a receipt or protocol error answering one is checked against (§18). */
  applied?: { id: string; sha256: string; sm3?: string; from: string }[];
  /** Protocol errors taken since the track became final (at most 4), when any. */
  after_final?: number;
  /** Messages answered by a receipt since the track became final, when any. */
  answered_after_final?: string[];
  /** (1.1) The files each message of the track references, in the order the messages were applied, when any: whether its receiver said it holds them (`files_received`). */
  files?: { message: string; receiver: string; references: FileRef[]; acknowledged: boolean }[];
  /** (1.1) Whether the time limit waits for the authority's `files_received` for the transfer's materials. */
  awaits_files?: boolean;
  /** (1.1) The day the authority's `files_received` for the transfer was created: the clock runs from it. */
  files_received_on?: string;
  /** (1.1) The shipments of originals and results announced on the track, when any. */
  shipments?: { message: string; contents: "originals" | "results"; received: boolean }[];
  /** (1.1) The applicant's evaluation (好差评) and, for a poor grade, the working days to rectify it and the rectification that answered it. */
  evaluation?: {
    message: string; grade: Grade; evaluated_on: string;
    rectification_working_days?: number; rectified_by?: string;
  };
  /** (1.1) Whether a 补正 stops the clock (the transfer says 1.1 or later). */
  pauses_clock?: boolean;
  /** (1.1) Each 补正 that stopped the clock: the request's day and the supplement's (absent while outstanding). */
  supplement_pauses?: { requested_on: string; supplied_on?: string }[];
  /** (1.1) The materials the transfer deferred (容缺受理) that no supplement has handed in yet, when any: no approving decision until they are. */
  outstanding_materials?: { material: string; promised_by: string }[];
  /** (1.1) The theme (一事联办) the track's transfer named: its code, its overall limit and the shared materials the transfer handed in. */
  theme?: {
    code: string; time_limit_working_days: number;
    shared_materials?: { name: string; sha256: string; sm3?: string; media_type: string; size: number }[];
  };
  /** Null until the clock starts: the receipt, or (1.1, a transfer with materials) `files_received`. */
  deadline: Deadline | null;
  /** (1.1) The committed limit's deadline; null also when the item promises none. */
  committed_deadline: Deadline | null;
  /** (1.1) The theme's overall deadline, from the same day as the item's; null also for a track of no theme. */
  theme_deadline: Deadline | null;
  /** (1.1) Null unless a poor evaluation opened a rectification: overdue after `due` until one answers. */
  rectification_deadline: Deadline | null;
};

/** Where a track stands against a limit on a day (§19). */
export type Deadline = {
  due: string;
  remaining_working_days: number;
  overdue: boolean;
  /** (1.1) A 补正 stops the clock: `due` is the day it would be if the supplement came that day. */
  paused: boolean;
};

/** The state of one item of a case (§18). */
export type ItemState = "transferred" | "received" | "refused" | "in_review" |
  "supplement_requested" | "supplemented" | "decided" | "closed" | "withdrawn";

/** The aggregate status of a case. */
export type CaseStatus = "empty" | "in_progress" | "decided" | "completed";

/** The kinds `checkIdentifier` knows. */
export type IdentifierKind = "region" | "citizen_id" | "credit_code" | "message_id" |
  "node" | "case" | "agreement" | "item" | "key_id" | "digest" | "timestamp" |
  "protocol_version";

/** What every object of the package has: WebAssembly memory, released by `free()`. */
declare abstract class Held {
  #private;
  /** Frees the WebAssembly memory behind the object (a key's secret is zeroed); twice is harmless. Using the object afterwards throws `wasm.freed`. */
  free(): void;
  /** `free()`, for `using`. */
  [Symbol.dispose](): void;
}

/** The signature suites: Ed25519, and SM2 with SM3 (the national suite, §7). */
export type SignatureSuite = "ed25519" | "sm2-sm3";

/** A signing key of one node, Ed25519 or SM2. Export it with `toKeyFile` to keep it. */
export declare class KeyPair extends Held {
  private constructor();
  /** A new key of suite `alg` (default `ed25519`) for `node`, with key id `keyId` (default `<node>#` and 8 hex digits of the public key's SHA-256), from the platform's secure random source. */
  static generate(node: string, keyId?: string | null, alg?: SignatureSuite | null): KeyPair;
  /** The sample key of a node of the sample registry (`huangshi.420200`, `jiujiang.360400`, …), key id `<node>#sample`. Its secret is public: for examples and tests only. */
  static sample(node: string): KeyPair;
  /** Imports a key file (the JSON text `tongban keygen` writes, or `toKeyFile` gave). */
  static fromKeyFile(text: string): KeyPair;
  /** The key file as JSON text. It holds the secret: store it as one. */
  toKeyFile(): string;
  /** The public key entry, as a key set or a registry lists it. */
  publicKey(): KeyEntry;
  /** The node the key belongs to. */
  readonly node: string;
  /** The key id (`kid`). */
  readonly keyId: string;
}

/** A trust registry whose operator signatures were verified (§15–§17). */
export declare class Registry extends Held {
  private constructor();
  /** Loads a registry already trusted (a stored copy that passed `bootstrap` or `update` before): structure and operator signatures are checked, expiry is not. */
  static load(text: Bytes): Registry;
  /** Accepts a first registry handed over out of band: signed by `threshold` distinct keys of its own operator and not expired at `now` (default now). */
  static bootstrap(text: Bytes, now?: Time | null): Registry;
  /** The next registry, accepted only if this one's operator keys sign it (§16). */
  update(text: Bytes, now?: Time | null): Registry;
  /** The registry's version. */
  readonly version: number;
  /** The SHA-256 of the registry's canonical bytes, hex. */
  readonly sha256: string;
  /** The registry document. */
  document(): RegistryDocument;
  /** Checks form data against the item's form schema, as a receiver will: throws `item.form_invalid` naming the first field at fault, `item.unknown` for an item outside the agreement, and `item.form_unchecked` in `tongban` (the core cannot check forms; use `tongban/forms`). */
  checkForm(agreement: string, item: string, form: Record<string, unknown>): void;
  /** The day `workingDays` working days after `date` (YYYY-MM-DD) on the registry's calendar (§19); `workingDays` is an integer from 0 to 2^32−1. */
  addWorkingDays(date: string, workingDays: number): string;
  /** The version a message from `a` to `b` is written in (§20): the highest both list that this package writes, if any. */
  negotiate(a: string, b: string): string | undefined;
}

/** Verifies messages (§8). One verifier remembers the messages it accepted: the same message twice is `replay.duplicate`. */
export declare class Verifier extends Held {
  private constructor();
  /** A verifier trusting the members of `registry` and applying its checks, for messages to `receiver` (the node whose inbox this is), or to any node when it is `null`. */
  static withRegistry(registry: Registry, receiver: string | null): Verifier;
  /** A verifier trusting the keys of a key set (signatures only, no registry checks), for messages to `receiver`, or to any node when it is `null`. */
  static withKeys(keySet: KeySetFile | string, receiver: string | null): Verifier;
  /** Verifies message bytes at `now` (default now); throws with the code of the first check that fails. */
  verify(message: Bytes, now?: Time | null): VerifiedMessage;
  /** Forgets a message this verifier accepted that the receiver then refused (`case.apply` threw), so that the same bytes may be sent again (§8 step 5: a refused message enters no replay record). */
  forget(message: VerifiedMessage): void;
}

/** A message that passed verification; only `verifier.verify` makes one. */
export declare class VerifiedMessage extends Held {
  private constructor();
  /** The message. */
  readonly envelope: Envelope;
  /** Its type. */
  readonly type: MessageType;
  /** Its id. */
  readonly id: string;
  /** The SHA-256 of its canonical bytes, hex: what a receipt's `answers_sha256` binds. */
  readonly sha256: string;
  /** (1.1) The SM3 of its canonical bytes, hex: what a receipt's `answers_sm3` binds under an agreement on `sm2-sm3`. */
  readonly sm3: string;
  /** The files it references, in its order: what its receiver fetches and names in `files_received` (§23). */
  readonly files: FileRef[];
  /** The key ids whose signatures verified. */
  readonly signers: string[];
  /** What the verifier noticed but accepted (e.g. unknown members). */
  readonly warnings: string[];
  /** The canonical text of the message. */
  canonical(): string;
  /** Checks that this receipt answers `answered` (its id and digest); throws `message.not_an_answer` otherwise. */
  checkReceiptFor(answered: VerifiedMessage): void;
}

/** A case as the lifecycle sees it (§18): the tracks of its items and their states. */
export declare class Case extends Held {
  /** An empty case with this id. */
  constructor(caseId: string);
  /** Applies a verified message; returns the new state of its item, or throws with the lifecycle's code. */
  apply(message: VerifiedMessage, registry: Registry): ItemState;
  /** The aggregate status. */
  readonly status: CaseStatus;
  /** The window that opened the case; `undefined` until a transfer is applied. */
  readonly window: string | undefined;
  /** Every track with its deadline on the day of `now` (default now). */
  tracks(registry: Registry, now?: Time | null): TrackStatus[];
}

/** The canonical (RFC 8785) form of a JSON document, after the protocol's strict parsing. */
export declare function canonicalize(input: Bytes): string;
/** Checks an identifier; throws with the code of the rule it breaks. */
export declare function checkIdentifier(kind: IdentifierKind, value: string): void;
/** A new, unsigned message with a fresh UUIDv7 id, checked as a receiver would check it. */
export declare function createMessage(init: MessageInit): Envelope;
/** A new, unsigned answer to `message`: same case and agreement, sender and receiver swapped, `in_reply_to` set. */
export declare function replyTo(message: Envelope | string, init: ReplyInit): Envelope;
/** Signs a message; returns its canonical text with the signature: the form to send. */
export declare function signMessage(message: Envelope | string, key: KeyPair): string;
/** A structure-checked, **unverified** message, for display. */
export declare function parseMessage(message: Envelope | string): Envelope;
/** Every stable error code with its meaning: the protocol's (§13) and the package's `wasm.*`. */
export declare function errorCodes(): { code: ErrorCode; meaning: string }[];

/** A file as `fileReference` and `checkFile` read it: a browser `File` or `Blob`, or bytes. */
export interface BlobLike {
  readonly size: number;
  readonly type: string;
  readonly name?: string;
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

/** How `fileReference` and `checkFile` read a file: in pieces of `pieceSize` bytes (default 1 MiB), awaiting between pieces so the page stays responsive, calling `onProgress(done, total)` after each. */
export interface PieceOptions {
  pieceSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/** SHA-256 (and, with `{ sm3: true }`, SM3) and size of a file fed in pieces, for any source of bytes. */
export declare class FileHasher extends Held {
  constructor(options?: { sm3?: boolean });
  /** Feeds the next piece of the file. */
  update(piece: Uint8Array): void;
  /** The bytes fed so far. */
  readonly size: number;
  /** The reference to the file fed so far (§6), ready to put in a message. */
  reference(name: string, mediaType: string): FileRef;
}

/** The reference of a file (§6: name, SHA-256, media type, size), read in pieces; `name` defaults to a `File`'s name, `mediaType` to its type; with `sm3: true` it also carries the file's SM3 (1.1, for an agreement on `sm2-sm3`). */
export declare function fileReference(
  file: BlobLike | Uint8Array,
  options?: PieceOptions & { name?: string; mediaType?: string; sm3?: boolean },
): Promise<FileRef>;

/** Checks a file against its reference (its SHA-256, and its SM3 when it gives one), read in pieces; with `mediaType`, that first. Rejects with `file.media_type_mismatch`, `file.size_mismatch` or `file.digest_mismatch`. */
export declare function checkFile(
  reference: FileRef | string,
  file: BlobLike | Uint8Array,
  options?: PieceOptions & { mediaType?: string },
): Promise<void>;
