//! A synthetic city for benchmarks: districts, towns, enterprise unions with
//! ~30 members each, valid ID numbers and credit codes, realistic names and
//! skill levels — the same for the same seed. The people go straight into the
//! database, or into an .xlsx roster (the tree then goes to the database, so
//! the roster can be imported into it).

use super::people::{Person, PersonMaker};
use crate::audit::{self, Actor, Event};
use crate::db::{now_ms, Db};
use crate::member::store::{id_tails, phone_tail, search_keys, ID_HASH, PHONE_HASH};
use crate::org::store::{self as orgs, NewOrg, Org};
use crate::pii::{creditcode, Keyring};
use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::HashSet;

pub const ROOT_CODE: &str = "SYN";

const DISTRICTS: [&str; 10] = [
    "东湖区",
    "西岭区",
    "南山区",
    "北塘区",
    "江北区",
    "海曙区",
    "临江区",
    "青田区",
    "云溪区",
    "石门区",
];
const TOWN_WORDS: [&str; 20] = [
    "清水", "白沙", "松林", "梅园", "桥头", "丰谷", "龙泉", "金塘", "新安", "永和", "长乐", "福田",
    "平湖", "仙居", "横溪", "高桥", "柳塘", "瑞丰", "宝山", "双溪",
];
const FIRM_WORDS: [&str; 16] = [
    "精密机械",
    "电子科技",
    "汽车零部件",
    "模具",
    "纺织服饰",
    "电器",
    "五金制品",
    "新材料",
    "塑业",
    "阀门",
    "轴承",
    "光电",
    "食品",
    "建材",
    "包装",
    "化工",
];
const INDUSTRIES: [&str; 6] = [
    "通用设备制造业",
    "计算机、通信和其他电子设备制造业",
    "汽车制造业",
    "电气机械和器材制造业",
    "纺织服装、服饰业",
    "金属制品业",
];

/// Where the people go.
pub enum Target<'a> {
    Database,
    Xlsx(&'a std::path::Path),
}

pub struct Summary {
    pub orgs: usize,
    pub enterprises: usize,
    pub members: u64,
}

/// Draws people with ID numbers unique across the whole city.
struct UniquePeople {
    maker: PersonMaker,
    seen: HashSet<u64>,
}

impl UniquePeople {
    fn next(&mut self) -> Person {
        loop {
            let p = self.maker.person();
            // The first 17 digits identify the person; the 18th is their check.
            let key: u64 = p.id_number[..17].parse().unwrap_or(0);
            if self.seen.insert(key) {
                return p;
            }
        }
    }
}

