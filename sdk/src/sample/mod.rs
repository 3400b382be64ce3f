//! Deterministic sample messages of every type, for examples, documentation and tests.
//!
//! The scenario is the bilateral cross-river agreement between Huangshi (黄石, Hubei,
//! `420200`) and Jiujiang (九江, Jiangxi, `360400`): a barber shop is registered at the
//! Huangshi Citizens' Hall and handled by Jiujiang's market regulator. The keys are
//! derived from published seeds, so **never use them for anything real**.

use crate::crypto::{Algorithm, KeyPair, KeySet};
use crate::digest::Sha256Digest;
use crate::error::Error;
use crate::id::{AgreementId, CaseId, ItemCode, KeyId, MessageId, NodeId, RegionCode};
use crate::message::*;
use crate::seal::{SealingKeyPair, SealingSuite};
use crate::time::Timestamp;
use serde_json::json;

/// The Huangshi node id.
pub const HUANGSHI: &str = "huangshi.420200";
/// The Jiujiang node id.
pub const JIUJIANG: &str = "jiujiang.360400";
/// The sample agreement id.
pub const AGREEMENT: &str = "hs-jj.cross-river";
/// The Wuhan "1+8" city circle's agreement, whose messages are signed with the national
/// suite `sm2-sm3` (§15): its nine members hold an SM2 key ([`sm2_key`]) beside their
/// Ed25519 key.
pub const CIRCLE: &str = "wuhan-circle.cross-city";
/// The sample case id.
pub const CASE: &str = "HS-2026-000123";
/// The creation time of the sample transfer.
pub const CREATED: &str = "2026-11-28T09:30:00+08:00";
/// How long sample messages stay valid, in seconds (one day).
pub const VALIDITY_SECONDS: i64 = 24 * 3600;

fn id<T, E: Into<Error>>(parsed: Result<T, E>) -> Result<T, Error> {
    parsed.map_err(Into::into)
}

/// The 32-byte secret seed of a sample node's key: SHA-256 of `tongban sample key <node>`.
pub fn seed(node: &str) -> [u8; 32] {
    let digest = Sha256Digest::of(format!("tongban sample key {node}").as_bytes());
    let mut seed = [0u8; 32];
    for (i, byte) in seed.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digest.as_str()[2 * i..2 * i + 2], 16).unwrap_or(0);
    }
    seed
}

/// The sample key of `node` (`HUANGSHI` or `JIUJIANG`), with key id `<node>#sample`.
pub fn key(node: &str) -> Result<KeyPair, Error> {
    sample_key(node, "sample", Algorithm::Ed25519, &seed(node))
}

/// A sample key of `node` with key id `<node>#<suffix>`.
fn sample_key(
    node: &str,
    suffix: &str,
    algorithm: Algorithm,
    secret: &[u8],
) -> Result<KeyPair, Error> {
    let owner = id(NodeId::parse(node))?;
    let key_id = id(KeyId::parse(format!("{node}#{suffix}")))?;
    Ok(KeyPair::from_secret(key_id, owner, algorithm, secret)?)
}

/// The sample SM2 key (suite `sm2-sm3`) of `node`, with key id `<node>#sm2` and the
/// seed of `<node>#sm2` as its secret scalar.
pub fn sm2_key(node: &str) -> Result<KeyPair, Error> {
    let secret = seed(&format!("{node}#sm2"));
    sample_key(node, "sm2", Algorithm::Sm2Sm3, &secret)
}

/// The sample sealing key (§24) of `node` in `suite`, with key id `<node>#seal` (HPKE)
/// or `<node>#seal-sm2`, and the seed of that id as its secret.
pub fn sealing_key(node: &str, suite: SealingSuite) -> Result<SealingKeyPair, Error> {
    let suffix = match suite {
        SealingSuite::HpkeX25519Aes128Gcm => "seal",
        SealingSuite::Sm2Sm4Gcm => "seal-sm2",
    };
    let key_id = format!("{node}#{suffix}");
    Ok(SealingKeyPair::from_secret(
        id(KeyId::parse(key_id.as_str()))?,
        id(NodeId::parse(node))?,
        suite,
        &seed(&key_id),
    )?)
}

