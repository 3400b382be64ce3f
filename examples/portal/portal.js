// A service window's portal page: fills a cross-river case transfer (with the channel,
// an agent, the way the result is delivered and the theme of 一事联办 the item may be
// handled under, protocol 1.1), validates it
// against the item's form schema from the trust registry, computes each scan's
// reference in pieces (the page stays responsive for a 50 MiB scan), signs the transfer
// with a key made in this page, sends the scans and the transfer to Jiujiang, and
// verifies the registry-signed receipt and Jiujiang's files_received (protocol 1.1), then
// Jiujiang's decision, and sends the applicant's evaluation of the handling (好差评, 1.1).
//
// The package is "tongban/forms": served at /tongban/ (the built bindings/wasm/pkg) under
// the import map of index.html, or bundled by esbuild or Vite (see README); the registry at
// /registry.json; `?at=RFC3339` fixes the page's clock (the demo server has the same
// option), so that a demonstration or a test is repeatable.
import {
  Case, KeyPair, Registry, Verifier, createMessage, fileReference, replyTo, signMessage,
} from "tongban/forms";

const HUANGSHI = "huangshi.420200";
const JIUJIANG = "jiujiang.360400";
const AGREEMENT = "hs-jj.cross-river";
const ITEM = "HB-JX-0042";
const at = new URLSearchParams(location.search).get("at") ?? undefined;
const $ = (id) => document.getElementById(id);
const MODE_NAMES = {
  received_here_handled_there: "异地受理、属地办理",
  fully_online: "全程网办",
  joint_handling: "多地联办",
};

const registry = Registry.load(await (await fetch("/registry.json")).text());
const key = KeyPair.generate(HUANGSHI);
const agreement = registry.document().agreements.find((a) => a.id === AGREEMENT);
const item = agreement.items.find((i) => i.code === ITEM);
// (1.1) The agreement's themes (一事联办) that include the item.
const themes = (agreement.themes ?? []).filter((t) => t.items.includes(ITEM));

$("key-id").textContent = key.keyId;
$("registry-version").textContent = `${registry.version} · ${registry.sha256.slice(0, 12)}`;
$("item").append(new Option(`${item.code} ${item.name}（${item.department}）`, item.code));
for (const mode of item.modes) $("mode").append(new Option(MODE_NAMES[mode] ?? mode, mode));
for (const theme of themes) {
  const label = `${theme.name}（${theme.items.length} 个事项，整体 ${theme.time_limit_working_days} 个工作日）`;
  $("theme").append(new Option(label, theme.code));
}
for (const [i, name] of item.required_materials.entries()) {
  const label = document.createElement("label");
  label.textContent = name;
  const input = Object.assign(document.createElement("input"), { type: "file", id: `material-${i}` });
  input.dataset.material = name;
  label.append(input);
  $("materials").append(label);
}
show("ok", "就绪：请填写申请并校验");

function show(kind, message, details = {}) {
  $("status").className = `status ${kind}`;
  $("status").textContent = message;
  $("details").replaceChildren(
    ...Object.entries(details).flatMap(([term, value]) => [
      Object.assign(document.createElement("dt"), { textContent: term }),
      Object.assign(document.createElement("dd"), { textContent: value }),
    ]),
  );
}

/** The form data as the item's schema sees it: numbers where a number was typed. */
function formData() {
  const form = {};
  for (const name of ["shop_name", "business_address", "business_scope"]) {
    if ($(name).value.trim()) form[name] = $(name).value.trim();
  }
  for (const name of ["registered_capital_yuan", "employees"]) {
    const text = $(name).value.trim();
    if (text) form[name] = /^-?\d+$/.test(text) ? Number(text) : text;
  }
  return form;
}

/** A chosen file with its reference under `name`, read 1 MiB at a time with progress shown. */
async function scan(file, name) {
  const reference = await fileReference(file, {
    name,
    mediaType: file.type || "application/octet-stream",
    onProgress: (done, total) => show("ok", `正在计算${name}的摘要：${Math.floor((100 * done) / total)}%`),
  });
  return { reference, file };
}

/** Each chosen scan with its reference. */
async function materials() {
  const list = [];
  for (const input of document.querySelectorAll("#materials input[type=file]")) {
    if (input.files[0]) list.push(await scan(input.files[0], input.dataset.material));
  }
  return list;
}