pub async fn build(
    db: &Db,
    keys: &Keyring,
    members: u64,
    seed: u64,
    target: Target<'_>,
) -> anyhow::Result<Summary> {
    if orgs::get_by_code(db, ROOT_CODE).await?.is_some() {
        anyhow::bail!("this database already has a synthetic city (organisation code {ROOT_CODE}); use a new database");
    }
    let actor = Actor::system("seed:synthetic");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut people = UniquePeople {
        maker: PersonMaker::new(seed ^ 0x5EED),
        seen: HashSet::with_capacity(members as usize),
    };
    let app = |e: crate::web::error::AppError| anyhow::anyhow!("{e}");
    let root = orgs::create(
        db,
        &actor,
        None,
        NewOrg {
            code: ROOT_CODE.into(),
            name: "云城市总工会".into(),
            kind: "市总工会".into(),
        },
        None,
    )
    .await
    .map_err(app)?;
    // ~30 members an enterprise, 10 districts, up to 20 towns each.
    let enterprises_needed = members.div_ceil(30).max(1) as usize;
    let towns_total = enterprises_needed.div_ceil(150).clamp(1, 200);
    let per_town = enterprises_needed.div_ceil(towns_total);
    let (mut n_orgs, mut n_ents) = (1, 0);
    let mut unions: Vec<(Org, i64)> = vec![];
    for t in 0..towns_total {
        let d = t % DISTRICTS.len();
        let district = match orgs::get_by_code(db, &format!("{ROOT_CODE}-D{d}")).await? {
            Some(o) => o,
            None => {
                n_orgs += 1;
                let new = NewOrg {
                    code: format!("{ROOT_CODE}-D{d}"),
                    name: format!("{}总工会", DISTRICTS[d]),
                    kind: "区县总工会".into(),
                };
                orgs::create(db, &actor, None, new, Some(root.id))
                    .await
                    .map_err(app)?
            }
        };
        let town_name = format!(
            "{}{}镇",
            TOWN_WORDS[(t / DISTRICTS.len()) % TOWN_WORDS.len()],
            if t >= 200 {
                t.to_string()
            } else {
                String::new()
            }
        );
        let town = orgs::create(
            db,
            &actor,
            None,
            NewOrg {
                code: format!("{ROOT_CODE}-T{t}"),
                name: format!("{}{}总工会", DISTRICTS[d], town_name),
                kind: "乡镇街道总工会".into(),
            },
            Some(district.id),
        )
        .await
        .map_err(app)?;
        n_orgs += 1;
        let mut tx = db.begin().await?;
        for e in 0..per_town {
            if unions.len() >= enterprises_needed {
                break;
            }
            let firm = format!(
                "{}{}{}{:03}有限公司",
                DISTRICTS[d].trim_end_matches('区'),
                town_name.trim_end_matches('镇'),
                FIRM_WORDS[rng.gen_range(0..FIRM_WORDS.len())],
                e + 1
            );
            let now = now_ms();
            let code = format!("{ROOT_CODE}-T{t}-E{e}");
            let union_id: i64 = sqlx::Row::try_get(
                &sqlx::query("INSERT INTO orgs (code, name, kind, parent_id, path, created_at, updated_at) VALUES ($1, $2, '企业工会', $3, $4, $5, $5) RETURNING id")
                    .bind(&code)
                    .bind(format!("{firm}工会"))
                    .bind(town.id)
                    .bind(format!("#{code}"))
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?,
                0,
            )?;
            let path = format!("{}{union_id}/", town.path);
            sqlx::query("UPDATE orgs SET path = $1 WHERE id = $2")
                .bind(&path)
                .bind(union_id)
                .execute(&mut *tx)
                .await?;
            let credit = creditcode::compose(
                "91",
                "330200",
                &format!("{:08}", 10_000_000 + unions.len() as u64 * 7 + seed % 7),
            );
            let ent_id: i64 = sqlx::Row::try_get(
                &sqlx::query("INSERT INTO enterprises (credit_code, name, industry, size, org_id, created_at, updated_at) VALUES ($1, $2, $3, '小型', $4, $5, $5) RETURNING id")
                    .bind(credit)
                    .bind(&firm)
                    .bind(INDUSTRIES[rng.gen_range(0..INDUSTRIES.len())])
                    .bind(union_id)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?,
                0,
            )?;
            n_orgs += 1;
            n_ents += 1;
            let union = Org {
                id: union_id,
                code,
                name: format!("{firm}工会"),
                kind: "企业工会".into(),
                parent_id: Some(town.id),
                leader: String::new(),
                phone: String::new(),
                path,
            };
            unions.push((union, ent_id));
        }
        tx.commit().await?;
    }
    // Spread the members: 20 to 40 an enterprise, adding up to exactly `members`.
    let mut sizes: Vec<u64> = unions.iter().map(|_| rng.gen_range(20..=40)).collect();
    let sum: u64 = sizes.iter().sum();
    let mut assigned = 0;
    for s in sizes.iter_mut() {
        *s = *s * members / sum.max(1);
        assigned += *s;
    }
    let (mut i, count) = (0, sizes.len());
    while assigned < members {
        sizes[i % count] += 1;
        assigned += 1;
        i += 1;
    }
    let written = match target {
        Target::Database => write_members(db, keys, &unions, &sizes, &mut people).await?,
        Target::Xlsx(path) => write_xlsx(path, &unions, &sizes, &mut people)?,
    };
    let mut tx = db.begin().await?;
    let ev = Event::new("seed.synthetic", "org", root.id)
        .org(root.id)
        .detail(json!({ "members": written, "seed": seed, "orgs": n_orgs }));
    audit::append(&mut tx, &actor, ev).await?;
    tx.commit().await?;
    Ok(Summary {
        orgs: n_orgs,
        enterprises: n_ents,
        members: written,
    })
}