/// The sample key `node` signs with under `agreement`: its SM2 key under the Wuhan
/// circle ([`CIRCLE`], suite `sm2-sm3`), its Ed25519 key otherwise.
pub fn key_for(node: &str, agreement: &str) -> Result<KeyPair, Error> {
    if agreement == CIRCLE {
        sm2_key(node)
    } else {
        key(node)
    }
}

/// The public sample keys of both nodes.
pub fn key_set() -> Result<KeySet, Error> {
    let mut keys = KeySet::new();
    keys.insert(key(HUANGSHI)?.trusted_key());
    keys.insert(key(JIUJIANG)?.trusted_key());
    Ok(keys)
}

/// The sample transfer body: registering a barber shop (`开办理发店`).
pub fn transfer_body() -> Result<Transfer, Error> {
    let form = json!({
        "shop_name": "黄石市磁湖理发店九江分店",
        "business_address": "江西省九江市浔阳区庐山北路88号",
        "business_scope": "理发服务；美容服务",
        "registered_capital_yuan": 50000,
        "employees": 3,
    });
    Ok(Transfer {
        applicant: Applicant::NaturalPerson {
            name: "陈丽华".into(),
            citizen_id: id(crate::id::CitizenId::parse("420202199001011231"))?,
            phone: Some("13907140000".into()),
        },
        item: id(ItemCode::parse("HB-JX-0042"))?,
        item_name: "个体工商户设立登记（理发店）".into(),
        mode: HandlingMode::ReceivedHereHandledThere,
        materials: vec![
            FileRef {
                name: "身份证复印件".into(),
                sha256: Sha256Digest::of("身份证复印件 陈丽华".as_bytes()),
                sm3: None,
                media_type: "application/pdf".into(),
                size: 184_320,
                sealed: None,
            },
            FileRef {
                name: "经营场所租赁合同".into(),
                sha256: Sha256Digest::of("经营场所租赁合同 庐山北路88号".as_bytes()),
                sm3: None,
                media_type: "application/pdf".into(),
                size: 512_000,
                sealed: None,
            },
        ],
        form: match form {
            serde_json::Value::Object(map) => map,
            _ => FormData::new(),
        },
        window: ReceivingWindow {
            region: id(RegionCode::parse("420200"))?,
            service_centre: "黄石市市民之家".into(),
            window: "跨域通办专窗 12号".into(),
            clerk: Some("何静怡".into()),
        },
        channel: None,
        agent: None,
        result_delivery: None,
        deferred_materials: None,
        commitments: None,
        theme: None,
    })
}

/// (1.1) The sample theme 开理发店 (一事联办): the barber shop's registration and its
/// hygiene permit, handled in Jiujiang as one case within 10 working days.
pub const BARBER_THEME: &str = "HB-JX-ZT01";

/// (1.1) The transfers of the sample theme [`BARBER_THEME`], one per item: the barber
/// shop's registration ([`transfer_body`] naming the theme) and its hygiene permit
/// (公共场所卫生许可), which hands the same identity card copy and lease in again (the
/// theme's shared materials) with its own hygiene rules.
pub fn theme_transfer_bodies() -> Result<[Transfer; 2], Error> {
    let mut registration = transfer_body()?;
    registration.theme = Some(id(ItemCode::parse(BARBER_THEME))?);
    let mut hygiene = registration.clone();
    hygiene.item = id(ItemCode::parse("HB-JX-0043"))?;
    hygiene.item_name = "公共场所卫生许可（美容美发场所）".into();
    hygiene.materials.push(file("卫生管理制度", 96_000));
    hygiene.form = match json!({
        "shop_name": "黄石市磁湖理发店九江分店",
        "business_address": "江西省九江市浔阳区庐山北路88号",
        "floor_area_m2": 45,
        "chairs": 4,
    }) {
        serde_json::Value::Object(map) => map,
        _ => FormData::new(),
    };
    Ok([registration, hygiene])
}

