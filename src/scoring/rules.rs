//! The scoring engine's rules, apart from SQL and HTTP: rubrics (criteria →
//! aspects, each with a maximum and a weight, measured or judged), the marks
//! reviewers give, per-reviewer and final locks, aggregation, the flags a
//! panel must look at, conflicts of interest and ranking. Honour reviews,
//! the mentors' two-way evaluation, skills competitions (WorldSkills-style
//! marking schemes), skill exams and star ratings all score on it.
//!
//! Marks are kept in hundredths (`Centi`), so every sum is exact and a
//! mean is rounded once, at the end.

use std::collections::BTreeMap;

/// Hundredths of a mark: 1,250 is 12.5 marks.
pub type Centi = i64;

/// The highest mark a judge gives on a judged aspect (0–3, WorldSkills).
pub const TOP_JUDGED_MARK: u8 = 3;
/// Judged aspects need at least this many judges.
pub const MIN_JUDGES: usize = 3;
/// From this many reviewers on, the highest and the lowest are dropped.
pub const DROP_EXTREMES_FROM: usize = 5;

/// How an aspect is marked.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// 客观评分, all or nothing: full marks or none.
    FullOrZero,
    /// 客观评分 by a table: each fault found deducts its points, never below zero.
    Deductions(Vec<Deduction>),
    /// 主观评分: each judge gives 0–3 against the written descriptor of each
    /// mark; the aspect is worth its maximum × the mean mark ÷ 3.
    Judged { descriptors: [String; 4] },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Deduction {
    pub fault: String,
    pub points: Centi,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Aspect {
    /// Unique within the rubric (`A1`, `B2` …): marks are entered against it.
    pub key: String,
    pub label: String,
    pub max: Centi,
    /// Percent: 100 counts the aspect as it is, 50 at half.
    pub weight: u32,
    pub method: Method,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    pub label: String,
    pub aspects: Vec<Aspect>,
}

/// A rubric as published: a version is never edited once marks exist
/// (a change is a new version).
#[derive(Debug, Clone, PartialEq)]
pub struct Rubric {
    pub version: u32,
    pub criteria: Vec<Criterion>,
}

impl Rubric {
    pub fn aspects(&self) -> impl Iterator<Item = &Aspect> {
        self.criteria.iter().flat_map(|c| c.aspects.iter())
    }

    pub fn aspect(&self, key: &str) -> Option<&Aspect> {
        self.aspects().find(|a| a.key == key)
    }

    /// The most an entry can score, weights applied.
    pub fn full_marks(&self) -> Centi {
        weighted(self.aspects().map(|a| (a.max, a.weight)))
    }

    /// Whether the rubric can be marked at all; the message says what is wrong, in Chinese.
    pub fn check(&self) -> Result<(), String> {
        if self.criteria.is_empty() {
            return Err("评分标准至少要有一项评分指标".into());
        }
        let mut keys: Vec<&str> = vec![];
        for c in &self.criteria {
            if c.label.trim().is_empty() {
                return Err("评分指标需要名称".into());
            }
            if c.aspects.is_empty() {
                return Err(format!("评分指标“{}”至少要有一个评分要点", c.label));
            }
            for a in &c.aspects {
                if a.label.trim().is_empty() {
                    return Err(format!("评分指标“{}”中有评分要点没有名称", c.label));
                }
                let name = &a.label;
                if a.key.trim().is_empty() || keys.contains(&a.key.as_str()) {
                    return Err(format!("评分要点“{name}”的编号为空或重复"));
                }
                keys.push(&a.key);
                if a.max <= 0 {
                    return Err(format!("评分要点“{name}”的满分须大于 0"));
                }
                if a.weight == 0 || a.weight > 1000 {
                    return Err(format!("评分要点“{name}”的权重须在 1% 至 1000% 之间"));
                }
                match &a.method {
                    Method::FullOrZero => {}
                    Method::Deductions(table) => {
                        if table.is_empty() {
                            return Err(format!("评分要点“{name}”的扣分表是空的"));
                        }
                        if table.iter().any(|d| d.points <= 0 || d.points > a.max) {
                            return Err(format!("评分要点“{name}”的每项扣分须大于 0 且不超过满分"));
                        }
                    }
                    Method::Judged { descriptors } => {
                        if descriptors.iter().any(|d| d.trim().is_empty()) {
                            return Err(format!(
                                "评分要点“{name}”须为 0、1、2、3 分各写明评判标准"
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// What one reviewer gave on one aspect.
#[derive(Debug, Clone, PartialEq)]
pub enum Given {
    /// On a full-or-zero aspect: whether it was met.
    Met(bool),
    /// On a deduction table: the faults found (indices into the table; a fault may count more than once).
    Faults(Vec<usize>),
    /// On a judged aspect: 0–3.
    Mark(u8),
}

/// The points `given` is worth on `aspect` (for a judged aspect, before
/// the panel's mean: maximum × mark ÷ 3 is taken on the mean), or why it
/// cannot be given there.
fn value(aspect: &Aspect, given: &Given) -> Result<Centi, String> {
    match (&aspect.method, given) {
        (Method::FullOrZero, Given::Met(met)) => Ok(if *met { aspect.max } else { 0 }),
        (Method::Deductions(table), Given::Faults(found)) => {
            let mut lost = 0;
            for i in found {
                lost += table
                    .get(*i)
                    .ok_or_else(|| format!("评分要点“{}”的扣分表中没有这一项", aspect.label))?
                    .points;
            }
            Ok((aspect.max - lost).max(0))
        }
        (Method::Judged { .. }, Given::Mark(m)) if *m <= TOP_JUDGED_MARK => Ok(Centi::from(*m)),
        (Method::Judged { .. }, Given::Mark(_)) => {
            Err(format!("评分要点“{}”只能打 0、1、2、3 分", aspect.label))
        }
        _ => Err(format!(
            "评分要点“{}”的评分方式与所给的分不符",
            aspect.label
        )),
    }
}

/// `num ÷ den`, rounded half up (both non-negative).
fn rounded(num: i64, den: i64) -> i64 {
    if den <= 0 {
        return 0;
    }
    (2 * num + den) / (2 * den)
}

/// Σ points × weight%, rounded once.
fn weighted(parts: impl Iterator<Item = (Centi, u32)>) -> Centi {
    let sum: i64 = parts.map(|(p, w)| p * i64::from(w)).sum();
    rounded(sum, 100)
}

/// One reviewer's sheet for one entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sheet {
    pub marks: BTreeMap<String, Given>,
    /// Locked by the reviewer: nothing on it changes after.
    pub locked: bool,
}

/// Every reviewer's sheet for one entry, and the final lock.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Board {
    pub sheets: BTreeMap<i64, Sheet>,
    /// Locked by the chief: the entry's result stands.
    pub closed: bool,
}

impl Board {
    /// A board for the reviewers assigned to the entry.
    pub fn assigned(reviewers: &[i64]) -> Board {
        Board {
            sheets: reviewers.iter().map(|r| (*r, Sheet::default())).collect(),
            closed: false,
        }
    }

    /// Enters (or corrects) `reviewer`'s mark on `aspect`: refused once
    /// their sheet or the board is locked, from anyone not assigned, and for
    /// a mark the aspect cannot take.
    pub fn enter(
        &mut self,
        rubric: &Rubric,
        reviewer: i64,
        aspect: &str,
        given: Given,
    ) -> Result<(), String> {
        if self.closed {
            return Err("评分已最终锁定，不能再改".into());
        }
        let a = rubric
            .aspect(aspect)
            .ok_or_else(|| format!("评分标准中没有编号为“{aspect}”的评分要点"))?;
        value(a, &given)?;
        let sheet = self
            .sheets
            .get_mut(&reviewer)
            .ok_or("您不是这一参评对象的评委")?;
        if sheet.locked {
            return Err("您已锁定自己的评分，不能再改".into());
        }
        sheet.marks.insert(a.key.clone(), given);
        Ok(())
    }

    /// The reviewer locks their sheet: refused until every aspect is marked.
    pub fn lock(&mut self, rubric: &Rubric, reviewer: i64) -> Result<(), String> {
        if self.closed {
            return Err("评分已最终锁定".into());
        }
        let sheet = self
            .sheets
            .get_mut(&reviewer)
            .ok_or("您不是这一参评对象的评委")?;
        if let Some(missing) = rubric.aspects().find(|a| !sheet.marks.contains_key(&a.key)) {
            return Err(format!("还有评分要点“{}”没有打分", missing.label));
        }
        sheet.locked = true;
        Ok(())
    }

    /// The chief reopens one reviewer's sheet for re-marking (after a
    /// discussion of a flag): refused once the board is closed.
    pub fn reopen(&mut self, reviewer: i64) -> Result<(), String> {
        if self.closed {
            return Err("评分已最终锁定，不能重新打开".into());
        }
        let sheet = self
            .sheets
            .get_mut(&reviewer)
            .ok_or("这位评委不在本参评对象的评委中")?;
        sheet.locked = false;
        Ok(())
    }

    /// The final lock: every sheet locked, judged aspects marked by enough
    /// judges, and no judges more than one mark apart (those are discussed
    /// and re-marked first).
    pub fn close(&mut self, rubric: &Rubric) -> Result<(), String> {
        if self.closed {
            return Ok(());
        }
        if self.sheets.values().any(|s| !s.locked) {
            return Err("还有评委没有锁定评分".into());
        }
        let judged = rubric
            .aspects()
            .any(|a| matches!(a.method, Method::Judged { .. }));
        if judged && self.sheets.len() < MIN_JUDGES {
            return Err(format!("主观评分要点至少需要 {MIN_JUDGES} 名评委"));
        }
        if let Some(Flag::JudgesApart { aspect, .. }) = flags(rubric, self, 0)
            .into_iter()
            .find(|f| matches!(f, Flag::JudgesApart { .. }))
        {
            let label = rubric
                .aspect(&aspect)
                .map_or(aspect.clone(), |a| a.label.clone());
            return Err(format!(
                "评分要点“{label}”的评委打分相差超过 1 分，须讨论后重新打分"
            ));
        }
        self.closed = true;
        Ok(())
    }
}

/// An entry's result: each aspect's score and the weighted total.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub aspects: BTreeMap<String, Centi>,
    pub total: Centi,
}

impl Outcome {
    /// A criterion's part of the total (by its position in the rubric).
    pub fn criterion(&self, rubric: &Rubric, index: usize) -> Centi {
        rubric.criteria.get(index).map_or(0, |c| {
            weighted(
                c.aspects
                    .iter()
                    .map(|a| (self.aspects.get(&a.key).copied().unwrap_or(0), a.weight)),
            )
        })
    }
}

/// The panel's values on one aspect, the extremes dropped from five reviewers on.
fn kept(mut values: Vec<Centi>) -> Vec<Centi> {
    values.sort_unstable();
    if values.len() >= DROP_EXTREMES_FROM {
        values.remove(0);
        values.pop();
    }
    values
}

/// The entry's result from the marks on its board: per aspect the mean of
/// the reviewers who marked it (without the highest and the lowest from
/// five reviewers on), a judged aspect worth maximum × mean ÷ 3; the total
/// weights each aspect. The same marks give the same result in whatever
/// order they were entered.
pub fn aggregate(rubric: &Rubric, board: &Board) -> Outcome {
    let mut aspects = BTreeMap::new();
    for a in rubric.aspects() {
        let values: Vec<Centi> = board
            .sheets
            .values()
            .filter_map(|s| s.marks.get(&a.key))
            .filter_map(|g| value(a, g).ok())
            .collect();
        let values = kept(values);
        let n = values.len() as i64;
        let sum: i64 = values.iter().sum();
        let score = match a.method {
            Method::Judged { .. } => rounded(a.max * sum, Centi::from(TOP_JUDGED_MARK) * n),
            _ => rounded(sum, n),
        };
        aspects.insert(a.key.clone(), score);
    }
    let total = weighted(
        rubric
            .aspects()
            .map(|a| (aspects.get(&a.key).copied().unwrap_or(0), a.weight)),
    );
    Outcome { aspects, total }
}

/// What a panel must look at before it closes.
#[derive(Debug, Clone, PartialEq)]
pub enum Flag {
    /// Judges more than one mark apart on a judged aspect.
    JudgesApart { aspect: String, low: u8, high: u8 },
    /// A reviewer whose marks, as a share of the full marks, depart from the
    /// rest of the panel's by more than the threshold (in percentage points).
    Departs {
        reviewer: i64,
        share: i64,
        panel: i64,
    },
}

/// The flags on a board; `departure` is the threshold in percentage points
/// for a reviewer's share against the others' (0: do not look).
pub fn flags(rubric: &Rubric, board: &Board, departure: i64) -> Vec<Flag> {
    let mut out = vec![];
    for a in rubric.aspects() {
        if !matches!(a.method, Method::Judged { .. }) {
            continue;
        }
        let marks: Vec<u8> = board
            .sheets
            .values()
            .filter_map(|s| match s.marks.get(&a.key) {
                Some(Given::Mark(m)) => Some(*m),
                _ => None,
            })
            .collect();
        if let (Some(low), Some(high)) = (marks.iter().min(), marks.iter().max()) {
            if high - low > 1 {
                out.push(Flag::JudgesApart {
                    aspect: a.key.clone(),
                    low: *low,
                    high: *high,
                });
            }
        }
    }
    if departure <= 0 || board.sheets.len() < 2 {
        return out;
    }
    // Each reviewer's points and the full marks of what they marked, in
    // hundredths of a percent.
    let shares: Vec<(i64, i64, i64)> = board
        .sheets
        .iter()
        .map(|(r, s)| {
            let (mut got, mut of) = (0, 0);
            for a in rubric.aspects() {
                if let Some(v) = s.marks.get(&a.key).and_then(|g| value(a, g).ok()) {
                    let (v, max) = match a.method {
                        Method::Judged { .. } => (a.max * v, a.max * Centi::from(TOP_JUDGED_MARK)),
                        _ => (v, a.max),
                    };
                    got += v * i64::from(a.weight);
                    of += max * i64::from(a.weight);
                }
            }
            (*r, got, of)
        })
        .filter(|(_, _, of)| *of > 0)
        .collect();
    for (r, got, of) in &shares {
        let (others_got, others_of) = shares
            .iter()
            .filter(|(o, _, _)| o != r)
            .fold((0, 0), |(g, f), (_, og, of)| (g + og, f + of));
        if others_of == 0 {
            continue;
        }
        let share = rounded(got * 100, *of);
        let panel = rounded(others_got * 100, others_of);
        if (share - panel).abs() > departure {
            out.push(Flag::Departs {
                reviewer: *r,
                share,
                panel,
            });
        }
    }
    out
}

/// Who an entry is and where it comes from, for conflicts of interest.
#[derive(Debug, Clone, PartialEq)]
pub struct Entrant {
    pub member_id: Option<i64>,
    pub org_id: i64,
    pub enterprise_id: Option<i64>,
    /// The member who nominated the entry, when one did.
    pub nominated_by: Option<i64>,
}

/// A reviewer, for conflicts of interest.
#[derive(Debug, Clone, PartialEq)]
pub struct Reviewer {
    pub member_id: Option<i64>,
    pub org_id: i64,
    pub enterprise_id: Option<i64>,
}

/// Why `reviewer` may not review `entry` (in Chinese), or None.
pub fn conflict(reviewer: &Reviewer, entry: &Entrant) -> Option<&'static str> {
    if reviewer.member_id.is_some() && reviewer.member_id == entry.member_id {
        return Some("评委不能评审自己");
    }
    if reviewer.member_id.is_some() && reviewer.member_id == entry.nominated_by {
        return Some("评委不能评审自己推荐的对象");
    }
    if reviewer.org_id == entry.org_id {
        return Some("评委不能评审本单位工会的参评对象");
    }
    if reviewer.enterprise_id.is_some() && reviewer.enterprise_id == entry.enterprise_id {
        return Some("评委不能评审本企业的参评对象");
    }
    None
}

/// How entries with the same total are ordered.
#[derive(Debug, Clone, PartialEq)]
pub enum TieBreak {
    /// The higher score on this aspect first.
    Aspect(String),
    /// The higher part of the total from this criterion (by position) first.
    Criterion(usize),
    /// The one entered earlier first.
    Earlier,
}

/// A place in a ranking: equal places share a rank (1, 2, 2, 4).
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub entry: i64,
    pub total: Centi,
    pub rank: u32,
}

/// An entry to rank: its id, the order it was entered in, and its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub entry: i64,
    pub seq: i64,
    pub outcome: Outcome,
}

/// Entries ranked by total, then by the tie-breaks in turn.
pub fn rank(rubric: &Rubric, entries: &[Scored], breaks: &[TieBreak]) -> Vec<Place> {
    let key = |e: &Scored| -> Vec<i64> {
        let mut k = vec![-e.outcome.total];
        for b in breaks {
            k.push(match b {
                TieBreak::Aspect(a) => -e.outcome.aspects.get(a).copied().unwrap_or(0),
                TieBreak::Criterion(i) => -e.outcome.criterion(rubric, *i),
                TieBreak::Earlier => e.seq,
            });
        }
        k
    };
    let mut sorted: Vec<(&Scored, Vec<i64>)> = entries.iter().map(|e| (e, key(e))).collect();
    sorted.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.entry.cmp(&b.0.entry)));
    let mut out: Vec<Place> = Vec::with_capacity(sorted.len());
    for (i, (e, k)) in sorted.iter().enumerate() {
        let rank = match i.checked_sub(1).map(|p| &sorted[p]) {
            Some((_, prev)) if prev == k => out[i - 1].rank,
            _ => i as u32 + 1,
        };
        out.push(Place {
            entry: e.entry,
            total: e.outcome.total,
            rank,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn judged(key: &str, max: Centi) -> Aspect {
        Aspect {
            key: key.into(),
            label: format!("要点{key}"),
            max,
            weight: 100,
            method: Method::Judged {
                descriptors: [
                    "未达到".into(),
                    "基本达到".into(),
                    "达到".into(),
                    "超出".into(),
                ],
            },
        }
    }

    /// A marking scheme of 100 marks: a measured aspect of 40 (all or
    /// nothing), a deduction table of 30, and a judged aspect of 30.
    fn scheme() -> Rubric {
        Rubric {
            version: 1,
            criteria: vec![
                Criterion {
                    label: "尺寸精度".into(),
                    aspects: vec![
                        Aspect {
                            key: "A1".into(),
                            label: "外径".into(),
                            max: 4000,
                            weight: 100,
                            method: Method::FullOrZero,
                        },
                        Aspect {
                            key: "A2".into(),
                            label: "安全文明".into(),
                            max: 3000,
                            weight: 100,
                            method: Method::Deductions(vec![
                                Deduction {
                                    fault: "未戴护目镜".into(),
                                    points: 1000,
                                },
                                Deduction {
                                    fault: "工具乱放".into(),
                                    points: 500,
                                },
                            ]),
                        },
                    ],
                },
                Criterion {
                    label: "工艺".into(),
                    aspects: vec![judged("B1", 3000)],
                },
            ],
        }
    }

    fn marked(
        board: &mut Board,
        r: &Rubric,
        reviewer: i64,
        met: bool,
        faults: Vec<usize>,
        mark: u8,
    ) {
        board.enter(r, reviewer, "A1", Given::Met(met)).unwrap();
        board
            .enter(r, reviewer, "A2", Given::Faults(faults))
            .unwrap();
        board.enter(r, reviewer, "B1", Given::Mark(mark)).unwrap();
    }

    #[test]
    fn a_scheme_of_measured_and_judged_aspects_adds_up() {
        let r = scheme();
        assert_eq!(r.check(), Ok(()));
        assert_eq!(r.full_marks(), 10_000);
        let mut b = Board::assigned(&[1, 2, 3]);
        marked(&mut b, &r, 1, true, vec![1], 2);
        marked(&mut b, &r, 2, true, vec![], 3);
        marked(&mut b, &r, 3, true, vec![0, 1], 2);
        let o = aggregate(&r, &b);
        // A2: (2500 + 3000 + 1500) ÷ 3; B1: 30 × (2 + 3 + 2) ÷ 9.
        assert_eq!(o.aspects["A1"], 4000);
        assert_eq!(o.aspects["A2"], 2333);
        assert_eq!(o.aspects["B1"], 2333);
        assert_eq!(o.total, 8666);
        assert_eq!(o.criterion(&r, 0), 6333);
    }

    #[test]
    fn the_highest_and_lowest_are_dropped_from_five_reviewers() {
        let r = Rubric {
            version: 1,
            criteria: vec![Criterion {
                label: "事迹".into(),
                aspects: vec![judged("J", 900)],
            }],
        };
        let mut b = Board::assigned(&[1, 2, 3, 4, 5]);
        for (who, m) in [(1, 0), (2, 2), (3, 2), (4, 2), (5, 3)] {
            b.enter(&r, who, "J", Given::Mark(m)).unwrap();
        }
        assert_eq!(aggregate(&r, &b).total, 600, "0 and 3 dropped: 9 × 2 ÷ 3");
        let mut four = Board::assigned(&[1, 2, 3, 4]);
        for (who, m) in [(1, 0), (2, 2), (3, 2), (4, 3)] {
            four.enter(&r, who, "J", Given::Mark(m)).unwrap();
        }
        assert_eq!(aggregate(&r, &four).total, 525, "four keep all: 9 × 7 ÷ 12");
    }

    #[test]
    fn judges_apart_and_a_departing_reviewer_are_flagged_and_block_the_final_lock() {
        let r = scheme();
        let mut b = Board::assigned(&[1, 2, 3]);
        marked(&mut b, &r, 1, true, vec![], 3);
        marked(&mut b, &r, 2, true, vec![], 3);
        marked(&mut b, &r, 3, false, vec![0, 0, 0], 1);
        let f = flags(&r, &b, 30);
        assert!(f.contains(&Flag::JudgesApart {
            aspect: "B1".into(),
            low: 1,
            high: 3
        }));
        assert!(
            f.iter()
                .any(|x| matches!(x, Flag::Departs { reviewer: 3, .. })),
            "{f:?}"
        );
        for who in [1, 2, 3] {
            b.lock(&r, who).unwrap();
        }
        assert!(b.close(&r).unwrap_err().contains("相差超过 1 分"));
        // Discussed: judge 3 re-marks, and the board closes.
        b.reopen(3).unwrap();
        b.enter(&r, 3, "B1", Given::Mark(2)).unwrap();
        b.lock(&r, 3).unwrap();
        assert_eq!(b.close(&r), Ok(()));
        assert!(b.enter(&r, 1, "B1", Given::Mark(0)).is_err());
        assert!(b.reopen(1).is_err());
    }

    #[test]
    fn marks_out_of_place_locks_and_strangers_are_refused() {
        let r = scheme();
        let mut b = Board::assigned(&[1, 2, 3]);
        assert!(b.enter(&r, 1, "B1", Given::Mark(4)).is_err());
        assert!(b.enter(&r, 1, "A1", Given::Mark(2)).is_err());
        assert!(b.enter(&r, 1, "A2", Given::Faults(vec![7])).is_err());
        assert!(b.enter(&r, 1, "Z9", Given::Met(true)).is_err());
        assert!(
            b.enter(&r, 9, "A1", Given::Met(true)).is_err(),
            "not assigned"
        );
        assert!(b.lock(&r, 1).unwrap_err().contains("没有打分"));
        let mut two = Board::assigned(&[1, 2]);
        marked(&mut two, &r, 1, true, vec![], 2);
        marked(&mut two, &r, 2, true, vec![], 2);
        two.lock(&r, 1).unwrap();
        two.lock(&r, 2).unwrap();
        assert!(two.close(&r).unwrap_err().contains("至少需要 3 名评委"));
    }

    #[test]
    fn a_rubric_that_cannot_be_marked_says_why() {
        let mut r = scheme();
        r.criteria[1].aspects.push(judged("A1", 100));
        assert!(r.check().unwrap_err().contains("重复"));
        let mut r = scheme();
        r.criteria[0].aspects[0].max = 0;
        assert!(r.check().unwrap_err().contains("满分"));
        let mut r = scheme();
        if let Method::Judged { descriptors } = &mut r.criteria[1].aspects[0].method {
            descriptors[3] = " ".into();
        }
        assert!(r.check().unwrap_err().contains("评判标准"));
        assert!(Rubric {
            version: 1,
            criteria: vec![]
        }
        .check()
        .is_err());
    }

    #[test]
    fn conflicts_of_interest_are_named() {
        let entry = Entrant {
            member_id: Some(10),
            org_id: 5,
            enterprise_id: Some(7),
            nominated_by: Some(11),
        };
        let reviewer = |member: i64, org: i64, ent: Option<i64>| Reviewer {
            member_id: Some(member),
            org_id: org,
            enterprise_id: ent,
        };
        assert!(conflict(&reviewer(10, 9, None), &entry).is_some());
        assert!(conflict(&reviewer(11, 9, None), &entry).is_some());
        assert!(conflict(&reviewer(12, 5, None), &entry).is_some());
        assert!(conflict(&reviewer(12, 9, Some(7)), &entry).is_some());
        assert_eq!(conflict(&reviewer(12, 9, Some(8)), &entry), None);
    }

    #[test]
    fn ties_share_a_rank_unless_a_tie_break_parts_them() {
        let r = scheme();
        let o = |a1: Centi, b1: Centi| Outcome {
            aspects: [
                ("A1".to_string(), a1),
                ("A2".to_string(), 0),
                ("B1".to_string(), b1),
            ]
            .into(),
            total: a1 + b1,
        };
        let scored = |entry, seq, outcome| Scored {
            entry,
            seq,
            outcome,
        };
        let entries = vec![
            scored(1, 3, o(4000, 2000)),
            scored(2, 1, o(3000, 3000)),
            scored(3, 2, o(4000, 1000)),
        ];
        let plain: Vec<(i64, u32)> = rank(&r, &entries, &[])
            .iter()
            .map(|p| (p.entry, p.rank))
            .collect();
        assert_eq!(plain, vec![(1, 1), (2, 1), (3, 3)]);
        let by_craft = rank(&r, &entries, &[TieBreak::Criterion(1)]);
        assert_eq!((by_craft[0].entry, by_craft[1].rank), (2, 2));
        let by_time = rank(
            &r,
            &entries,
            &[TieBreak::Aspect("A2".into()), TieBreak::Earlier],
        );
        assert_eq!((by_time[0].entry, by_time[1].entry), (2, 1));
    }

    /// A mark tried on the scheme's aspect `aspect` (0, 1, 2), of the kind that aspect takes.
    fn tried(aspect: usize, met: bool, faults: Vec<usize>, mark: u8) -> (&'static str, Given) {
        match aspect {
            0 => ("A1", Given::Met(met)),
            1 => ("A2", Given::Faults(faults)),
            _ => ("B1", Given::Mark(mark)),
        }
    }

    /// One reviewer's marks: met, faults, a judged mark.
    fn sheet_marks() -> impl Strategy<Value = (bool, Vec<usize>, u8)> {
        (
            any::<bool>(),
            prop::collection::vec(0usize..2, 0..4),
            0u8..=3,
        )
    }

    proptest! {
        /// The same marks give the same result whatever the order they were entered in.
        #[test]
        fn aggregation_is_invariant_to_the_order_of_entry(
            marks in prop::collection::vec(sheet_marks(), 3..8),
            order in prop::collection::vec(any::<u32>(), 8),
        ) {
            let r = scheme();
            let reviewers: Vec<i64> = (1..=marks.len() as i64).collect();
            let mut entries: Vec<(i64, &str, Given)> = vec![];
            for (who, (met, faults, mark)) in reviewers.iter().zip(&marks) {
                entries.push((*who, "A1", Given::Met(*met)));
                entries.push((*who, "A2", Given::Faults(faults.clone())));
                entries.push((*who, "B1", Given::Mark(*mark)));
            }
            let mut forwards = Board::assigned(&reviewers);
            for (who, a, g) in &entries {
                forwards.enter(&r, *who, a, g.clone()).unwrap();
            }
            let mut shuffled = entries.clone();
            for (i, k) in order.iter().enumerate() {
                let n = shuffled.len();
                shuffled.swap(i % n, *k as usize % n);
            }
            let mut backwards = Board::assigned(&reviewers);
            for (who, a, g) in shuffled.iter().rev() {
                backwards.enter(&r, *who, a, g.clone()).unwrap();
            }
            let (f, b) = (aggregate(&r, &forwards), aggregate(&r, &backwards));
            prop_assert_eq!(&f, &b);
            prop_assert!(f.total >= 0 && f.total <= r.full_marks());
            for a in r.aspects() {
                prop_assert!(f.aspects[&a.key] >= 0 && f.aspects[&a.key] <= a.max);
            }
        }

        /// Once a reviewer locks, nothing on their sheet changes, whatever is tried after.
        #[test]
        fn a_locked_score_never_changes(
            first in sheet_marks(),
            tries in prop::collection::vec((0i64..4, 0usize..3, sheet_marks(), 0u8..4), 0..30),
        ) {
            let r = scheme();
            let mut b = Board::assigned(&[1, 2, 3]);
            marked(&mut b, &r, 1, first.0, first.1.clone(), first.2);
            b.lock(&r, 1).unwrap();
            let locked = b.sheets[&1].clone();
            for (who, aspect, (met, faults, mark), op) in tries {
                let (key, given) = tried(aspect, met, faults, mark);
                match op {
                    0 | 1 => { let _ = b.enter(&r, who, key, given); }
                    2 => { let _ = b.lock(&r, who); }
                    _ => { let _ = b.close(&r); }
                }
                prop_assert_eq!(&b.sheets[&1], &locked);
            }
        }

        /// Once the board is closed, nothing on it changes, the chief's reopening included.
        #[test]
        fn a_closed_board_never_changes(
            marks in prop::collection::vec((any::<bool>(), prop::collection::vec(0usize..2, 0..4), 1u8..=2), 3),
            tries in prop::collection::vec((0i64..4, 0usize..3, sheet_marks(), 0u8..5), 0..30),
        ) {
            let r = scheme();
            let mut b = Board::assigned(&[1, 2, 3]);
            for (who, (met, faults, mark)) in (1..=3).zip(marks) {
                marked(&mut b, &r, who, met, faults, mark);
                b.lock(&r, who).unwrap();
            }
            b.close(&r).unwrap();
            let closed = b.clone();
            for (who, aspect, (met, faults, mark), op) in tries {
                let (key, given) = tried(aspect, met, faults, mark);
                match op {
                    0 | 1 => { let _ = b.enter(&r, who, key, given); }
                    2 => { let _ = b.lock(&r, who); }
                    3 => { let _ = b.reopen(who); }
                    _ => { let _ = b.close(&r); }
                }
                prop_assert_eq!(&b, &closed);
            }
        }
    }
}