async fn write_members(
    db: &Db,
    keys: &Keyring,
    unions: &[(Org, i64)],
    sizes: &[u64],
    people: &mut UniquePeople,
) -> anyhow::Result<u64> {
    let mut tx = db.begin().await?;
    let now = now_ms();
    let mut n = 0u64;
    for ((union, ent), size) in unions.iter().zip(sizes) {
        for k in 0..*size {
            let p = people.next();
            let (pinyin, initials) = search_keys(&p.name);
            let idn = crate::pii::IdNumber::parse(&p.id_number)
                .map_err(anyhow::Error::msg)
                .context("synthetic ID")?;
            sqlx::query(
                "INSERT INTO members (org_id, enterprise_id, name, gender, birth_date, id_number_enc, id_number_hash, phone_enc, \
                 phone_hash, phone_tail, name_pinyin, name_initials, ethnicity, education, political_status, occupation, skill_level, \
                 card_no, join_date, is_migrant_worker, is_hardship, status, created_at, updated_at, id_tail4, id_tail6, org_path) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, 0, '在册', $21, $21, $22, $23, \
                 (SELECT path FROM orgs WHERE id = $1))",
            )
            .bind(union.id)
            .bind(*ent)
            .bind(&p.name)
            .bind(idn.gender().label())
            .bind(idn.birth_date())
            .bind(keys.encrypt(&p.id_number))
            .bind(keys.lookup_hash(ID_HASH, &p.id_number))
            .bind(keys.encrypt(&p.phone))
            .bind(keys.lookup_hash(PHONE_HASH, &p.phone))
            .bind(phone_tail(&p.phone))
            .bind(pinyin)
            .bind(initials)
            .bind(&p.ethnicity)
            .bind(&p.education)
            .bind(&p.political_status)
            .bind(&p.occupation)
            .bind(&p.skill_level)
            .bind(format!("{}{:03}", union.id, k + 1))
            .bind(&p.join_date)
            .bind(p.is_migrant_worker as i64)
            .bind(now)
            .bind(id_tails(keys, &p.id_number).0)
            .bind(id_tails(keys, &p.id_number).1)
            .execute(&mut *tx)
            .await?;
            n += 1;
        }
    }
    tx.commit().await?;
    Ok(n)
}

/// The people as a roster workbook in the import columns (constant memory).
fn write_xlsx(
    path: &std::path::Path,
    unions: &[(Org, i64)],
    sizes: &[u64],
    people: &mut UniquePeople,
) -> anyhow::Result<u64> {
    use crate::roster::columns::Column;
    let cols = [
        Column::Name,
        Column::IdNumber,
        Column::Phone,
        Column::Ethnicity,
        Column::Education,
        Column::PoliticalStatus,
        Column::Org,
        Column::Occupation,
        Column::SkillLevel,
        Column::CardNo,
        Column::JoinDate,
        Column::MigrantWorker,
    ];
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name("会员名册")?;
    for (i, c) in cols.iter().enumerate() {
        ws.write_string(0, i as u16, c.title())?;
    }
    let mut r = 0u32;
    for ((union, _), size) in unions.iter().zip(sizes) {
        for k in 0..*size {
            let p = people.next();
            r += 1;
            let values = [
                p.name.as_str(),
                &p.id_number,
                &p.phone,
                &p.ethnicity,
                &p.education,
                &p.political_status,
                &union.name,
                &p.occupation,
                &p.skill_level,
                &format!("{}{:03}", union.id, k + 1),
                &p.join_date,
                if p.is_migrant_worker { "是" } else { "否" },
            ];
            for (i, v) in values.iter().enumerate() {
                ws.write_string(r, i as u16, *v)?;
            }
        }
    }
    wb.save(path)?;
    Ok(r as u64)
}