/** The agent (1.1) with the scan of the power of attorney, if an agent's name is given. */
async function agent() {
  const name = $("agent_name").value.trim();
  if (!name) return undefined;
  const letter = $("power_of_attorney").files[0];
  if (!letter) throw Object.assign(new Error("代办须上传授权委托书"), { code: "message.invalid" });
  const power = await scan(letter, "授权委托书");
  const phone = $("agent_phone").value.trim();
  const body = {
    name,
    citizen_id: $("agent_citizen_id").value.trim().toUpperCase(),
    ...(phone ? { phone } : {}),
    power_of_attorney: power.reference,
  };
  return { body, scan: power };
}

/** How the applicant gets the result (1.1): the address only for a result by post. */
function resultDelivery() {
  const method = $("delivery").value;
  if (method !== "post") return { method };
  const field = (id) => $(id).value.trim();
  return {
    method,
    address: { recipient: field("post_recipient"), phone: field("post_phone"), region: field("post_region"), address: field("post_address") },
  };
}

const DELIVERY_NAMES = { at_window: "窗口领取", electronic: "电子送达", post: "邮寄送达" };
const GRADE_NAMES = {
  very_satisfied: "非常满意", satisfied: "满意", basically_satisfied: "基本满意",
  dissatisfied: "不满意", very_dissatisfied: "非常不满意",
};

/** The case this page sent and Jiujiang decided: what the evaluation answers. */
let decided;

function validate() {
  registry.checkForm(AGREEMENT, ITEM, formData());
  return true;
}

$("validate").addEventListener("click", () => {
  try {
    validate();
    show("ok", "表单校验通过");
  } catch (e) {
    show("error", `表单有误：${e.message}`, { 错误码: e.code });
  }
});

$("transfer").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    validate();
    const scans = await materials();
    const acting = await agent();
    const body = {
      applicant: {
        kind: "natural_person",
        name: $("name").value.trim(),
        citizen_id: $("citizen_id").value.trim().toUpperCase(),
        ...($("phone").value.trim() ? { phone: $("phone").value.trim() } : {}),
      },
      item: ITEM,
      item_name: item.name,
      mode: $("mode").value,
      materials: scans.map((s) => s.reference),
      form: formData(),
      window: { region: "420200", service_centre: "黄石市市民之家", window: "跨域通办专窗 12号" },
      // Protocol 1.1 (§6): how the case came in, who acts for the applicant, how the
      // result reaches them. A 1.0 peer would be sent none of these (§2 step 8).
      channel: $("channel").value,
      ...(acting ? { agent: acting.body } : {}),
      result_delivery: resultDelivery(),
      // (1.1) The theme (一事联办) this item is handled under, if the applicant asked for one.
      ...($("theme").value ? { theme: $("theme").value } : {}),
    };
    const files = acting ? [...scans, acting.scan] : scans;
    const caseId = `HS-${(at ?? new Date().toISOString()).slice(0, 4)}-${String(Date.now() % 1e6).padStart(6, "0")}`;
    const transfer = createMessage({
      from: HUANGSHI, to: JIUJIANG, agreement: AGREEMENT, case: caseId,
      type: "transfer", body, created: at,
      // 1.1 between Huangshi and Jiujiang: the scans travel with the case (§23).
      protocol: registry.negotiate(HUANGSHI, JIUJIANG),
    });
    const wire = signMessage(transfer, key);
    // The window checks its own signature before anything leaves the page.
    const sent = Verifier.withKeys({ keys: [key.publicKey()] }, null).verify(wire, at);
    for (const [i, { reference, file }] of files.entries()) {
      show("ok", `正在发送材料 ${i + 1}/${files.length}：${reference.name}`, { 案件: caseId, 报文: sent.id });
      const put = await fetch(`/files/${reference.sha256}`, { method: "PUT", headers: { "content-type": reference.media_type }, body: file });
      if (!put.ok) {
        const error = await put.json();
        show("error", `材料未被接收：${error.message}`, { 错误码: error.code });
        return;
      }
    }
    show("ok", "已签名，正在转交九江…", { 案件: caseId, 报文: sent.id });

    const response = await fetch("/transfer", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: wire, key: key.publicKey() }),
    });
    const answer = await response.text();
    if (!response.ok) {
      const error = JSON.parse(answer);
      show("error", `九江拒收：${error.message}`, { 错误码: error.code });
      return;
    }
    const {
      receipt: receiptText, files_received: filesText, status_update: reviewText, decision: decisionText,
    } = JSON.parse(answer);
    const fromJiujiang = Verifier.withRegistry(registry, HUANGSHI);
    const receipt = fromJiujiang.verify(receiptText, at);
    receipt.checkReceiptFor(sent);
    const tracked = new Case(caseId);
    tracked.apply(sent, registry);
    let state = tracked.apply(receipt, registry);
    // Jiujiang holds every scan, checked against its reference: the clock starts (§19).
    const filesReceived = filesText ? fromJiujiang.verify(filesText, at) : undefined;
    if (filesReceived) state = tracked.apply(filesReceived, registry);
    // The demonstration's Jiujiang reviews and decides at once (server.mjs).
    tracked.apply(fromJiujiang.verify(reviewText, at), registry);
    const decision = fromJiujiang.verify(decisionText, at);
    state = tracked.apply(decision, registry);
    const dueText = (d) => (d ? `${d.due}（剩余 ${d.remaining_working_days} 个工作日）` : "—");
    let deadline = "—";
    let themeDeadline = "—";
    try {
      const [track] = tracked.tracks(registry, at);
      deadline = dueText(track.deadline);
      // (1.1) The theme's overall limit runs beside the item's (§19).
      const theme = themes.find((t) => t.code === track.theme?.code);
      if (theme) themeDeadline = `${theme.name}：${dueText(track.theme_deadline)}`;
    } catch (e) {
      deadline = `无法计算（${e.code}）`; // e.g. a year the registry's calendar does not cover
    }
    const outcome = receipt.envelope.body.outcome;
    const result = decision.envelope.body;
    decided = { caseId, tracked, decision };
    $("evaluation").hidden = false;
    show("ok", "回执已验证：九江已受理", {
      案件: caseId,
      转交报文: sent.id,
      回执签名: receipt.signers.join(", "),
      回执编号: outcome.reference ?? "—",
      绑定摘要: receipt.envelope.body.answers_sha256,
      材料: filesReceived
        ? `${filesReceived.envelope.body.files.length} 份，九江已逐份核验（大小与 SHA-256）`
        : "无",
      状态: state,
      办结期限: deadline,
      办理结果: `${result.outcome === "approved" ? "准予许可" : "不予许可"}（${result.decided_by}）`,
      一事联办: themeDeadline,
      受理渠道: $("channel").selectedOptions[0].textContent,
      代办人: acting ? `${acting.body.name}（授权委托书随案转交）` : "—",
      结果领取: body.result_delivery.address
        ? `${DELIVERY_NAMES.post}：${body.result_delivery.address.recipient}，${body.result_delivery.address.address}`
        : DELIVERY_NAMES[body.result_delivery.method],
    });
  } catch (e) {
    show("error", `未能转交：${e.message}`, { 错误码: e.code ?? "—" });
  }
});