/// The sample lease (经营场所租赁合同): the material a 1.1 transfer may defer or replace
/// by a commitment.
pub const LEASE: &str = "经营场所租赁合同";

/// The sample transfer accepted without its lease (容缺受理): the applicant promised to
/// hand it in by Friday 2026-12-04.
pub fn deferred_transfer_body() -> Result<Transfer, Error> {
    let mut body = without_lease()?;
    body.deferred_materials = Some(vec![DeferredMaterial {
        material: LEASE.into(),
        promised_by: crate::calendar::CalendarDate::parse("2026-12-04")?,
    }]);
    Ok(body)
}

/// The sample transfer with the lease replaced by the applicant's signed commitment
/// (告知承诺制) that the premises may be used for the shop.
pub fn committed_transfer_body() -> Result<Transfer, Error> {
    let mut body = without_lease()?;
    body.commitments = Some(vec![Commitment {
        material: LEASE.into(),
        statement: file("经营场所使用承诺书", 64_000),
    }]);
    Ok(body)
}

/// The sample transfer handed in at the window without the lease.
fn without_lease() -> Result<Transfer, Error> {
    let mut body = transfer_body()?;
    body.channel = Some(Channel::Window);
    body.materials.retain(|m| m.name != LEASE);
    Ok(body)
}

/// The supplement that hands in the deferred lease, the one [`transfer_body`] carries.
pub fn deferred_supplement() -> Result<Supplement, Error> {
    let mut materials = transfer_body()?.materials;
    materials.retain(|m| m.name == LEASE);
    Ok(Supplement {
        materials,
        form: None,
        note: Some("补交容缺材料".into()),
    })
}

/// The sample decision as a 1.1 authority writes it: the electronic business licence
/// with its catalogue data (the shop's credit code is the licence number).
pub fn licensed_decision() -> Result<Decision, Error> {
    let mut decision = decision();
    let number = "92360403MA3A2B3C4M";
    let document = &mut decision.documents[0];
    document.number = Some(number.into());
    document.licence = Some(Box::new(Licence {
        type_code: "SCJG-YYZZ-GTGSH".into(),
        type_name: "营业执照".into(),
        number: number.into(),
        issuer: decision.decided_by.clone(),
        issuer_credit_code: crate::id::CreditCode::parse("11360403MB00004230")?,
        holder: "黄石市磁湖理发店九江分店".into(),
        holder_citizen_id: None,
        holder_credit_code: Some(crate::id::CreditCode::parse(number)?),
        valid_from: crate::calendar::CalendarDate::parse("2026-11-28")?,
        valid_until: None,
    }));
    Ok(decision)
}

/// The sample decision: approved, with the electronic business licence.
fn decision() -> Decision {
    Decision {
        outcome: DecisionOutcome::Approved,
        decided_by: "九江市浔阳区市场监督管理局".into(),
        reason: None,
        documents: vec![ResultDocument {
            kind: ResultKind::ElectronicLicence,
            number: Some("92360403MA3A2B3C4D".into()),
            file: file("个体工商户营业执照（电子证照）", 96_000),
            licence: None,
        }],
    }
}

/// A sample PDF named `name` of `size` bytes, its digest that of its name.
fn file(name: &str, size: u64) -> FileRef {
    FileRef {
        name: name.into(),
        sha256: Sha256Digest::of(name.as_bytes()),
        sm3: None,
        media_type: "application/pdf".into(),
        size,
        sealed: None,
    }
}

