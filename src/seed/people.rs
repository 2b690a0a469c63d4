//! Fictional people with realistic names and valid ID numbers, generated
//! deterministically from a seed.

use crate::pii::idnumber;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方邹孟熊秦邱江薛雷侯龙史陶贺顾毛邵钱严戴孔汤应俞竺胡傅";
const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华建国志红文辉鹏燕晓宇浩凯婷斌波海云飞亮琴萍玲雪梅兰俊峰林丹鑫彬欣悦佳琪思源嘉怡晨阳";
const OCCUPATIONS: [&str; 12] = [
    "车工",
    "钳工",
    "维修电工",
    "焊工",
    "数控车工",
    "铣工",
    "装配钳工",
    "质检员",
    "电子装接工",
    "注塑工",
    "机修钳工",
    "模具工",
];
const EDUCATIONS: [(&str, u32); 6] = [
    ("初中及以下", 20),
    ("高中", 20),
    ("中专", 20),
    ("技校", 10),
    ("大专", 20),
    ("本科", 10),
];
const POLITICAL: [(&str, u32); 4] = [
    ("群众", 75),
    ("中共党员", 12),
    ("共青团员", 12),
    ("中共预备党员", 1),
];
/// 初级 40% / 中级 30% / 高级 20% / 技师 7% / 高级技师 3%.
const LEVELS: [(&str, u32); 5] = [
    ("初级工", 40),
    ("中级工", 30),
    ("高级工", 20),
    ("技师", 7),
    ("高级技师", 3),
];
/// Home areas: local workers, and migrant workers from the provinces that send most of them.
const HOME_AREAS: [(&str, bool); 8] = [
    ("330212", false),
    ("330206", false),
    ("330281", false),
    ("511322", true),
    ("412726", true),
    ("522422", true),
    ("341221", true),
    ("430524", true),
];

#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub ethnicity: String,
    pub education: String,
    pub political_status: String,
    pub occupation: String,
    pub skill_level: String,
    pub join_date: String,
    pub is_migrant_worker: bool,
}

pub struct PersonMaker {
    rng: StdRng,
}

fn pick_weighted<'a>(rng: &mut StdRng, table: &[(&'a str, u32)]) -> &'a str {
    let total: u32 = table.iter().map(|t| t.1).sum();
    let mut n = rng.gen_range(0..total);
    for (v, w) in table {
        if n < *w {
            return v;
        }
        n -= w;
    }
    table[0].0
}

impl PersonMaker {
    pub fn new(seed: u64) -> PersonMaker {
        PersonMaker {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    pub fn person(&mut self) -> Person {
        let r = &mut self.rng;
        let surnames: Vec<char> = SURNAMES.chars().collect();
        let given: Vec<char> = GIVEN.chars().collect();
        let mut name = String::new();
        name.push(surnames[r.gen_range(0..surnames.len())]);
        for _ in 0..r.gen_range(1..=2) {
            name.push(given[r.gen_range(0..given.len())]);
        }
        let (area, migrant) = HOME_AREAS[r.gen_range(0..HOME_AREAS.len())];
        let year = r.gen_range(1966..=2004);
        let birth = (year, r.gen_range(1..=12), r.gen_range(1..=28));
        let id_number = idnumber::compose(area, birth, r.gen_range(0..1000));
        let prefix = [
            "138", "139", "137", "158", "159", "188", "186", "135", "150", "177",
        ][r.gen_range(0..10)];
        let phone = format!("{prefix}{:08}", r.gen_range(0..100_000_000u32));
        let join_year = r.gen_range((year + 18).max(2005)..=2024);
        Person {
            name,
            id_number,
            phone,
            ethnicity: if r.gen_range(0..20) == 0 {
                "土家族".into()
            } else {
                "汉族".into()
            },
            education: pick_weighted(r, &EDUCATIONS).into(),
            political_status: pick_weighted(r, &POLITICAL).into(),
            occupation: OCCUPATIONS[r.gen_range(0..OCCUPATIONS.len())].into(),
            skill_level: pick_weighted(r, &LEVELS).into(),
            join_date: format!(
                "{join_year:04}-{:02}-{:02}",
                r.gen_range(1..=12),
                r.gen_range(1..=28)
            ),
            is_migrant_worker: migrant,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pii::{IdNumber, Phone};

    #[test]
    fn people_are_valid_and_deterministic() {
        let a: Vec<Person> = (0..200)
            .scan(PersonMaker::new(7), |m, _| Some(m.person()))
            .collect();
        let b: Vec<Person> = (0..200)
            .scan(PersonMaker::new(7), |m, _| Some(m.person()))
            .collect();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.id_number, y.id_number);
            assert!(IdNumber::parse(&x.id_number).is_ok(), "{}", x.id_number);
            assert!(Phone::parse(&x.phone).is_ok(), "{}", x.phone);
            assert!(crate::member::rules::parse_name(&x.name).is_ok());
            assert!(crate::pii::parse_date(&x.join_date).is_ok());
        }
    }
}