/** The applicant's evaluation (好差评, 1.1) of the decided case, sent to Jiujiang, whose
 * receipt is verified; a poor grade opens a rectification (整改) with its deadline. */
$("evaluation").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const { caseId, tracked, decision } = decided;
    const created = at ? new Date(Date.parse(at) + 240_000).toISOString() : undefined;
    const comment = $("comment").value.trim();
    const evaluation = replyTo(decision.canonical(), {
      type: "evaluation",
      body: {
        grade: $("grade").value,
        channel: "window",
        evaluated_at: created ?? new Date().toISOString(),
        ...(comment ? { comment } : {}),
      },
      created,
    });
    const wire = signMessage(evaluation, key);
    const sent = Verifier.withKeys({ keys: [key.publicKey()] }, null).verify(wire, at);
    const response = await fetch("/evaluation", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: wire }),
    });
    const answer = await response.json();
    if (!response.ok) {
      show("error", `九江拒收评价：${answer.message}`, { 错误码: answer.code });
      return;
    }
    const receipt = Verifier.withRegistry(registry, HUANGSHI).verify(answer.receipt, at);
    receipt.checkReceiptFor(sent);
    tracked.apply(sent, registry);
    const [track] = tracked.tracks(registry, at);
    const rectification = track.rectification_deadline;
    $("evaluation").hidden = true;
    show("ok", "评价已送达九江", {
      案件: caseId,
      评价: GRADE_NAMES[sent.envelope.body.grade],
      回执签名: receipt.signers.join(", "),
      整改: rectification
        ? `九江须于 ${rectification.due} 前整改（剩余 ${rectification.remaining_working_days} 个工作日）`
        : "—",
    });
  } catch (e) {
    show("error", `未能提交评价：${e.message}`, { 错误码: e.code ?? "—" });
  }
});
