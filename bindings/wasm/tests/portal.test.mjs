// The example portal (examples/portal/) in a real browser: Debian's Chromium, driven by
// playwright-core, against the demo server on loopback. The page fills a Huangshi–
// Jiujiang transfer, validates it, computes the chosen scans' references, signs it with a
// key made in the page, sends the scans and the transfer, and verifies Jiujiang's
// registry-signed receipt and files_received, then Jiujiang's decision, and sends the
// applicant's evaluation (好差评), whose receipt it verifies: served as is (the package under an import map),
// and built by esbuild and by Vite from the packed package (tests/bundle.mjs). A page
// built for a target without top-level await loads `tongban/manual`. Screenshots go to
// target/wasm/.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { CREATED, HUANGSHI, at, launchChromium, load, servePortal, targetDir, transferBody } from "./support.mjs";
import { buildBundles } from "./bundle.mjs";

const shots = targetDir;
const servers = [];
let browser;
let bundles;

/** Starts the demo server on `pages` (default: the portal's own folder); returns its URL. */
async function serve(pages) {
  const { server, base } = await servePortal(pages, CREATED);
  servers.push(server);
  return base;
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  bundles = await buildBundles();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const server of servers) server.kill();
});

async function openPortal(base) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  const missing = [];
  page.on("pageerror", (e) => errors.push(e));
  page.on("response", (r) => r.status() === 404 && missing.push(r.url()));
  await page.goto(`${base}?at=${encodeURIComponent(CREATED)}`);
  await page.waitForSelector("#status.ok");
  return { page, errors, missing };
}

async function fill(page, form) {
  const body = transferBody();
  await page.fill("#name", body.applicant.name);
  await page.fill("#citizen_id", body.applicant.citizen_id);
  await page.fill("#phone", body.applicant.phone);
  for (const [name, value] of Object.entries(form)) await page.fill(`#${name}`, String(value));
  await page.setInputFiles("#material-0", { name: "id.pdf", mimeType: "application/pdf", buffer: Buffer.from("身份证复印件") });
  await page.setInputFiles("#material-1", { name: "lease.pdf", mimeType: "application/pdf", buffer: Buffer.from("经营场所租赁合同") });
}

const details = (page) =>
  page.$$eval("#details dt", (terms) =>
    Object.fromEntries(terms.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])),
  );

