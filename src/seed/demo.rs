//! The demo world: a slice of the seeds' Zhejiang with fictional people.
//! Loading it twice changes nothing: every row is keyed by its code, credit
//! code, ID number or username.

use super::people::PersonMaker;
use crate::auth::{store as accounts, Role};
use crate::db::Db;
use crate::enterprise::rules::EnterpriseFields;
use crate::member::rules::MemberFields;
use crate::org::store::{self as orgs, NewOrg};
use crate::pii::{creditcode, IdNumber, Keyring, Phone};
use anyhow::Context;

pub const DEMO_PASSWORD: &str = "gongjiang";

pub const LOGINS: &str =
    "Demo logins (password for all: gongjiang — for the demo only, never for real data):
  admin      管理员 at 浙江省总工会 and 四川省机电冶煤工会 (sees everything)
  jiangshan  管理员 at 姜山镇总工会 (sees only 姜山镇)
  worker     a member of 浙江一舟电子科技股份有限公司工会 (sees only their own record)";

/// (code, name, kind, parent code, (industry, size) of the enterprise it covers, members to generate)
type OrgSpec = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<(&'static str, &'static str)>,
    usize,
);

const ORGS: &[OrgSpec] = &[
    ("ZJ", "浙江省总工会", "省总工会", None, None, 0),
    ("ZJ-NB", "宁波市总工会", "市总工会", Some("ZJ"), None, 0),
    (
        "ZJ-NB-YZ",
        "鄞州区总工会",
        "区县总工会",
        Some("ZJ-NB"),
        None,
        0,
    ),
    (
        "ZJ-NB-YZ-JS",
        "姜山镇总工会",
        "乡镇街道总工会",
        Some("ZJ-NB-YZ"),
        None,
        4,
    ),
    (
        "JS-YIZHOU",
        "浙江一舟电子科技股份有限公司工会",
        "企业工会",
        Some("ZJ-NB-YZ-JS"),
        Some(("计算机、通信和其他电子设备制造业", "中型")),
        60,
    ),
    (
        "JS-HUARUI",
        "华瑞电器股份有限公司工会",
        "企业工会",
        Some("ZJ-NB-YZ-JS"),
        Some(("电气机械和器材制造业", "中型")),
        50,
    ),
    (
        "JS-JINGMI",
        "宁波姜山精密机械有限公司工会",
        "企业工会",
        Some("ZJ-NB-YZ-JS"),
        Some(("通用设备制造业", "小型")),
        35,
    ),
    (
        "JS-MINGGANG",
        "宁波明港汽车零部件有限公司工会",
        "企业工会",
        Some("ZJ-NB-YZ-JS"),
        Some(("汽车制造业", "中型")),
        40,
    ),
    (
        "JS-YONGJIANG",
        "宁波甬江纺织服饰有限公司工会",
        "企业工会",
        Some("ZJ-NB-YZ-JS"),
        Some(("纺织服装、服饰业", "小型")),
        30,
    ),
    (
        "JS-XIANGLV",
        "姜山镇乡村旅游产业联合工会",
        "联合工会",
        Some("ZJ-NB-YZ-JS"),
        None,
        12,
    ),
    (
        "ZJ-NB-YZ-QY",
        "邱隘镇总工会",
        "乡镇街道总工会",
        Some("ZJ-NB-YZ"),
        None,
        0,
    ),
    (
        "QY-HENGDA",
        "宁波恒达模具有限公司工会",
        "企业工会",
        Some("ZJ-NB-YZ-QY"),
        Some(("专用设备制造业", "小型")),
        20,
    ),
    ("ZJ-HZ", "湖州市总工会", "市总工会", Some("ZJ"), None, 6),
    ("ZJ-TZ", "台州市总工会", "市总工会", Some("ZJ"), None, 0),
    (
        "ZJ-TZ-YH",
        "玉环市总工会",
        "区县总工会",
        Some("ZJ-TZ"),
        None,
        0,
    ),
    (
        "YH-FAMEN",
        "玉环联创阀门有限公司工会",
        "企业工会",
        Some("ZJ-TZ-YH"),
        Some(("通用设备制造业", "中型")),
        25,
    ),
    ("ZJ-JH", "金华市总工会", "市总工会", Some("ZJ"), None, 0),
    (
        "ZJ-JH-WC",
        "婺城区总工会",
        "区县总工会",
        Some("ZJ-JH"),
        None,
        10,
    ),
    ("ZJ-QZ", "衢州市总工会", "市总工会", Some("ZJ"), None, 8),
    ("SC-JDYM", "四川省机电冶煤工会", "产业工会", None, None, 0),
    (
        "SC-PANGANG",
        "攀西钒钛冶炼有限公司工会",
        "企业工会",
        Some("SC-JDYM"),
        Some(("黑色金属冶炼和压延加工业", "大型")),
        25,
    ),
];

fn enterprise_name(union_name: &str) -> String {
    union_name.trim_end_matches("工会").to_string()
}