/// (1.1) Gives every file `body` references the `sealed` members a sealed body needs
/// (§24.6): a key and the SHA-256 of sealed bytes, both derived from the file's digest.
/// The sample's files are held nowhere, so no sealed bytes stand behind them: for
/// messages whose files are never fetched (examples, tests, vectors). A sender seals
/// real files with [`Envelope::file_sealer`].
pub fn mark_files_sealed(body: &mut Body) {
    for reference in crate::file::references_mut(body) {
        let key = seed(&format!("file key {}", reference.sha256));
        reference.sealed = Some(crate::seal::SealedFile {
            key: crate::crypto::base64url(&key[..crate::seal::FILE_KEY_LENGTH]),
            sha256: Sha256Digest::of(format!("sealed {}", reference.sha256).as_bytes()),
        });
    }
}

/// The sample transfer as a 1.1 window writes it: handed in at the window by an agent
/// (the applicant's brother, with a power of attorney), the licence to be posted.
pub fn agent_transfer_body() -> Result<Transfer, Error> {
    let mut body = transfer_body()?;
    body.channel = Some(Channel::Window);
    body.agent = Some(Box::new(Agent {
        name: "陈立新".into(),
        citizen_id: id(crate::id::CitizenId::parse("420202198805050012"))?,
        phone: Some("13907140001".into()),
        power_of_attorney: FileRef {
            name: "授权委托书".into(),
            sha256: Sha256Digest::of("授权委托书 陈丽华 委托 陈立新".as_bytes()),
            sm3: None,
            media_type: "application/pdf".into(),
            size: 96_000,
            sealed: None,
        },
    }));
    body.result_delivery = Some(Box::new(ResultDelivery {
        method: DeliveryMethod::Post,
        address: Some(PostalAddress {
            recipient: "陈丽华".into(),
            phone: "13907140000".into(),
            region: id(RegionCode::parse("420202"))?,
            address: "湖北省黄石市黄石港区湖滨大道 16 号".into(),
        }),
    }));
    Ok(body)
}

/// The benchmark transfer body (about 3 KB signed): the sample barber shop with the
/// full file of eight materials and a fuller form, the size of a real case.
pub fn benchmark_transfer_body() -> Result<Transfer, Error> {
    let mut body = transfer_body()?;
    let extra = [
        ("营业执照名称预先核准通知书", "application/pdf", 96_256),
        ("经营场所产权证明", "application/pdf", 402_112),
        ("卫生许可证申请表", "application/pdf", 65_024),
        ("从业人员健康证明（3人）", "application/pdf", 1_210_880),
        ("店面平面布局图", "image/png", 734_208),
        ("消防安全承诺书", "application/pdf", 51_200),
    ];
    for (name, media_type, size) in extra {
        body.materials.push(FileRef {
            name: name.into(),
            sha256: Sha256Digest::of(format!("{name} 陈丽华").as_bytes()),
            sm3: None,
            media_type: media_type.into(),
            size,
            sealed: None,
        });
    }
    let more = json!({
        "business_scope": "理发服务；美容服务；美发产品零售；头部护理服务（不含医疗美容）",
        "opening_hours": "每日 09:00—21:00，法定节假日照常营业",
        "floor_area_square_metres": 86,
        "chairs": 6,
        "staff": [
            {"name": "陈丽华", "role": "经营者", "health_certificate": "鄂卫健证字 2026-0311"},
            {"name": "刘晓峰", "role": "理发师", "health_certificate": "赣卫健证字 2026-1187"},
            {"name": "王美玲", "role": "美容师", "health_certificate": "赣卫健证字 2026-1192"},
        ],
        "notes": "申请人户籍在黄石市，拟在九江市浔阳区开设分店，经营场所为临街一层商铺，已完成装修并通过消防自查。",
    });
    if let serde_json::Value::Object(members) = more {
        body.form.extend(members);
    }
    Ok(body)
}