for (const variant of ["served", "esbuild", "vite"]) {
  test(`the portal (${variant}) validates, signs, transfers and verifies Jiujiang's receipt`, async () => {
    const { page, errors, missing } = await openPortal(await serve(variant === "served" ? undefined : bundles[variant]));
    assert.match(await page.textContent("#key-id"), /^huangshi\.420200#[0-9a-f]{8}$/);
    assert.match(await page.textContent("#registry-version"), /^1 · [0-9a-f]{12}$/);

    // An invalid form first: too many employees for the item's schema.
    await fill(page, { ...transferBody().form, employees: 5000 });
    await page.click("#validate");
    await page.waitForSelector("#status.error");
    assert.match(await page.textContent("#status"), /表单有误：\/body\/form\/employees/);
    assert.equal((await details(page))["错误码"], "item.form_invalid");
    await page.screenshot({ path: `${shots}portal-${variant}-invalid.png`, fullPage: true });

    // Handed in by the applicant's brother with a power of attorney; the licence by post
    // (protocol 1.1, §6).
    await page.fill("#agent_name", "陈立新");
    await page.fill("#agent_citizen_id", "420202198805050012");
    await page.setInputFiles("#power_of_attorney", { name: "letter.pdf", mimeType: "application/pdf", buffer: Buffer.from("授权委托书 陈丽华 委托 陈立新") });
    await page.selectOption("#delivery", "post");
    await page.fill("#post_recipient", "陈丽华");
    await page.fill("#post_phone", "13907140000");
    await page.fill("#post_region", "420202");
    await page.fill("#post_address", "湖北省黄石市黄石港区湖滨大道 16 号");

    // Handled under the theme 开理发店 (一事联办, 1.1): 10 working days for the whole case.
    await page.selectOption("#theme", "HB-JX-ZT01");

    // Corrected, validated, signed and sent.
    await page.fill("#employees", "3");
    await page.click("#validate");
    await page.waitForSelector("#status.ok");
    assert.equal(await page.textContent("#status"), "表单校验通过");
    await page.click("#submit");
    // Until the page shows the receipt or why it has none (then the assertion says why).
    await page.waitForFunction(() => /^(回执|未能|九江拒收|材料未被)/.test(document.querySelector("#status").textContent));
    assert.equal(await page.textContent("#status"), "回执已验证：九江已受理", JSON.stringify(await details(page)));
    const shown = await details(page);
    assert.equal(shown["回执签名"], "jiujiang.360400#sample");
    // The demonstration's Jiujiang reviews and decides at once.
    assert.equal(shown["状态"], "decided");
    assert.equal(shown["办理结果"], "准予许可（九江市浔阳区市场监督管理局）");
    assert.match(shown["绑定摘要"], /^[0-9a-f]{64}$/);
    assert.match(shown["回执编号"], /^JJ-[0-9a-f]{8}$/);
    // The scans were sent and checked against the signed references (1.1, §23).
    assert.equal(shown["材料"], "3 份，九江已逐份核验（大小与 SHA-256）");
    assert.equal(shown["受理渠道"], "窗口办理");
    assert.equal(shown["代办人"], "陈立新（授权委托书随案转交）");
    assert.equal(shown["结果领取"], "邮寄送达：陈丽华，湖北省黄石市黄石港区湖滨大道 16 号");
    // Received on Saturday 28 November 2026; three working days: due 2 December.
    assert.equal(shown["办结期限"], "2026-12-02（剩余 3 个工作日）");
    // The theme's overall limit, from the same day: ten working days, Friday 11 December.
    assert.equal(shown["一事联办"], "开理发店：2026-12-11（剩余 10 个工作日）");
    await page.screenshot({ path: `${shots}portal-${variant}-receipt.png`, fullPage: true });

    // The applicant grades the handling (好差评, 1.1): a poor grade opens a rectification
    // (整改), due 15 working days later.
    await page.selectOption("#grade", "dissatisfied");
    await page.fill("#comment", "等候时间较长");
    await page.click("#evaluate");
    await page.waitForFunction(() => /^(评价已|九江拒收|未能提交)/.test(document.querySelector("#status").textContent));
    assert.equal(await page.textContent("#status"), "评价已送达九江", JSON.stringify(await details(page)));
    const graded = await details(page);
    assert.equal(graded["评价"], "不满意");
    assert.equal(graded["回执签名"], "jiujiang.360400#sample");
    assert.equal(graded["整改"], "九江须于 2026-12-18 前整改（剩余 15 个工作日）");
    assert.equal(await page.isHidden("#evaluation"), true);
    await page.screenshot({ path: `${shots}portal-${variant}-evaluation.png`, fullPage: true });
    assert.deepEqual(errors, []);
    assert.deepEqual(missing, []);
    await page.close();
  });
}

test("a 50 MiB scan is hashed in pieces while the page goes on running timers", async () => {
  const { page, errors } = await openPortal(await serve());
  const { reference, seen } = await page.evaluate(async () => {
    const { fileReference } = await import("tongban/forms");
    const scan = new Blob([new Uint8Array(50 * 1024 * 1024).fill(0x25)], { type: "application/pdf" });
    let ticks = 0;
    const timer = setInterval(() => { ticks += 1; }, 0);
    const ticksAtPieces = [];
    const ref = await fileReference(scan, { name: "经营场所租赁合同", onProgress: () => ticksAtPieces.push(ticks) });
    clearInterval(timer);
    return { reference: ref, seen: ticksAtPieces };
  });
  const { createHash } = await import("node:crypto");
  const expected = createHash("sha256").update(Buffer.alloc(50 * 1024 * 1024, 0x25)).digest("hex");
  assert.deepEqual(reference, { name: "经营场所租赁合同", sha256: expected, media_type: "application/pdf", size: 52428800 });
  // One progress call per MiB, and the page's timers ran between the pieces: the
  // hashing yields to the event loop instead of holding it for the whole file.
  assert.equal(seen.length, 50);
  const advanced = seen.filter((ticks, i) => i > 0 && ticks > seen[i - 1]).length;
  assert.ok(advanced >= 25, `timers ran between only ${advanced} of 49 pieces`);
  assert.deepEqual(errors, []);
  await page.close();
});

test("esbuild and Vite emit the module as an asset of the build", () => {
  assert.equal(bundles.emitted.esbuild.length, 1);
  assert.equal(bundles.emitted.vite.length, 1);
});

test("a page built for a target without top-level await loads tongban/manual with init()", async () => {
  const page = await browser.newPage();
  await page.goto(await serve(bundles.noTopLevelAwait));
  await page.waitForFunction(() => document.title !== "loading");
  assert.equal(await page.title(), "ready huangshi.420200#sample wasm.freed");
  await page.close();
});

test("the portal refuses a citizen ID with a wrong check digit before signing, with its code", async () => {
  const { page } = await openPortal(await serve());
  // A citizen ID with a wrong check digit: refused in the page, before signing.
  await fill(page, transferBody().form);
  await page.fill("#citizen_id", "420202199001011232");
  await page.click("#submit");
  await page.waitForSelector("#status.error");
  assert.equal((await details(page))["错误码"], "id.citizen_checksum");
  await page.close();
});

test("the demo endpoint takes an evaluation only from the key that sent the case", async () => {
  const base = await serve();
  const { page, errors } = await openPortal(base);
  await fill(page, transferBody().form);
  await page.click("#submit");
  await page.waitForFunction(() => /^(回执|未能|九江拒收|材料未被)/.test(document.querySelector("#status").textContent));
  const caseId = (await details(page))["案件"];
  assert.match(caseId, /^HS-2026-\d{6}$/);
  // Another key of Huangshi's name grades the case: refused, nothing applied.
  const { KeyPair, createMessage, signMessage } = await load("core");
  const stranger = KeyPair.generate(HUANGSHI);
  const evaluation = createMessage({
    from: HUANGSHI, to: "jiujiang.360400", agreement: "hs-jj.cross-river", case: caseId,
    type: "evaluation", created: at(240), protocol: "1.1",
    body: { grade: "very_dissatisfied", channel: "window", evaluated_at: at(240) },
  });
  const post = (message) => fetch(`${base}evaluation`, { method: "POST", body: JSON.stringify({ message }) });
  const forged = await post(signMessage(evaluation, stranger));
  assert.equal(forged.status, 401);
  assert.equal((await forged.json()).code, "signature.unknown_key");
  // An evaluation of a case the endpoint never received.
  const unknown = await post(signMessage({ ...evaluation, case: "HS-2026-999999" }, stranger));
  assert.equal(unknown.status, 409);
  assert.equal((await unknown.json()).code, "lifecycle.no_track");
  // The page's own evaluation is still taken.
  await page.click("#evaluate");
  await page.waitForFunction(() => /^(评价已|九江拒收|未能提交)/.test(document.querySelector("#status").textContent));
  assert.equal(await page.textContent("#status"), "评价已送达九江", JSON.stringify(await details(page)));
  assert.equal((await details(page))["整改"], "—");
  assert.deepEqual(errors, []);
  await page.close();
});