/// Loads the demo world; returns a one-line summary of what was added.
pub async fn load(db: &Db, keys: &Keyring) -> anyhow::Result<String> {
    let actor = crate::audit::Actor::system("seed:demo");
    let (mut n_orgs, mut n_ents, mut n_members, mut n_accounts) = (0, 0, 0, 0);
    let mut maker = PersonMaker::new(20_180_501);
    let mut worker_member = None;
    for (i, (code, name, kind, parent, enterprise, members)) in ORGS.iter().enumerate() {
        let org = match orgs::get_by_code(db, code).await? {
            Some(o) => o,
            None => {
                let parent_id = match parent {
                    Some(p) => Some(
                        orgs::get_by_code(db, p)
                            .await?
                            .with_context(|| format!("parent {p}"))?
                            .id,
                    ),
                    None => None,
                };
                n_orgs += 1;
                let new = NewOrg {
                    code: code.to_string(),
                    name: name.to_string(),
                    kind: kind.to_string(),
                };
                orgs::create(db, &actor, None, new, parent_id)
                    .await
                    .map_err(app_err)?
            }
        };
        let mut enterprise_id = None;
        if let Some((industry, size)) = enterprise {
            let area = if code.starts_with("SC") {
                "510400"
            } else if code.starts_with("YH") {
                "331083"
            } else {
                "330212"
            };
            let code18 =
                creditcode::compose("91", area, &format!("{:08}", 31_415_926 + i as u64 * 7_919));
            let existing = sqlx::query("SELECT id FROM enterprises WHERE credit_code = $1")
                .bind(&code18)
                .fetch_optional(&db.pool)
                .await?;
            enterprise_id = Some(match existing {
                Some(r) => sqlx::Row::try_get::<i64, _>(&r, 0)?,
                None => {
                    n_ents += 1;
                    let f = EnterpriseFields {
                        credit_code: Some(code18),
                        name: Some(enterprise_name(name)),
                        industry: Some(industry.to_string()),
                        size: Some(size.to_string()),
                    };
                    crate::enterprise::store::create(
                        db,
                        &actor,
                        &crate::auth::Access::everything(),
                        &f,
                        org.id,
                    )
                    .await
                    .map_err(app_err)?
                }
            });
        }
        for n in 0..*members {
            let p = maker.person();
            let idn = IdNumber::parse(&p.id_number).map_err(anyhow::Error::msg)?;
            let id = match crate::member::store::find_by_id_number(db, keys, &idn)
                .await
                .map_err(app_err)?
            {
                Some((id, _, _)) => id,
                None => {
                    let f = MemberFields {
                        name: Some(p.name),
                        id_number: Some(idn),
                        phone: Some(Some(Phone::parse(&p.phone).map_err(anyhow::Error::msg)?)),
                        ethnicity: Some(p.ethnicity),
                        education: Some(p.education),
                        political_status: Some(p.political_status),
                        occupation: Some(p.occupation),
                        skill_level: Some(p.skill_level),
                        card_no: Some(format!("NB{:04}{:05}", i, n + 1)),
                        join_date: Some(p.join_date),
                        is_migrant_worker: Some(p.is_migrant_worker),
                        is_hardship: Some(n % 37 == 5),
                        status: Some("在册".into()),
                    };
                    n_members += 1;
                    crate::member::store::create(
                        db,
                        keys,
                        &actor,
                        &crate::auth::Access::everything(),
                        &f,
                        org.id,
                        enterprise_id,
                    )
                    .await
                    .map_err(app_err)?
                }
            };
            if *code == "JS-YIZHOU" && n == 0 {
                worker_member = Some((id, org.id));
            }
        }
    }
    let demo_accounts = [
        ("admin", Role::Admin, org_id_by_code(db, "ZJ").await?, None),
        (
            "jiangshan",
            Role::Admin,
            org_id_by_code(db, "ZJ-NB-YZ-JS").await?,
            None,
        ),
        (
            "worker",
            Role::Member,
            worker_member.map(|w| w.1).unwrap_or(0),
            worker_member.map(|w| w.0),
        ),
    ];
    for (username, role, org_id, member_id) in demo_accounts {
        if accounts::id_by_username(db, keys, username)
            .await
            .map_err(app_err)?
            .is_some()
        {
            continue;
        }
        let new = accounts::NewAccount {
            username: username.into(),
            password: DEMO_PASSWORD.into(),
            role,
            org_id,
            member_id,
        };
        let id = accounts::create(db, keys, &actor, &new)
            .await
            .map_err(app_err)?;
        n_accounts += 1;
        if username == "admin" {
            // The demo admin may reveal whole numbers, so the demo shows how that is audited.
            accounts::set_reveal(db, &actor, id, org_id, true)
                .await
                .map_err(app_err)?;
            // The industry union in Sichuan is a root of its own; the demo admin holds both.
            sqlx::query("INSERT INTO assignments (account_id, role, org_id) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(Role::Admin.as_str())
                .bind(org_id_by_code(db, "SC-JDYM").await?)
                .execute(&db.pool)
                .await?;
        }
    }
    Ok(format!(
        "demo data: {n_orgs} organisations, {n_ents} enterprises, {n_members} members, {n_accounts} accounts added"
    ))
}

pub async fn org_id_by_code(db: &Db, code: &str) -> anyhow::Result<i64> {
    orgs::get_by_code(db, code)
        .await?
        .map(|o| o.id)
        .with_context(|| format!("demo org {code}"))
}

pub fn app_err(e: crate::web::error::AppError) -> anyhow::Error {
    match e {
        crate::web::error::AppError::Internal(inner) => inner,
        other => anyhow::anyhow!("{other}: {:?}", other.field_errors()),
    }
}