/// Benchmark transfer number `index` from Huangshi to Jiujiang, signed: the
/// [`benchmark_transfer_body`] in a case and with a message id of its own, created at
/// `created` (e.g. [`CREATED`], or now to send it to a running node).
pub fn benchmark_transfer(index: u32, created: &Timestamp) -> Result<Envelope, Error> {
    let mut route = route(HUANGSHI)?;
    route.case = id(CaseId::parse(format!(
        "HS-2026-{:06}",
        200_000 + u64::from(index)
    )))?;
    let mut message = Envelope::new(
        route,
        Body::Transfer(benchmark_transfer_body()?),
        created.clone(),
        VALIDITY_SECONDS,
    )?;
    // The index goes where the UUIDv7 version and variant bits do not mask it.
    let mut random = [0xbe; 10];
    random[6..].copy_from_slice(&index.to_be_bytes());
    message.id = MessageId::from_parts(created.unix_millis(), random);
    message.sign(&key(HUANGSHI)?)?;
    Ok(message)
}

/// The route from `from` to the other sample node.
pub fn route(from: &str) -> Result<Route, Error> {
    let to = if from == HUANGSHI { JIUJIANG } else { HUANGSHI };
    Ok(Route {
        from: id(NodeId::parse(from))?,
        to: id(NodeId::parse(to))?,
        agreement: id(AgreementId::parse(AGREEMENT))?,
        case: id(CaseId::parse(CASE))?,
    })
}

/// Who sends a sample message of this type.
pub fn sender_of(message_type: MessageType) -> &'static str {
    match message_type {
        MessageType::Transfer
        | MessageType::Supplement
        | MessageType::Withdrawal
        | MessageType::Evaluation => HUANGSHI,
        _ => JIUJIANG,
    }
}

/// A sample body of the given type. A receipt binds `answers_sha256`.
pub fn body(message_type: MessageType, answers_sha256: &Sha256Digest) -> Result<Body, Error> {
    Ok(match message_type {
        MessageType::Transfer => Body::Transfer(transfer_body()?),
        MessageType::Receipt => Body::Receipt(Receipt {
            answers_sha256: answers_sha256.clone(),
            answers_sm3: None,
            outcome: ReceiptOutcome::Accepted {
                reference: Some("JJ-SJ-2026-0815".into()),
            },
        }),
        MessageType::StatusUpdate => Body::StatusUpdate(StatusUpdate {
            status: ReportedStatus::InReview,
            note: Some("已进入审查".into()),
        }),
        MessageType::SupplementRequest => Body::SupplementRequest(SupplementRequest {
            items: vec![SupplementItem {
                material: "经营场所租赁合同".into(),
                reason: "缺少出租方签字".into(),
            }],
            due_working_days: 5,
            note: Some("请于5个工作日内补正".into()),
        }),
        MessageType::Supplement => Body::Supplement(Supplement {
            materials: vec![file("经营场所租赁合同（已签字）", 530_000)],
            form: None,
            note: Some("已补签".into()),
        }),
        MessageType::Decision => Body::Decision(decision()),
        MessageType::FilesReceived => Body::FilesReceived(FilesReceived {
            files: transfer_body()?
                .materials
                .iter()
                .map(|m| m.sha256.clone())
                .collect(),
        }),
        MessageType::Shipment => Body::Shipment(shipment(ShipmentContents::Results)),
        MessageType::ShipmentReceived => Body::ShipmentReceived(ShipmentReceived {
            complete: true,
            note: None,
        }),
        MessageType::Delivery => Body::Delivery(delivery(
            DeliveryMethod::Post,
            Timestamp::parse("2026-11-27T16:05:00+08:00")?,
        )),
        MessageType::Evaluation => Body::Evaluation(evaluation(
            Grade::Dissatisfied,
            Timestamp::parse("2026-11-27T16:10:00+08:00")?,
        )),
        MessageType::Rectification => Body::Rectification(Rectification {
            measures: "已约谈经办人员，补正告知改为一次性书面告知全部问题".into(),
            called_back_at: Some(Timestamp::parse("2026-11-27T17:00:00+08:00")?),
            note: None,
        }),
        MessageType::Withdrawal => Body::Withdrawal(Withdrawal {
            requested_by: WithdrawnBy::Applicant,
            reason: "申请人决定暂缓开店".into(),
        }),
        MessageType::ProtocolError => Body::ProtocolError(ProtocolError {
            code: "message.invalid".into(),
            message: "body/form: missing field shop_name".into(),
        }),
    })
}

/// A sample shipment (1.1) by EMS: the lease contract's original to the authority, or
/// the paper licence (with the electronic one's digest) back.
pub fn shipment(contents: ShipmentContents) -> Shipment {
    let item = match contents {
        ShipmentContents::Originals => ShipmentItem {
            name: "经营场所租赁合同（原件）".into(),
            sha256: None,
        },
        ShipmentContents::Results => ShipmentItem {
            name: "个体工商户营业执照（正本）".into(),
            sha256: Some(Sha256Digest::of(
                "个体工商户营业执照（电子证照）".as_bytes(),
            )),
        },
    };
    Shipment {
        contents,
        carrier: "中国邮政EMS".into(),
        waybill: "EK123456789CN".into(),
        items: vec![item],
        note: None,
    }
}

/// A sample delivery (1.1) to the applicant, by `method`, at `delivered_at`.
pub fn delivery(method: DeliveryMethod, delivered_at: Timestamp) -> Delivery {
    Delivery {
        method,
        delivered_at,
        recipient: "陈丽华".into(),
        note: Some("本人签收".into()),
    }
}

/// A sample evaluation (好差评, 1.1) of `grade`, given at the window's device at
/// `evaluated_at`.
pub fn evaluation(grade: Grade, evaluated_at: Timestamp) -> Evaluation {
    Evaluation {
        grade,
        channel: Channel::Window,
        evaluated_at,
        comment: grade
            .is_poor()
            .then(|| "补正要求分两次才说清楚，多跑了一趟".into()),
    }
}

/// A signed sample message of the given type, created `offset_seconds` after
/// [`CREATED`], with a deterministic id. Replies answer the sample transfer.
pub fn signed(message_type: MessageType, offset_seconds: i64) -> Result<Envelope, Error> {
    let created = Timestamp::parse(CREATED)?;
    let transfer = signed_transfer()?;
    let digest = Sha256Digest::of(&transfer.to_canonical_bytes()?);
    if message_type == MessageType::Transfer && offset_seconds == 0 {
        return Ok(transfer);
    }
    let sender = sender_of(message_type);
    let at = created.plus_seconds(offset_seconds)?;
    let mut message = Envelope::new(
        route(sender)?,
        body(message_type, &digest)?,
        at.clone(),
        VALIDITY_SECONDS,
    )?;
    let index = MessageType::ALL
        .iter()
        .position(|t| *t == message_type)
        .unwrap_or(0) as u8;
    message.id = MessageId::from_parts(at.unix_millis(), [index + 1; 10]);
    // A type of a later version (files_received, shipment, …: 1.1) says that version.
    message.protocol = message.protocol.max(message_type.since());
    if sender == JIUJIANG {
        message.in_reply_to = Some(transfer.id.clone());
    }
    message.sign(&key(sender)?)?;
    Ok(message)
}

/// The signed sample transfer from Huangshi to Jiujiang, created at [`CREATED`].
pub fn signed_transfer() -> Result<Envelope, Error> {
    let created = Timestamp::parse(CREATED)?;
    let mut message = Envelope::new(
        route(HUANGSHI)?,
        Body::Transfer(transfer_body()?),
        created.clone(),
        VALIDITY_SECONDS,
    )?;
    message.id = MessageId::from_parts(created.unix_millis(), [0; 10]);
    message.sign(&key(HUANGSHI)?)?;
    Ok(message)
}

mod alliance;
mod catalogue;
mod registry;
pub use alliance::{alliance_registry_bytes, ALLIANCE_ITEMS, ALLIANCE_MEMBERS};
pub use registry::{
    add_sealing_keys, circle_members, operator_key, registry, registry_bytes,
    registry_bytes_with_cross_river_on_sm2, registry_bytes_with_sealing_keys, registry_document,
    registry_with_endpoints, registry_with_endpoints_sealing, registry_with_endpoints_speaking,
    signed_registry, OPERATOR, REGISTRY_ISSUED,
};
